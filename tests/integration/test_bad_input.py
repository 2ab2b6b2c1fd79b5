"""Bad input of every kind gets the documented status and JSON error shape, changes nothing,
and leaves the node serving: HTTP garbage, bad parameters, over-limit sizes, peer-port garbage,
bad command-line flags and a data directory already in use."""
import json
import os
import socket
import subprocess
import time

import pytest
import requests

from conftest import CAIRN, Node, free_port
from helpers import assert_error, batch, get, list_all, put, value_of, wait_for

KEY_BYTES_MAX = 1024
VALUE_BYTES_MAX = 1024 * 1024
BATCH_OPS_MAX = 128


@pytest.fixture
def seeded(single):
    """The shared node with a few known keys; returns (node, snapshot-of-everything)."""
    for i in range(5):
        assert put(single, "seed/%d" % i, "v%d" % i).status_code == 200
    return single, list_all(single)


def assert_unchanged(node, before):
    assert list_all(node) == before, "a rejected request changed the store"
    assert node.health()["status"] == "UP"


def raw(node, data, port=None, wait=5.0):
    """Sends raw bytes on a fresh connection; returns everything read until close or timeout."""
    s = socket.create_connection(("127.0.0.1", port or node.http_port), timeout=wait)
    try:
        s.sendall(data)
        out = b""
        deadline = time.time() + wait
        while time.time() < deadline:
            try:
                chunk = s.recv(65536)
            except (socket.timeout, ConnectionResetError):
                break
            if not chunk:
                break
            out += chunk
            if b"\r\n\r\n" in out:
                head, _, body = out.partition(b"\r\n\r\n")
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        if len(body) >= int(line.split(b":")[1]):
                            return out
        return out
    finally:
        s.close()


def parse_raw(resp):
    head, _, body = resp.partition(b"\r\n\r\n")
    status = int(head.split(b" ")[1])
    return status, json.loads(body)


@pytest.mark.parametrize("garbage", [
    b"GARBAGE \x00\x01\r\n\r\n",
    b"GET / HTTX/1.1\r\n\r\n",
    b"GET /v1/kv HTTP/1.1\r\nno colon here\r\n\r\n",
    b"PUT /v1/kv/x HTTP/1.1\r\nHost: a\r\nContent-Length: banana\r\n\r\n",
    b"PUT /v1/kv/x HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    b"PUT /v1/kv/x HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
])
def test_malformed_http_is_400_and_server_keeps_serving(seeded, garbage):
    node, before = seeded
    resp = raw(node, garbage)
    status, body = parse_raw(resp)
    assert status == 400, resp
    assert body["error"]["code"] == "BAD_REQUEST" and body["error"]["message"]
    assert value_of(node, "x") is None
    assert_unchanged(node, before)


def test_oversized_head_and_target(seeded):
    node, before = seeded
    r = requests.get(node.url("/v1/kv"), headers={"X-Big": "a" * (40 * 1024)})
    assert r.status_code == 431, r.text
    assert r.json()["error"]["code"] == "TOO_LARGE"
    r = requests.get(node.url("/v1/kv/" + "a" * 9000))
    assert r.status_code == 414, r.text
    assert r.json()["error"]["code"] == "TOO_LARGE"
    assert_unchanged(node, before)


def test_random_garbage_does_not_kill_http(seeded):
    node, before = seeded
    rnd = os.urandom(4096)
    raw(node, rnd, wait=2)
    raw(node, b"\r\n" * 5000, wait=2)
    s = socket.create_connection(("127.0.0.1", node.http_port))
    s.sendall(b"PUT /v1/kv/half HTTP/1.1\r\nContent-Length: 100\r\n\r\nabc")
    s.close()  # a body cut short must not be applied
    assert node.alive()
    assert value_of(node, "half") is None
    assert_unchanged(node, before)


def test_unknown_path_404(seeded):
    node, before = seeded
    for path in ("/v2/kv/a", "/nothing", "/v1/kvx", "/v1/cluster/nope"):
        assert_error(requests.get(node.url(path)), 404, "NOT_FOUND")
    assert_error(requests.put(node.url("/v1/nothing"), data=b"x"), 404, "NOT_FOUND")
    assert_unchanged(node, before)


def test_wrong_method_405(seeded):
    node, before = seeded
    assert_error(requests.post(node.url("/v1/kv/seed%2F1"), data=b"x"), 405, "METHOD_NOT_ALLOWED")
    assert_error(requests.patch(node.url("/v1/kv/seed%2F1"), data=b"x"), 405,
                 "METHOD_NOT_ALLOWED")
    assert_error(requests.delete(node.url("/v1/kv")), 405, "METHOD_NOT_ALLOWED")
    assert_error(requests.put(node.url("/health"), data=b"x"), 405, "METHOD_NOT_ALLOWED")
    assert_error(requests.delete(node.url("/v1/cluster")), 405, "METHOD_NOT_ALLOWED")
    assert_error(requests.get(node.url("/v1/cluster/expel")), 405, "METHOD_NOT_ALLOWED")
    assert_unchanged(node, before)


