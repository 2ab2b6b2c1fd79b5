"""One node: the KV API's documented semantics (versions, conditions, listing, batches,
binary keys, size limits) and the operations endpoints (/health, /metrics)."""
import base64
import os

import pytest
import requests

from helpers import (assert_error, batch, delete, etag_version, get, item_key, list_all,
                     list_page, metrics, put, value_of)

KV_VALUE_BYTES_MAX = 1024 * 1024


def test_put_get_delete_versions_and_etag(single):
    r = put(single, "sn/a", "one")
    assert r.status_code == 200, r.text
    v1 = r.json()["version"]
    assert r.json()["key"] == "sn/a"
    assert etag_version(r) == v1

    g = get(single, "sn/a")
    assert g.status_code == 200
    assert g.content == b"one"
    assert g.headers["Content-Type"] == "application/octet-stream"
    assert etag_version(g) == v1

    r = put(single, "sn/a", "two")
    v2 = r.json()["version"]
    assert r.status_code == 200 and v2 > v1 and etag_version(r) == v2
    # A write to another key moves the log on, but not this key's version.
    v_other = put(single, "sn/other", "x").json()["version"]
    assert v_other > v2
    g = get(single, "sn/a")
    assert g.content == b"two" and etag_version(g) == v2

    d = delete(single, "sn/a")
    assert d.status_code == 200, d.text
    body = d.json()
    assert body["deleted"] is True and body["key"] == "sn/a" and body["version"] > v_other
    assert_error(get(single, "sn/a"), 404, "NOT_FOUND")
    assert_error(delete(single, "sn/a"), 404, "NOT_FOUND")

    # Recreated: a fresh, larger version.
    r = put(single, "sn/a", "three")
    assert r.json()["version"] > body["version"]


def test_if_match(single):
    v = put(single, "im/k", "v1").json()["version"]
    r = put(single, "im/k", "bad", headers={"If-Match": '"%d"' % (v + 1000)})
    err = assert_error(r, 412, "CONDITION_FAILED")
    assert str(v) in err["message"]
    assert value_of(single, "im/k") == b"v1"
    assert etag_version(get(single, "im/k")) == v

    r = put(single, "im/k", "v2", headers={"If-Match": '"%d"' % v})
    assert r.status_code == 200, r.text
    v2 = r.json()["version"]
    assert v2 > v
    # The old version no longer matches.
    assert_error(put(single, "im/k", "v3", headers={"If-Match": '"%d"' % v}), 412,
                 "CONDITION_FAILED")
    assert value_of(single, "im/k") == b"v2"

    # If-Match on an absent key fails and does not create it.
    assert_error(put(single, "im/absent", "x", headers={"If-Match": '"1"'}), 412,
                 "CONDITION_FAILED")
    assert value_of(single, "im/absent") is None

    # Conditional delete.
    assert_error(delete(single, "im/k", headers={"If-Match": '"%d"' % v}), 412, "CONDITION_FAILED")
    assert value_of(single, "im/k") == b"v2"
    d = delete(single, "im/k", headers={"If-Match": '"%d"' % v2})
    assert d.status_code == 200, d.text
    assert value_of(single, "im/k") is None


def test_if_none_match(single):
    r = put(single, "inm/k", "first", headers={"If-None-Match": "*"})
    assert r.status_code == 200, r.text
    v = r.json()["version"]
    assert_error(put(single, "inm/k", "second", headers={"If-None-Match": "*"}), 412,
                 "CONDITION_FAILED")
    g = get(single, "inm/k")
    assert g.content == b"first" and etag_version(g) == v


