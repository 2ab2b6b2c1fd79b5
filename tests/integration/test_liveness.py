"""The governor loop's liveness duties: a node whose link is down past the timeout is
marked offline in the catalog and online again when it returns; an offline governor
voter is replaced by a live learner; voters spread across zones as zones appear."""
import time

import requests

from helpers import wait_for

OFFLINE_AFTER_S = 8  # NODE_OFFLINE_AFTER_MS
TIMEOUT = OFFLINE_AFTER_S + 40


def nodes_by_name(cluster, via):
    return {x["name"]: x for x in via.cluster()["nodes"]}


def voters(view):
    return sorted(x["name"] for x in view["nodes"] if x["role"] in ("leader", "follower"))


def test_dead_voter_is_marked_offline_and_replaced(cluster):
    cluster.start(6, rf=1)  # 5 governor voters and one learner
    view = cluster.live()[0].cluster()
    before = voters(view)
    assert len(before) == 5, view
    learner = [x["name"] for x in view["nodes"] if x["role"] == "learner"]
    assert len(learner) == 1, view
    gov = cluster.leader()
    victim = next(n for n in cluster.nodes if n.name in before and n is not gov)
    victim.kill()
    observer = gov

    def replaced():
        v = observer.cluster()
        by = {x["name"]: x for x in v["nodes"]}
        return (by[victim.name]["state"] == "offline" and by[victim.name]["role"] == "learner"
                and by[learner[0]]["role"] in ("leader", "follower") and len(voters(v)) == 5)
    wait_for(replaced, TIMEOUT, "the dead voter marked offline and replaced by the learner")
    # Every other node agrees: the verdict is in the replicated catalog.
    for n in cluster.live():
        wait_for(lambda: nodes_by_name(cluster, n)[victim.name]["state"] == "offline", 10,
                 "node %s sees %s offline" % (n.name, victim.name))

    victim.start()
    victim.wait_up()
    wait_for(lambda: nodes_by_name(cluster, observer)[victim.name]["state"] == "online",
             TIMEOUT, "the returning node marked online")
    # It comes back as a learner: the governor keeps its five voters, no churn.
    time.sleep(2)
    v = observer.cluster()
    assert len(voters(v)) == 5, v
    assert nodes_by_name(cluster, observer)[victim.name]["role"] == "learner"


def test_offline_marking_without_spare_keeps_voter(cluster):
    cluster.start(3, rf=1)
    gov = cluster.leader()
    victim = next(n for n in cluster.nodes if n is not gov)
    victim.kill()
    wait_for(lambda: nodes_by_name(cluster, gov)[victim.name]["state"] == "offline", TIMEOUT,
             "the dead node marked offline")
    # No learner to promote: the voter stays (removing it would not make the
    # group any safer), and the cluster still serves writes.
    v = gov.cluster()
    assert victim.name in voters(v), v
    r = requests.put(gov.url("/v1/kv/after-offline"), data=b"x", timeout=10)
    assert r.status_code == 200, r.text


def test_voters_spread_to_a_new_zone(cluster):
    for _ in range(3):
        cluster.add(extra=["--zone", "a"] + (["--replication-factor", "1"]
                                              if not cluster.nodes else [])).start().wait_up()
    cluster.wait_voters(3)
    assert set(x["zone"] for x in cluster.live()[0].cluster()["nodes"]) == {"a"}
    d = cluster.add(extra=["--zone", "b"]).start()
    d.wait_up()

    def spread():
        v = cluster.nodes[0].cluster()
        zones = sorted(x["zone"] for x in v["nodes"] if x["role"] in ("leader", "follower"))
        return zones == ["a", "a", "b"]
    wait_for(spread, 60, "voters spread to zones a, a, b")
