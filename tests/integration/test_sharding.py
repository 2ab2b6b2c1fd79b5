"""Sharding, black-box: replicasets forming by replication factor, buckets
rebalancing between them while writes go on, leaders crashing mid-move, and
batches confined to one replicaset."""
import time

import pytest
import requests

from helpers import (Writer, batch, bucket_counts, group_leader, kv_bucket, node_groups, put,
                     value_of, wait_balanced, wait_for)

BUG_MOVE_LOSES_ROWS = ("BUG: a finished bucket move loses the rows the source had: after --bucket-count 2, 35 keys in bucket 0, a second rf-1 replicaset joins; the move finishes (cairn_moves_finished_total 1, cairn_move_rows_total 35) but the destination store has none of them and every read answers 404; with 300 buckets ~130 of 150 moved buckets lose their keys")

BUCKETS = 300
# The planner stops within 1% of an even share (MOVER_THRESHOLD_PERMILLE); allow a little more.
TOLERANCE = 0.03 * BUCKETS


def adopted_pause():
    """Replicaset leaders adopt their initial buckets every 10 ticks (0.5 s here).
    Until the first replicaset has, a second must not become active: see
    test_early_second_replicaset_gets_every_bucket (skipped, a known bug)."""


def start_sharded(cluster, first, rf, more=0):
    """Bootstraps `first` nodes (one replicaset when first == rf), lets it adopt
    the buckets, then joins `more` nodes one by one."""
    cluster.start(first, rf=rf, extra=["--bucket-count", str(BUCKETS)])
    adopted_pause()
    for _ in range(more):
        cluster.add().start().wait_up()
    return cluster


def replicaset_of(view, node_id):
    for rs in view["replicasets"]:
        if node_id in rs["members"]:
            return rs["id"]
    return None


def node_ids(cluster):
    return {n.name: n.health()["node_id"] for n in cluster.live()}


def assert_placement(cluster, sets, rf):
    """Each node runs the governor (group 1) and exactly its replicaset's group
    (replicaset r is group r + 1), and every replicaset has rf members."""
    def placed():
        view = cluster.live()[0].cluster()
        active = [rs for rs in view["replicasets"] if rs["state"] == "active"]
        if len(active) != sets or any(len(rs["members"]) != rf for rs in active):
            return None
        ids = node_ids(cluster)
        for n in cluster.live():
            rs = replicaset_of(view, ids[n.name])
            if rs is None or node_groups(n) != {1, rs + 1}:
                return None
        return view
    return wait_for(placed, 30, "%d replicasets of %d nodes, each node in groups {1, its own}"
                    % (sets, rf))


def test_two_replicasets_rf1_rebalance_under_writes(cluster):
    start_sharded(cluster, 1, rf=1)
    w = Writer(cluster, prefix="a", threads=3, keys_per_thread=40)
    w.load()
    assert not w.failures, w.failure_report()
    w.start()
    cluster.add().start().wait_up()
    view = wait_balanced(cluster, 2, TOLERANCE, 60)
    time.sleep(0.5)
    w.stop()
    counts = bucket_counts(view)
    assert sorted(counts) == [1, 2] and sum(counts.values()) == BUCKETS, view
    assert_placement(cluster, 2, 1)
    bad = w.check(cluster.live())
    assert not bad, "\n".join(bad[:40])
    # Writes may wait during a fence but none may fail while both nodes are up.
    assert not w.failures, w.failure_report()
    assert w.writes > len(w.keys), "the writer barely ran: %d writes" % w.writes


def test_early_second_replicaset_gets_every_bucket(cluster):
    # No pause between the first node and the second: cluster.start joins at once.
    cluster.start(2, rf=1, extra=["--bucket-count", str(BUCKETS)])
    wait_balanced(cluster, 2, TOLERANCE, 30)
    keys = {}
    i = 0
    while len(keys) < BUCKETS:
        k = "e%d" % i
        keys.setdefault(kv_bucket(k, BUCKETS), k)
        i += 1
    for b, k in sorted(keys.items()):
        r = put(cluster.nodes[b % 2], k, "v")
        assert r.status_code == 200, (b, k, r.status_code, r.text)


def test_six_nodes_rf3_grow_to_nine_under_writes(cluster):
    start_sharded(cluster, 3, rf=3, more=3)
    view = wait_balanced(cluster, 2, TOLERANCE, 60, "two replicasets sharing the buckets")
    assert_placement(cluster, 2, 3)
    assert sorted(bucket_counts(view)) == [1, 2]

    w = Writer(cluster, prefix="g", threads=4, keys_per_thread=25)
    w.load()
    assert not w.failures, w.failure_report()
    w.start()
    for _ in range(3):
        cluster.add().start().wait_up()
    view = wait_balanced(cluster, 3, TOLERANCE, 90, "three replicasets sharing the buckets")
    time.sleep(0.5)
    w.stop()
    assert_placement(cluster, 3, 3)
    counts = bucket_counts(view)
    assert sorted(counts) == [1, 2, 3] and sum(counts.values()) == BUCKETS, view
    bad = w.check(cluster.live())
    assert not bad, "\n".join(bad[:40])
    assert not w.failures, w.failure_report()


