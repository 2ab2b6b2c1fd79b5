"""Restarts of a single node: a graceful stop exits 0 and keeps everything; a crash (kill -9)
keeps every acknowledged write."""
import threading
import time

import requests

from helpers import batch, get, list_all, put, value_of, wait_for


def test_sigterm_exits_0_and_restart_keeps_keys(cluster):
    cluster.start(1)
    n = cluster.nodes[0]
    expect = {}
    for i in range(200):
        k = b"r/%04d" % i
        v = b"value-%d" % (i * 7)
        assert put(n, k, v).status_code == 200
        expect[k] = v
    ops = [{"op": "put", "key": "rb/%d" % i, "value": str(i)} for i in range(100)]
    assert batch(n, ops).status_code == 200
    for i in range(100):
        expect[b"rb/%d" % i] = str(i).encode()
    for i in range(0, 200, 10):
        assert requests.delete(n.url("/v1/kv/r%%2F%04d" % i)).status_code == 200
        del expect[b"r/%04d" % i]
    before = list_all(n)
    assert {k: v for k, v, _ in before} == expect

    assert n.terminate() == 0, n.log_tail()
    assert "stop" in n.log_tail().lower()

    n.start()
    n.wait_up()
    after = list_all(n)
    assert after == before  # same keys, values and versions
    # And the log goes on with larger versions.
    top = max(v for _, _, v in after)
    assert put(n, "r/after", "x").json()["version"] > top

    # A second graceful cycle works too.
    assert n.terminate() == 0
    n.start()
    n.wait_up()
    assert value_of(n, "r/after") == b"x"


def test_kill9_keeps_acknowledged_writes(cluster):
    cluster.start(1)
    n = cluster.nodes[0]
    acked = {}
    unknown = set()
    lock = threading.Lock()
    stop = threading.Event()

    def writer(t):
        s = requests.Session()
        i = 0
        while not stop.is_set():
            k = "crash/%d/%06d" % (t, i)
            v = "v-%d-%d" % (t, i)
            i += 1
            try:
                r = s.put(n.url("/v1/kv/" + k.replace("/", "%2F")), data=v, timeout=(1, 5))
            except requests.RequestException:
                with lock:
                    unknown.add(k)
                continue
            with lock:
                if r.status_code == 200:
                    acked[k] = v.encode()
                else:
                    unknown.add(k)
            if r.status_code != 200:
                time.sleep(0.05)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: len(acked) >= 300, 30, "300 acknowledged writes")
        n.kill()
        killed_with = len(acked)
        time.sleep(0.3)  # writers now see connection errors
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert killed_with >= 300

    n.start()
    n.wait_up()
    stored = {k: v for k, v, _ in list_all(n, prefix=b"crash/".decode())}
    missing = [k for k in acked if stored.get(k.encode()) != acked[k]]
    assert not missing, "acknowledged writes lost after kill -9: %s" % missing[:10]
    # Nothing appears that was never attempted.
    for k in stored:
        ks = k.decode()
        assert ks in acked or ks in unknown, ks
    # Linearizable reads agree with the listing.
    for k in list(acked)[:20]:
        assert get(n, k).content == acked[k]