@pytest.mark.parametrize("body", [
    b"{bad", b"", b"null", b"[1,2]", b'{"ops": "x"}', b'{"ops": [1]}', b"\xff\xfe",
    b'{"ops": [{"op": "put", "key": "a", "value": "1"}]} trailing',
])
def test_bad_json_batch_400(seeded, body):
    node, before = seeded
    r = requests.post(node.url("/v1/kv"), data=body, headers={"Content-Type": "application/json"})
    assert_error(r, 400, "BAD_REQUEST")
    assert_unchanged(node, before)


@pytest.mark.parametrize("op", [
    {"op": "put", "key": 5, "value": "1"},
    {"op": "put", "key": "seed/0", "value": 5},
    {"op": "put", "key": "seed/0", "value": None},
    {"op": "frob", "key": "seed/0"},
    {"key": "seed/0", "value": "1"},
    {"op": "put", "key": "seed/0", "value": "1", "if_version": "7"},
    {"op": "put", "key": "seed/0", "value": "1", "if_version": -1},
    {"op": "put", "key": "seed/0", "value": "1", "if_version": 1.5},
    {"op": "put", "key": "seed/0", "value": "1", "if_absent": "yes"},
    {"op": "put", "key_base64": "!!!notbase64", "value": "1"},
    {"op": "put", "key": "seed/0", "value_base64": "@@"},
    {"op": "put", "key": "", "value": "1"},
])
def test_wrong_types_in_batch_400(seeded, op):
    node, before = seeded
    # A valid op first: the bad one must sink the whole batch.
    r = batch(node, [{"op": "put", "key": "seed/0", "value": "changed"}, op])
    assert_error(r, 400, "BAD_REQUEST")
    assert_unchanged(node, before)


def test_empty_key(seeded):
    """/v1/kv/ is the collection path, so an empty key cannot be written through a URL;
    in a batch it is a 400 (covered above)."""
    node, before = seeded
    r = requests.put(node.url("/v1/kv/"), data=b"x")
    assert r.status_code in (400, 404, 405), r.text
    assert_error(r, r.status_code)
    r = requests.delete(node.url("/v1/kv/"))
    assert r.status_code in (400, 404, 405), r.text
    assert_error(r, r.status_code)
    assert_unchanged(node, before)


def test_key_too_long_413(seeded):
    node, before = seeded
    assert_error(put(node, "k" * (KEY_BYTES_MAX + 1), "x"), 413, "TOO_LARGE")
    assert_error(batch(node, [{"op": "put", "key": "k" * (KEY_BYTES_MAX + 1), "value": "x"}]),
                 413, "TOO_LARGE")
    assert_unchanged(node, before)
    # Exactly at the limit is fine (and then removed again).
    k = "k" * KEY_BYTES_MAX
    assert put(node, k, "x").status_code == 200
    assert value_of(node, k) == b"x"
    assert requests.delete(node.url("/v1/kv/" + k)).status_code == 200
    assert_unchanged(node, before)


def test_value_too_large_413(seeded):
    node, before = seeded
    assert_error(put(node, "seed/0", b"v" * (VALUE_BYTES_MAX + 1)), 413, "TOO_LARGE")
    assert_error(batch(node, [{"op": "put", "key": "seed/0", "value": "v" * (VALUE_BYTES_MAX + 1)}]),
                 413, "TOO_LARGE")
    # Far past the body limit: refused without reading it all.
    assert_error(put(node, "seed/0", b"v" * (4 * VALUE_BYTES_MAX)), 413, "TOO_LARGE")
    assert_unchanged(node, before)


def test_batch_too_many_ops_413(seeded):
    node, before = seeded
    ops = [{"op": "put", "key": "many/%d" % i, "value": "x"} for i in range(BATCH_OPS_MAX + 1)]
    assert_error(batch(node, ops), 413, "TOO_LARGE")
    assert_unchanged(node, before)
    # At the limit it works.
    r = batch(node, ops[:BATCH_OPS_MAX])
    assert r.status_code == 200, r.text
    assert len(list_all(node, prefix="many/")) == BATCH_OPS_MAX
    r = batch(node, [{"op": "delete", "key": "many/%d" % i} for i in range(BATCH_OPS_MAX)])
    assert r.status_code == 200
    assert_unchanged(node, before)