def test_leaders_killed_during_rebalance(cluster):
    start_sharded(cluster, 3, rf=3)
    w = Writer(cluster, prefix="c", threads=3, keys_per_thread=25)
    w.load()
    assert not w.failures, w.failure_report()
    w.start()
    for _ in range(3):
        cluster.add().start().wait_up()
    # Wait until moves are under way, then crash the source replicaset's leader
    # (group 2) and the governor's leader (group 1); if one node leads both,
    # the other replicaset's leader (group 3) goes too.
    wait_for(lambda: cluster.live()[0].cluster()["moves"], 30, "moves in progress")
    # The new replicaset takes buckets once its three members are in the catalog;
    # its Raft group may still be promoting the third. Killing its leader before
    # then would leave one of two voters: no quorum, as Raft must.
    cluster.wait_replicaset_formed(3, group=3)
    gov = group_leader(cluster.live(), 1)
    assert gov is not None
    # Also a leader of the replicaset the governor's leader is not in: each
    # replicaset loses at most one of its three members, so all keep a quorum.
    view = cluster.live()[0].cluster()
    ids = {n["name"]: n["id"] for n in view["nodes"]}
    rs_of = {m: r["id"] for r in view["replicasets"] for m in r["members"]}
    other = None
    for g in (2, 3):
        lead = group_leader(cluster.live(), g)
        if lead is not None and lead is not gov and rs_of.get(ids[lead.name]) != rs_of.get(ids[gov.name]):
            other = lead
            break
    assert other is not None, view
    victims = [gov, other]
    moving_before = len(cluster.live()[0].cluster()["moves"])
    for v in victims:
        v.kill()
    view = wait_balanced(cluster, 2, TOLERANCE, 90, "moves finished after the crashes")
    w.stop()
    assert sum(bucket_counts(view).values()) == BUCKETS
    bad = w.check(cluster.live())
    assert not bad, "after the crashes (%d moves were in progress):\n%s" % (
        moving_before, "\n".join(bad[:40]))
    # Restart the crashed nodes: they rejoin their replicasets and serve the same data.
    for v in victims:
        v.start().wait_up()
    wait_balanced(cluster, 2, TOLERANCE, 60, "still balanced after the restarts")
    assert_placement(cluster, 2, 3)
    bad = w.check(cluster.live())
    assert not bad, "after the restarts:\n" + "\n".join(bad[:40])


def test_batch_spanning_replicasets(cluster):
    start_sharded(cluster, 1, rf=1, more=1)
    wait_balanced(cluster, 2, TOLERANCE, 60)
    # Which replicaset owns a bucket is not exposed per bucket: find two keys
    # in different replicasets by probing batches of pairs of fresh buckets.
    by_bucket = {}
    i = 0
    while len(by_bucket) < 40:
        k = "b%d" % i
        by_bucket.setdefault(kv_bucket(k, BUCKETS), []).append(k)
        i += 1
    first = next(ks for ks in by_bucket.values() if len(ks) >= 2)
    # Two keys of one bucket always share a replicaset: the batch works, which also
    # checks the Python kv_bucket against the server's.
    r = batch(cluster.nodes[0], [{"op": "put", "key": first[0], "value": "1"},
                                 {"op": "put", "key": first[1], "value": "2"}])
    assert r.status_code == 200, (r.status_code, r.text)
    assert value_of(cluster.nodes[1], first[0]) == b"1"
    assert value_of(cluster.nodes[1], first[1]) == b"2"
    # Keys of many buckets: with two replicasets of ~150 buckets each, a batch
    # of 40 buckets' keys spans both (the odds it does not are ~2^-39).
    keys = [ks[0] for b, ks in sorted(by_bucket.items()) if ks[0] not in first]
    ops = [{"op": "put", "key": k, "value": "x"} for k in keys]
    ops.append({"op": "delete", "key": first[0]})
    r = batch(cluster.nodes[1], ops)
    assert r.status_code == 400, (r.status_code, r.text)
    assert r.json()["error"]["code"] == "BAD_REQUEST"
    for n in cluster.live():
        for k in keys:
            assert value_of(n, k) is None, (n.name, k)
        assert value_of(n, first[0]) == b"1"
