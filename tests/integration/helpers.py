"""Shared helpers for the black-box tests: KV calls by raw key bytes, error-shape checks,
deadline polling and running the `cairn` CLI."""
import base64
import subprocess
import time
import urllib.parse

import requests

from conftest import CAIRN

TIMEOUT = (3, 15)  # (connect, read) seconds for one HTTP request


def kpath(key):
    """/v1/kv/<key> with every byte percent-encoded (keys are arbitrary bytes)."""
    if isinstance(key, str):
        key = key.encode()
    return "/v1/kv/" + urllib.parse.quote(key, safe="")


def put(node, key, value, headers=None, **kw):
    if isinstance(value, str):
        value = value.encode()
    return requests.put(node.url(kpath(key)), data=value, headers=headers or {},
                        timeout=kw.pop("timeout", TIMEOUT), **kw)


def get(node, key, stale=False, **kw):
    params = {"consistency": "stale"} if stale else None
    return requests.get(node.url(kpath(key)), params=params,
                        timeout=kw.pop("timeout", TIMEOUT), **kw)


def delete(node, key, headers=None):
    return requests.delete(node.url(kpath(key)), headers=headers or {}, timeout=TIMEOUT)


def batch(node, ops, timeout=TIMEOUT):
    return requests.post(node.url("/v1/kv"), json={"ops": ops}, timeout=timeout)


def value_of(node, key, stale=False):
    """The value's bytes, or None when the key is absent."""
    r = get(node, key, stale=stale)
    if r.status_code == 404:
        return None
    assert r.status_code == 200, (r.status_code, r.text)
    return r.content


def etag_version(r):
    tag = r.headers.get("ETag")
    assert tag and tag.startswith('"') and tag.endswith('"'), "bad ETag %r" % tag
    return int(tag[1:-1])


def item_key(item):
    if "key" in item:
        return item["key"].encode()
    return base64.b64decode(item["key_base64"])


def item_value(item):
    if "value" in item:
        return item["value"].encode()
    return base64.b64decode(item["value_base64"])


def list_page(node, prefix=None, limit=None, after=None, stale=False):
    params = {}
    if prefix is not None:
        params["prefix"] = prefix
    if limit is not None:
        params["limit"] = str(limit)
    if after is not None:
        params["after"] = after
    if stale:
        params["consistency"] = "stale"
    r = requests.get(node.url("/v1/kv"), params=params, timeout=TIMEOUT)
    assert r.status_code == 200, (r.status_code, r.text)
    return r.json()


def list_all(node, prefix=None, limit=1000, stale=False):
    """Every (key bytes, value bytes, version) under prefix, following `next` page by page."""
    out = []
    after = None
    pages = 0
    while True:
        page = list_page(node, prefix=prefix, limit=limit, after=after, stale=stale)
        pages += 1
        out += [(item_key(i), item_value(i), i["version"]) for i in page["items"]]
        if not page["more"]:
            return out
        assert len(page["items"]) == limit, "a page that says more must be full"
        after = page["next"]
        assert pages < 100000


def assert_error(r, status, code=None):
    """The documented error shape: status plus {"error": {"code", "message"}}."""
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    err = body["error"]
    assert isinstance(err["message"], str) and err["message"], body
    if code is not None:
        assert err["code"] == code, body
    return err


def wait_for(fn, timeout, what):
    """Polls fn() until it returns a truthy value; returns it, or fails naming `what`."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = fn()
            if last:
                return last
        except (requests.RequestException, ValueError, KeyError) as e:
            last = e
        time.sleep(0.05)
    raise AssertionError("timed out after %ss waiting for %s (last: %r)" % (timeout, what, last))


def cli(*args, addr=None, timeout=60, input=None):
    """Runs `cairn ARGS...`; returns the CompletedProcess with bytes stdout/stderr."""
    argv = [CAIRN] + list(args)
    if addr is not None:
        argv += ["--addr", addr]
    return subprocess.run(argv, capture_output=True, timeout=timeout, input=input)


def metrics(node):
    """Parses /metrics as Prometheus text: {(name, labels-string): float}; asserts the format."""
    r = requests.get(node.url("/metrics"), timeout=TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"].startswith("text/plain"), r.headers
    out = {}
    typed = {}
    for line in r.text.splitlines():
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            assert parts[1] in ("HELP", "TYPE"), line
            if parts[1] == "TYPE":
                assert parts[3] in ("counter", "gauge", "histogram", "summary", "untyped"), line
                typed[parts[2]] = parts[3]
            continue
        name_labels, _, val = line.rpartition(" ")
        assert name_labels, "sample line without a value: %r" % line
        if "{" in name_labels:
            name, labels = name_labels.split("{", 1)
            assert labels.endswith("}"), line
            labels = labels[:-1]
        else:
            name, labels = name_labels, ""
        assert name.replace("_", "a").replace(":", "a").isalnum(), line
        out[(name, labels)] = float(val)  # raises on a malformed number
    return out, typed


def free_port_addr():
    """A loopback address where nothing listens (for connection-refused checks)."""
    from conftest import free_port
    return "127.0.0.1:%d" % free_port()