def test_listing_prefix_limit_pagination(single):
    keys = ["lp/%03d" % i for i in range(57)]
    ops = [{"op": "put", "key": k, "value": "val-" + k} for k in keys]
    assert batch(single, ops).status_code == 200
    # Neighbours that the prefix must exclude.
    put(single, "lo", "x")
    put(single, "lq/0", "x")
    put(single, "lp", "x")  # shorter than the prefix "lp/"

    page = list_page(single, prefix="lp/")
    assert [i["key"] for i in page["items"]] == keys  # default limit 100 > 57
    assert page["more"] is False

    seen = []
    after = None
    pages = 0
    while True:
        page = list_page(single, prefix="lp/", limit=10, after=after)
        pages += 1
        assert len(page["items"]) <= 10
        for it in page["items"]:
            assert it["value"] == "val-" + it["key"]
            assert isinstance(it["version"], int) and it["version"] > 0
        seen += [i["key"] for i in page["items"]]
        if not page["more"]:
            break
        assert page["next"] == page["items"][-1]["key"]
        after = page["next"]
    assert seen == keys
    assert pages == 6

    # after is exclusive and works in the middle of the range.
    page = list_page(single, prefix="lp/", limit=3, after="lp/010")
    assert [i["key"] for i in page["items"]] == ["lp/011", "lp/012", "lp/013"]
    assert page["more"] is True
    # Past the end of the prefix: empty.
    page = list_page(single, prefix="lp/", after="lp/999")
    assert page["items"] == [] and page["more"] is False
    # An exact last page reports no more.
    page = list_page(single, prefix="lp/", limit=7, after="lp/049")
    assert [i["key"] for i in page["items"]] == keys[50:57]
    assert page["more"] is False


def test_binary_keys_and_values(single):
    key = b"bin/\x00\xff/\x80 %?#&="
    val = bytes(range(256))
    r = put(single, key, val)
    assert r.status_code == 200, r.text
    body = r.json()
    assert base64.b64decode(body["key_base64"]) == key
    g = get(single, key)
    assert g.status_code == 200 and g.content == val

    # A key that contains '/' percent-encoded is one key, not a path.
    assert put(single, "bin/a/b", "slash").status_code == 200
    assert requests.get(single.url("/v1/kv/bin%2Fa%2Fb")).content == b"slash"

    items = list_page(single, prefix="bin/")["items"]
    bykey = {item_key(i): i for i in items}
    assert key in bykey
    it = bykey[key]
    assert "key_base64" in it and "key" not in it
    assert base64.b64decode(it["value_base64"]) == val
    assert bykey[b"bin/a/b"]["key"] == "bin/a/b" and bykey[b"bin/a/b"]["value"] == "slash"

    # Binary keys and values in a batch.
    k2 = b"bin/\x01\x02"
    r = batch(single, [{"op": "put", "key_base64": base64.b64encode(k2).decode(),
                        "value_base64": base64.b64encode(b"\xfe\x00").decode()}])
    assert r.status_code == 200, r.text
    assert value_of(single, k2) == b"\xfe\x00"


def test_batch_atomic_success(single):
    put(single, "ba/c", "to-delete")
    vb = put(single, "ba/b", "old").json()["version"]
    r = batch(single, [
        {"op": "put", "key": "ba/a", "value": "1"},
        {"op": "put", "key": "ba/b", "value": "2", "if_version": vb},
        {"op": "delete", "key": "ba/c"},
        {"op": "put", "key": "ba/d", "value": "4", "if_absent": True},
    ])
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["version"] > vb
    assert value_of(single, "ba/a") == b"1"
    assert value_of(single, "ba/b") == b"2"
    assert value_of(single, "ba/c") is None
    assert value_of(single, "ba/d") == b"4"
    # Every key the batch wrote carries the batch's version.
    for k in ("ba/a", "ba/b", "ba/d"):
        assert etag_version(get(single, k)) == body["version"]


def test_batch_response_has_results(single):
    r = batch(single, [{"op": "put", "key": "br/a", "value": "1"},
                       {"op": "delete", "key": "br/b"}])
    assert r.status_code == 200, r.text
    assert len(r.json()["results"]) == 2


def test_batch_failing_condition_changes_nothing(single):
    put(single, "bf/a", "a0")
    vb = put(single, "bf/b", "b0").json()["version"]
    put(single, "bf/exists", "e")
    before = list_all(single, prefix="bf/")

    cases = [
        (2, {"op": "put", "key": "bf/b", "value": "b1", "if_version": vb + 999}),
        (2, {"op": "put", "key": "bf/exists", "value": "x", "if_absent": True}),
        (2, {"op": "delete", "key": "bf/missing", "if_version": 3}),
    ]
    for idx, failing in cases:
        ops = [{"op": "put", "key": "bf/a", "value": "a1"},
               {"op": "delete", "key": "bf/other"},
               failing,
               {"op": "put", "key": "bf/new", "value": "n"}]
        if failing["key"] != "bf/b":
            ops[1] = {"op": "delete", "key": "bf/b"}
        r = batch(single, ops)
        err = assert_error(r, 412, "CONDITION_FAILED")
        assert err["op"] == idx, err
        assert list_all(single, prefix="bf/") == before


