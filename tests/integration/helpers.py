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


# ------------------------------------------------------------ sharding

_U64 = (1 << 64) - 1


def kv_bucket(key, bucket_count):
    """The server's kv_bucket (src/model/kv): FNV-1a 64 over the key bytes, then
    MurmurHash3's fmix64, modulo the bucket count."""
    if isinstance(key, str):
        key = key.encode()
    h = 0xcbf29ce484222325
    for b in key:
        h ^= b
        h = (h * 0x100000001b3) & _U64
    h ^= h >> 33
    h = (h * 0xff51afd7ed558ccd) & _U64
    h ^= h >> 33
    h = (h * 0xc4ceb9fe1a85ec53) & _U64
    h ^= h >> 33
    return h % bucket_count


def bucket_counts(view):
    """{replicaset id: buckets} of the ACTIVE replicasets in a /v1/cluster view."""
    return {rs["id"]: rs["buckets"] for rs in view["replicasets"] if rs["state"] == "active"}


def node_groups(node):
    """The Raft groups a node runs, from cairn_raft_applied_index{group="N"} in /metrics."""
    m, _ = metrics(node)
    out = set()
    for (name, labels) in m:
        if name == "cairn_raft_applied_index" and labels.startswith('group="'):
            out.add(int(labels[len('group="'):-1]))
    return out


def group_leader(nodes, group):
    """The node whose /metrics says it leads `group` (cairn_raft_is_leader), or None."""
    for n in nodes:
        try:
            m, _ = metrics(n)
        except (requests.RequestException, AssertionError):
            continue
        if m.get(("cairn_raft_is_leader", 'group="%d"' % group)) == 1:
            return n
    return None


def balanced(view, sets, tolerance):
    """True when `sets` replicasets are active, own every bucket between them,
    none is further than `tolerance` buckets from an even share, and no move is
    in progress."""
    counts = bucket_counts(view)
    if len(counts) != sets or view["moves"]:
        return False
    total = view["bucket_count"]
    if sum(counts.values()) != total:
        return False
    return all(abs(c - total / sets) <= tolerance for c in counts.values())


def wait_balanced(cluster, sets, tolerance, timeout, what="buckets balanced"):
    """Polls every live node's cluster view until each sees a balanced map with no
    move in progress (the governor is replicated everywhere, so all must agree)."""
    def check():
        views = [n.cluster() for n in cluster.live()]
        if all(balanced(v, sets, tolerance) for v in views):
            return views[0]
        return None
    return wait_for(check, timeout, what)


class Writer:
    """Threads writing their own keys with increasing values through random live
    nodes, recording what was acknowledged (200), refused (503: not applied) and
    unknown (504 or a connection error: maybe applied)."""

    def __init__(self, cluster, prefix="w", threads=4, keys_per_thread=25):
        import threading
        self.cluster = cluster
        self.prefix = prefix
        self.keys = ["%s%d-%03d" % (prefix, t, i) for t in range(threads)
                     for i in range(keys_per_thread)]
        self.threads = threads
        self.keys_per_thread = keys_per_thread
        self.acked = {}     # key -> highest acknowledged value
        self.unknown = {}   # key -> set of values that may have been applied
        self.refused = {}   # key -> set of values answered 503
        self.seq = {k: 0 for k in self.keys}
        self.failures = []  # (key, value, status or exception, body, seconds)
        self.writes = 0
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.workers = []
        self.slowest = 0.0

    def write_once(self, key, node=None):
        import random
        self.seq[key] += 1
        v = self.seq[key]
        chosen = node
        refusing = set()
        t0 = time.time()
        for _ in range(5):
            candidates = [n for n in self.cluster.live() if n.name not in refusing]
            node = chosen or random.choice(candidates or self.cluster.live())
            try:
                r = put(node, key, str(v))
                status, body = r.status_code, r.text[:200]
                break
            except requests.ConnectionError as e:
                # A refused connection (a node still starting) certainly applied nothing:
                # like a client, try another node.
                status, body = None, "%s: %s" % (type(e).__name__, e)
                if "refused" not in str(e):
                    break
                refusing.add(node.name)
            except requests.RequestException as e:
                status, body = None, "%s: %s" % (type(e).__name__, e)
                break
        dt = time.time() - t0
        with self.lock:
            self.writes += 1
            self.slowest = max(self.slowest, dt)
            if status == 200:
                self.acked[key] = max(self.acked.get(key, 0), v)
                return
            self.failures.append((key, v, status, body, round(dt, 2), node.name))
            if status == 503:
                self.refused.setdefault(key, set()).add(v)
            else:
                self.unknown.setdefault(key, set()).add(v)

    def load(self):
        """Writes every key once, sequentially (the data that exists before moves)."""
        for k in self.keys:
            self.write_once(k)

    def _run(self, t):
        keys = self.keys[t * self.keys_per_thread:(t + 1) * self.keys_per_thread]
        i = 0
        while not self.stop_event.is_set():
            self.write_once(keys[i % len(keys)])
            i += 1

    def start(self):
        import threading
        for t in range(self.threads):
            th = threading.Thread(target=self._run, args=(t,), daemon=True)
            th.start()
            self.workers.append(th)
        return self

    def stop(self):
        self.stop_event.set()
        for th in self.workers:
            th.join(60)
        self.workers = []

    def failure_report(self):
        return "%d of %d writes not acknowledged (slowest %.2fs):\n%s" % (
            len(self.failures), self.writes, self.slowest,
            "\n".join("  %s=%s via %s: %s %s (%.2fs)" % (k, v, n, s, b, dt)
                      for k, v, s, b, dt, n in self.failures[:30]))

    def problem(self, key, found):
        """None if `found` (bytes or None) is a value the key may hold, else why not."""
        last = self.acked.get(key, 0)
        unknown = self.unknown.get(key, set())
        if found is None:
            if last == 0:
                return None
            return "absent, last acknowledged %d" % last
        try:
            v = int(found)
        except ValueError:
            return "holds garbage %r" % found
        if v == last or (v > last and v in unknown):
            return None
        if v in self.refused.get(key, set()):
            return "holds %d, which was answered 503 (not applied); last acknowledged %d" % (v, last)
        return "holds %d, last acknowledged %d, unknown %s" % (v, last, sorted(unknown)[-5:])

    def check(self, nodes, stale=False):
        """Reads every key from every node (linearizable unless stale) and the full
        listing from each node; returns a list of problems (empty when all is well)."""
        bad = []
        for n in nodes:
            for k in self.keys:
                r = get(n, k, stale=stale)
                if r.status_code not in (200, 404):
                    bad.append("%s: GET %s -> %d %s" % (n.name, k, r.status_code, r.text[:200]))
                    continue
                p = self.problem(k, r.content if r.status_code == 200 else None)
                if p:
                    bad.append("%s: %s %s" % (n.name, k, p))
            items = list_all(n, prefix=self.prefix, stale=stale)
            keys = [k for k, _, _ in items]
            dup = sorted(set(k for k in keys if keys.count(k) > 1))
            if dup:
                bad.append("%s: listing repeats %s" % (n.name, dup[:10]))
            if keys != sorted(keys):
                bad.append("%s: listing out of order" % n.name)
            for k, v, _ in items:
                p = self.problem(k.decode(), v)
                if p:
                    bad.append("%s: listed %s %s" % (n.name, k, p))
            listed = set(k.decode() for k in keys)
            for k in self.keys:
                if k not in listed and self.problem(k, None):
                    bad.append("%s: listing misses %s" % (n.name, k))
        return bad