@pytest.mark.parametrize("value", ["abc", '"-1"', '"1.5"', '""', '"12abc"', '"0x10"'])
def test_bad_if_match_400(seeded, value):
    node, before = seeded
    assert_error(put(node, "seed/0", "changed", headers={"If-Match": value}), 400, "BAD_REQUEST")
    assert_unchanged(node, before)


def test_if_match_overflow_400(seeded):
    node, before = seeded
    r = put(node, "seed/0", "changed", headers={"If-Match": '"99999999999999999999999"'})
    assert_error(r, 400, "BAD_REQUEST")
    assert_unchanged(node, before)


@pytest.mark.parametrize("limit", ["abc", "0", "-1", "1001", "1.5", ""])
def test_bad_limit_400(seeded, limit):
    node, _ = seeded
    assert_error(requests.get(node.url("/v1/kv"), params={"limit": limit}), 400, "BAD_REQUEST")


def test_bad_consistency_400(seeded):
    node, _ = seeded
    for path in ("/v1/kv", "/v1/kv/seed%2F0"):
        for c in ("bogus", "", "STALE"):
            assert_error(requests.get(node.url(path), params={"consistency": c}), 400,
                         "BAD_REQUEST")


def test_bad_percent_encoding_400(seeded):
    node, before = seeded
    resp = raw(node, b"PUT /v1/kv/a%zz HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nv")
    status, body = parse_raw(resp)
    assert status == 400 and body["error"]["code"] == "BAD_REQUEST", resp
    assert_unchanged(node, before)


def test_bad_expel_requests(seeded):
    node, before = seeded
    assert_error(requests.post(node.url("/v1/cluster/expel"), json={"node": "no-such-node"}), 404,
                 "NOT_FOUND")
    assert_error(requests.post(node.url("/v1/cluster/expel"), data=b"{"), 400, "BAD_REQUEST")
    assert_error(requests.post(node.url("/v1/cluster/expel"), json={"node": 3.5}), 400,
                 "BAD_REQUEST")
    assert len(node.cluster()["nodes"]) == 1
    assert_unchanged(node, before)


def test_peer_port_garbage(cluster):
    cluster.start(3)
    leader = cluster.leader()
    assert put(leader, "pg/k", "v").status_code == 200
    for n in cluster.nodes:
        for data in (b"GARBAGE" * 1000, os.urandom(65536), b"\x00" * 16,
                     b"\xff\xff\xff\xff" + os.urandom(64)):
            try:
                raw(n, data, port=n.peer_port, wait=1)
            except OSError:
                pass  # the node may reset the connection: that is fine
    # Half-open connection that never says anything.
    idle = socket.create_connection(("127.0.0.1", leader.peer_port))
    try:
        for n in cluster.nodes:
            assert n.alive(), n.log_tail()
        # The cluster still replicates and agrees.
        assert put(cluster.nodes[2], "pg/k2", "v2").status_code == 200
        for n in cluster.nodes:
            assert value_of(n, "pg/k2") == b"v2"
        assert cluster.leader() is not None
    finally:
        idle.close()


def test_run_bad_flags_exit_2(tmp_path):
    for argv in (["run", "--bogus"], ["run", "--tick-ms", "abc"], ["run", "--tick-ms"],
                 ["run", "--election-ticks", "-3"], ["run", "--log-level", "loud"],
                 ["run", "--lease-reads=maybe"], ["frob"]):
        p = subprocess.run([CAIRN] + argv, capture_output=True, timeout=20,
                           cwd=str(tmp_path))
        assert p.returncode == 2, (argv, p.returncode, p.stderr)
        assert p.stderr.strip(), argv
        assert b"cairn" in p.stderr
    # Nothing was created by a refused start.
    assert not os.path.exists(os.path.join(str(tmp_path), "cairn-data"))


def test_run_bad_address_exit_2(tmp_path):
    for argv in (["run", "--listen", "nohostport"], ["run", "--http", "1.2.3.4:notaport"],
                 ["run", "--pg", "nohostport"]):
        p = subprocess.run([CAIRN] + argv, capture_output=True, timeout=20, cwd=str(tmp_path))
        assert p.returncode == 2, (argv, p.returncode, p.stderr)
        assert b"cairn" in p.stderr
        assert not os.path.exists(os.path.join(str(tmp_path), "cairn-data"))


def test_data_dir_in_use(cluster, tmp_path):
    cluster.start(1)
    first = cluster.nodes[0]
    put(first, "inuse/k", "v")
    second = Node(str(tmp_path), "second")
    second.data_dir = first.data_dir
    second.start()
    try:
        rc = second.proc.wait(20)
    finally:
        second.kill()
    assert rc != 0
    with open(second.log_path, "rb") as f:
        log = f.read().decode("utf-8", "replace")
    assert "in use" in log, log
    assert first.alive()
    assert value_of(first, "inuse/k") == b"v"
    assert first.health()["status"] == "UP"