def test_stale_reads(single):
    v = put(single, "st/k", "fresh").json()["version"]
    g = get(single, "st/k", stale=True)
    assert g.status_code == 200 and g.content == b"fresh" and etag_version(g) == v
    assert_error(get(single, "st/none", stale=True), 404, "NOT_FOUND")
    page = list_page(single, prefix="st/", stale=True)
    assert [(i["key"], i["value"]) for i in page["items"]] == [("st/k", "fresh")]
    g = requests.get(single.url("/v1/kv/st%2Fk?consistency=linearizable"))
    assert g.status_code == 200 and g.content == b"fresh"


def test_large_values_round_trip(single):
    for size in (0, 1, 4096, 65536 + 7, 512 * 1024, KV_VALUE_BYTES_MAX - 4096):
        val = os.urandom(size)
        r = put(single, "big/%d" % size, val)
        assert r.status_code == 200, (size, r.text)
        g = get(single, "big/%d" % size)
        assert g.status_code == 200
        assert len(g.content) == size and g.content == val


def test_value_of_exactly_one_mib(single):
    val = os.urandom(KV_VALUE_BYTES_MAX)
    r = put(single, "big/max", val)
    assert r.status_code == 200, r.text
    assert get(single, "big/max").content == val
    r = batch(single, [{"op": "put", "key": "big/max-b",
                        "value_base64": base64.b64encode(val).decode()}])
    assert r.status_code == 200, r.text


def test_health(single):
    r = requests.get(single.url("/health"))
    assert r.status_code == 200
    h = r.json()
    assert h["status"] == "UP"
    assert h["role"] == "leader" and h["leader"] == h["node_id"]


def test_cluster_single(single):
    c = single.cluster()
    assert len(c["cluster_id"]) >= 16
    assert len(c["nodes"]) == 1
    n = c["nodes"][0]
    assert n["name"] == single.name and n["role"] == "leader"
    assert n["http_addr"] == single.http_addr and n["peer_addr"] == single.peer_addr


def test_metrics(single):
    before, _ = metrics(single)
    put(single, "met/k", "v")
    get(single, "met/k")
    m, typed = metrics(single)
    names = {name for name, _ in m}
    for name in ("cairn_raft_term", "cairn_wal_sync_seconds_bucket", "cairn_http_requests_total",
                 "cairn_wal_sync_seconds_count", "cairn_raft_applied_index"):
        assert name in names, name
    assert typed["cairn_wal_sync_seconds"] == "histogram"
    assert typed["cairn_http_requests_total"] == "counter"
    assert max(v for (n, _), v in m.items() if n == "cairn_raft_term") >= 1
    # Histogram buckets are cumulative and end at +Inf == count.
    buckets = sorted(((float(l.split('"')[1]), v) for (n, l), v in m.items()
                      if n == "cairn_wal_sync_seconds_bucket"), key=lambda t: t[0])
    assert buckets[-1][0] == float("inf")
    assert all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:]))
    assert buckets[-1][1] == m[("cairn_wal_sync_seconds_count", "")] > 0
    # Requests are counted: the total grew by at least the two calls above.
    total = lambda mm: sum(v for (n, _), v in mm.items() if n == "cairn_http_requests_total")
    assert total(m) >= total(before) + 2


def test_a_first_start_that_failed_leaves_a_directory_that_starts(tmp_path):
    """The peer port taken on the very first start: the node exits with an error, and the next
    start in the same directory bootstraps the cluster (it once waited forever for a leader)."""
    import socket
    from conftest import Node
    node = Node(str(tmp_path), "first")
    taken = socket.socket()
    taken.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    taken.bind(("127.0.0.1", node.peer_port))
    taken.listen()
    try:
        node.start()
        assert node.proc.wait(30) == 1
        assert "cannot listen on peer address" in node.log_tail()
    finally:
        taken.close()
    node.start()
    try:
        node.wait_up(30)
        r = put(node, "after/failed/start", "ok")
        assert r.status_code in (200, 201), r.text
        assert value_of(node, "after/failed/start") == b"ok"
    finally:
        node.terminate()
