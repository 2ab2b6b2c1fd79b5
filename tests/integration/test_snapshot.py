"""A follower that was down while the leader compacted its log is caught up by a snapshot,
and then has every key and every row of the SQL tables."""
import json
import os
import re
import sqlite3
import subprocess
import time

import psycopg2
import pytest

from conftest import CAIRN
from helpers import batch, list_all, metrics, value_of, wait_for

# src/node/group.h: the log is compacted once GROUP_COMPACT_ENTRIES + GROUP_COMPACT_KEEP_ENTRIES
# entries are applied past its start, keeping the last GROUP_COMPACT_KEEP_ENTRIES.
COMPACT_AFTER_ENTRIES = 20000 + 5000


def applied(node):
    """The applied index of the group holding the keys: the first replicaset's (group 2)."""
    samples, _ = metrics(node)
    return int(samples[("cairn_raft_applied_index", 'group="2"')])


def test_follower_caught_up_by_snapshot(cluster):
    cluster.start(3)
    leader = cluster.leader()
    follower = [n for n in cluster.nodes if n is not leader][0]
    other = [n for n in cluster.nodes if n is not leader and n is not follower][0]
    stopped_at = applied(follower)
    assert follower.terminate() == 0

    # SQL tables, written while the follower is away: their definitions live only in the
    # replicaset's store, so only the snapshot can bring them.
    db = psycopg2.connect(host="127.0.0.1", port=leader.pg_port, user="cairn", dbname="cairn")
    db.autocommit = True
    cur = db.cursor()
    cur.execute("CREATE TABLE snapsql (id int PRIMARY KEY, v text NOT NULL CHECK (v <> ''),"
                " n numeric(10,2) DEFAULT 1.5)")
    cur.execute("CREATE INDEX snapsql_v ON snapsql (v)")
    cur.execute("CREATE TABLE snapnokey (msg text)")
    cur.execute("INSERT INTO snapsql (id, v) SELECT g, 'row ' || g FROM generate_series(1, 500) g")
    cur.execute("UPDATE snapsql SET n = id / 4.0 WHERE id % 7 = 0")
    cur.execute("DELETE FROM snapsql WHERE id % 11 = 0")
    cur.execute("INSERT INTO snapnokey VALUES ('a'), ('b'), ('c')")
    cur.execute("DELETE FROM snapnokey WHERE msg = 'b'")

    # Known keys, written in atomic batches of 100 while the follower is away.
    expect = {}
    for b in range(30):
        ops = []
        for i in range(100):
            k = "snap/%02d/%03d" % (b, i)
            ops.append({"op": "put", "key": k, "value": "v%d" % (b * 1000 + i)})
            expect[k.encode()] = ("v%d" % (b * 1000 + i)).encode()
        r = batch([leader, other][b % 2], ops, timeout=(3, 30))
        assert r.status_code == 200, r.text
    # Then enough single-key entries to make the leader compact its log past the follower.
    target = stopped_at + COMPACT_AFTER_ENTRIES + 2000
    deadline = time.time() + 90
    while applied(leader) < target:
        assert time.time() < deadline, "could not write %d entries in time" % target
        p = subprocess.run([CAIRN, "bench", "kv", "--addr", leader.http_addr + "," + other.http_addr,
                            "--concurrency", "48", "--duration", "3", "--read-ratio", "0",
                            "--keys", "2000", "--value-size", "16", "--json"],
                           capture_output=True, timeout=60)
        assert p.returncode == 0, p.stderr
        assert json.loads(p.stdout)["ok"] > 0
    # Overwrite some known keys and delete others after the bulk, so the snapshot must carry
    # the latest state, not just the oldest.
    r = batch(leader, [{"op": "put", "key": "snap/00/000", "value": "latest"},
                       {"op": "delete", "key": "snap/00/001"}])
    assert r.status_code == 200
    expect[b"snap/00/000"] = b"latest"
    del expect[b"snap/00/001"]
    # Store checkpoints run in the background about once a second and compaction only cuts
    # the log up to a checkpointed index: give it a few quiet-ish seconds of light writes.
    for i in range(30):
        assert batch(leader, [{"op": "put", "key": "tick/%d" % i, "value": "t"}]).status_code == 200
        time.sleep(0.1)
    final_leader = list_all(leader, stale=True)
    final_applied = applied(leader)

    log_offset = os.path.getsize(follower.log_path)
    follower.start()
    follower.wait_up(60)

    def has_everything():
        return applied(follower) >= final_applied and \
            list_all(follower, prefix="snap/", stale=True) == list_all(leader, prefix="snap/")
    wait_for(has_everything, 60, "the restarted follower to catch up")
    wait_for(lambda: list_all(follower, stale=True) == final_leader, 30,
             "the follower to have every key")
    got = {k: v for k, v, _ in list_all(follower, prefix="snap/", stale=True)}
    assert got == expect
    # Everything else (the bench keys) matches the leader too, versions included.
    assert list_all(follower, stale=True) == final_leader

    with open(follower.log_path, "rb") as f:
        f.seek(log_offset)
        log = f.read().decode("utf-8", "replace")
    m = re.search(r"installed snapshot at index (\d+)", log)
    assert m, "the follower was not caught up by a snapshot:\n" + log[-3000:]
    assert int(m.group(1)) > stopped_at + 20000, m.group(0)

    # The follower now serves linearizable reads and takes part in writes.
    assert value_of(follower, "snap/00/000") == b"latest"
    r = batch(follower, [{"op": "put", "key": "snap/after", "value": "x"}])
    assert r.status_code == 200
    for n in cluster.nodes:
        assert value_of(n, "snap/after") == b"x"

    # The follower's replicaset store has the SQL tables as the leader serves them: rows,
    # the generated bucket column, and rowids (a new row is numbered as on the leader).
    cur.execute("INSERT INTO snapnokey VALUES ('d')")
    cur.execute("SELECT id, v, n FROM snapsql ORDER BY id")
    want = [(i, v, str(n)) for i, v, n in cur.fetchall()]
    assert len(want) == 500 - 45 and want[6] == (7, "row 7", "1.75")
    final = applied(leader)
    wait_for(lambda: applied(follower) >= final, 30, "the follower to apply the last insert")
    assert follower.terminate() == 0
    store = sqlite3.connect(os.path.join(follower.data_dir, "group2", "store.db"))
    got = store.execute("SELECT id, v, n FROM t_snapsql ORDER BY id").fetchall()
    assert got == want
    assert store.execute("SELECT count(*) FROM t_snapsql WHERE __bucket IS NULL").fetchone()[0] == 0
    assert store.execute("SELECT _rowid_, msg FROM t_snapnokey ORDER BY 1").fetchall() == \
        [(1, "a"), (3, "c"), (4, "d")]
    names = {r[0] for r in store.execute("SELECT name FROM sqlite_schema")}
    assert {"t_snapsql", "t_snapnokey", "snapsql_v"} <= names
    store.close()
    db.close()
