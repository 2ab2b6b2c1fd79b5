"""Three nodes: any node takes writes, every node reads them linearizably, and they agree on
the cluster's shape."""
import requests

from helpers import (assert_error, batch, delete, etag_version, get, list_all, put, value_of,
                     wait_for)


def test_cluster_view(cluster):
    cluster.start(3)
    leader = cluster.leader()
    views = [n.cluster() for n in cluster.nodes]
    ids = {v["cluster_id"] for v in views}
    assert len(ids) == 1 and len(ids.pop()) >= 16
    for v in views:
        assert len(v["nodes"]) == 3
        roles = sorted(x["role"] for x in v["nodes"])
        assert roles == ["follower", "follower", "leader"], v
        lead = [x for x in v["nodes"] if x["role"] == "leader"][0]
        assert lead["name"] == leader.name
        assert v["leader"]["name"] == leader.name and v["leader"]["id"] == lead["id"]
        assert {x["name"] for x in v["nodes"]} == {n.name for n in cluster.nodes}
        assert len({x["id"] for x in v["nodes"]}) == 3
        for x in v["nodes"]:
            node = [n for n in cluster.nodes if n.name == x["name"]][0]
            assert x["http_addr"] == node.http_addr and x["peer_addr"] == node.peer_addr
    # /health agrees with /v1/cluster.
    for n in cluster.nodes:
        h = n.health()
        assert h["status"] == "UP" and h["leader"] == leader.health()["node_id"]
    assert leader.health()["role"] == "leader"


def test_writes_anywhere_read_everywhere(cluster):
    cluster.start(3)
    # Each write is followed at once by a read on every node: linearizable reads must see it
    # immediately, with no waiting.
    for i in range(30):
        w = cluster.nodes[i % 3]
        r = put(w, "c/%d" % (i % 7), "v%d" % i)
        assert r.status_code == 200, r.text
        ver = r.json()["version"]
        for n in cluster.nodes:
            g = get(n, "c/%d" % (i % 7))
            assert g.status_code == 200 and g.content == b"v%d" % i, (n.name, i)
            assert etag_version(g) == ver
    # Conditional writes through a follower are checked against the leader's state.
    follower = [n for n in cluster.nodes if n is not cluster.leader()][0]
    v = etag_version(get(follower, "c/0"))
    assert_error(put(follower, "c/0", "x", headers={"If-Match": '"%d"' % (v - 1)}), 412,
                 "CONDITION_FAILED")
    assert put(follower, "c/0", "y", headers={"If-Match": '"%d"' % v}).status_code == 200
    # Batches and deletes through a follower.
    r = batch(follower, [{"op": "put", "key": "c/b1", "value": "1"},
                         {"op": "delete", "key": "c/1"}])
    assert r.status_code == 200, r.text
    assert delete(follower, "c/2").status_code == 200
    for n in cluster.nodes:
        assert value_of(n, "c/0") == b"y"
        assert value_of(n, "c/b1") == b"1"
        assert value_of(n, "c/1") is None and value_of(n, "c/2") is None
    # Every node lists the same thing, linearizable and (once caught up) stale.
    lists = [list_all(n, prefix="c/") for n in cluster.nodes]
    assert lists[0] == lists[1] == lists[2]
    for n in cluster.nodes:
        wait_for(lambda: list_all(n, prefix="c/", stale=True) == lists[0], 10,
                 "stale listing on %s" % n.name)


def test_follower_stale_read_catches_up(cluster):
    cluster.start(3)
    leader = cluster.leader()
    followers = [n for n in cluster.nodes if n is not leader]
    assert put(leader, "s/k", "v1").status_code == 200
    for f in followers:
        wait_for(lambda: value_of(f, "s/k", stale=True) == b"v1", 10, "stale read on " + f.name)
    r = requests.get(followers[0].url("/v1/kv"), params={"prefix": "s/", "consistency": "stale"})
    assert r.status_code == 200 and [i["key"] for i in r.json()["items"]] == ["s/k"]
