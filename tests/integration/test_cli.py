"""The `cairn` client commands against a running node: kv put/get/del/ls, status, bench,
and their exit codes (0 ok, 1 failed, 2 usage)."""
import json
import os

import pytest

from conftest import CAIRN
from helpers import cli, free_port_addr, get, list_all, put, value_of


def test_kv_put_get_del(single):
    a = single.http_addr
    p = cli("kv", "put", "cli/a", "hello world", addr=a)
    assert p.returncode == 0, p.stderr
    ver = int(p.stdout.split()[-1])
    assert value_of(single, "cli/a") == b"hello world"
    assert int(get(single, "cli/a").headers["ETag"].strip('"')) == ver

    p = cli("kv", "get", "cli/a", addr=a)
    assert p.returncode == 0 and p.stdout == b"hello world"
    p = cli("kv", "get", "cli/a", "--stale", addr=a)
    assert p.returncode == 0 and p.stdout == b"hello world"

    p = cli("kv", "put", "cli/a", "v2", "--json", addr=a)
    assert p.returncode == 0
    body = json.loads(p.stdout)
    assert body["key"] == "cli/a" and body["version"] > ver

    # Conditional writes: a failed condition is exit 1 and changes nothing.
    p = cli("kv", "put", "cli/a", "nope", "--if-version", str(ver), addr=a)
    assert p.returncode == 1 and b"412" in p.stderr
    p = cli("kv", "put", "cli/a", "nope", "--if-absent", addr=a)
    assert p.returncode == 1
    assert value_of(single, "cli/a") == b"v2"
    p = cli("kv", "put", "cli/a", "v3", "--if-version", str(body["version"]), addr=a)
    assert p.returncode == 0, p.stderr

    # A value from stdin, binary-safe.
    blob = bytes(range(256)) * 64
    p = cli("kv", "put", "cli/bin", "-", addr=a, input=blob)
    assert p.returncode == 0, p.stderr
    assert value_of(single, "cli/bin") == blob
    assert cli("kv", "get", "cli/bin", addr=a).stdout == blob

    p = cli("kv", "del", "cli/a", addr=a)
    assert p.returncode == 0, p.stderr
    assert value_of(single, "cli/a") is None


def test_kv_missing_key_exit_1(single):
    a = single.http_addr
    for args in (("kv", "get", "cli/missing"), ("kv", "del", "cli/missing")):
        p = cli(*args, addr=a)
        assert p.returncode == 1, (args, p.returncode)
        assert p.stdout == b""
        assert p.stderr.startswith(b"cairn") and b"not found" in p.stderr


def test_kv_ls(single):
    a = single.http_addr
    for i in range(25):
        put(single, "clils/%02d" % i, "v%d" % i)
    put(single, "clilt", "other")
    p = cli("kv", "ls", "clils/", addr=a)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.decode().splitlines()
    expect = [(k.decode(), v.decode(), str(ver)) for k, v, ver in list_all(single, prefix="clils/")]
    assert [tuple(l.split("\t")) for l in lines] == expect
    assert len(lines) == 25

    p = cli("kv", "ls", "clils/", "--limit", "10", addr=a)
    assert p.returncode == 0
    assert [l.split("\t")[0] for l in p.stdout.decode().splitlines()][:10] == \
        ["clils/%02d" % i for i in range(10)]

    p = cli("kv", "ls", "clils/", "--limit", "10", "--after", "clils/19", addr=a)
    assert p.returncode == 0
    assert [l.split("\t")[0] for l in p.stdout.decode().splitlines()][:5] == \
        ["clils/%02d" % i for i in range(20, 25)]

    p = cli("kv", "ls", "clils/", "--limit", "7", "--all", addr=a)
    assert p.returncode == 0
    assert [l.split("\t")[0] for l in p.stdout.decode().splitlines()] == \
        ["clils/%02d" % i for i in range(25)]

    p = cli("kv", "ls", "clils/", "--json", addr=a)
    assert p.returncode == 0
    assert [i["key"] for i in json.loads(p.stdout)["items"]] == ["clils/%02d" % i for i in range(25)]


def test_usage_errors_exit_2(single):
    a = single.http_addr
    before = list_all(single)
    for args in (("kv",), ("kv", "get"), ("kv", "frob"), ("kv", "put", "k"),
                 ("kv", "put", "k", "v", "--if-version", "abc"), ("kv", "ls", "--limit", "x"),
                 ("status", "--bogus"), ("expel",), ("bench",), ("bench", "kv", "--duration", "x"),
                 ("frob",)):
        p = cli(*args, addr=a)
        assert p.returncode == 2, (args, p.returncode, p.stderr)
        assert p.stderr.startswith(b"cairn"), (args, p.stderr)
    assert list_all(single) == before
    for args in (("kv", "--help"), ("status", "--help"), ("bench", "--help"), ("--help",)):
        p = cli(*args)
        assert p.returncode == 0 and b"usage" in p.stdout, args


def test_cannot_connect_exit_1():
    p = cli("kv", "get", "x", addr=free_port_addr(), timeout=30)
    assert p.returncode == 1
    assert b"cannot connect" in p.stderr
    p = cli("status", addr=free_port_addr(), timeout=30)
    assert p.returncode == 1


def test_addr_from_environment(single):
    put(single, "cli/env", "from-env")
    import subprocess
    env = dict(os.environ, CAIRN_ADDR=single.http_addr)
    p = subprocess.run([CAIRN, "kv", "get", "cli/env"], capture_output=True, env=env, timeout=30)
    assert p.returncode == 0 and p.stdout == b"from-env"


def test_status(cluster):
    cluster.start(3)
    leader = cluster.leader()
    p = cli("status", addr=cluster.nodes[1].http_addr)
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode()
    assert "UP" in out
    assert leader.cluster()["cluster_id"] in out
    for n in cluster.nodes:
        assert n.name in out and n.http_addr in out and n.peer_addr in out
    assert out.count("follower") == 2 and out.count("leader") >= 1
    p = cli("status", "--json", addr=cluster.nodes[2].http_addr)
    assert p.returncode == 0
    body = json.loads(p.stdout)
    assert body["health"]["status"] == "UP"
    assert len(body["cluster"]["nodes"]) == 3
    assert body["cluster"]["cluster_id"] == leader.cluster()["cluster_id"]


def test_status_leader_line(single):
    p = cli("status", addr=single.http_addr)
    line = [l for l in p.stdout.decode().splitlines() if l.startswith("leader")][0]
    assert "{" not in line and single.name in line, line


def test_bench_kv(single):
    p = cli("bench", "kv", "--duration", "2", "--concurrency", "8", "--keys", "100", "--json",
            addr=single.http_addr, timeout=60)
    assert p.returncode == 0, p.stderr
    r = json.loads(p.stdout)
    assert r["ok"] > 0 and r["ok_ops_s"] > 0 and r["throughput_ops_s"] > 0
    assert r["writes"]["ok"] > 0 and r["reads"]["ops"] > 0
    assert 1.5 < r["elapsed_s"] < 10
    # Bench keys exist afterwards.
    assert len(list_all(single, prefix="bench-")) > 0

    p = cli("bench", "kv", "--duration", "2", "--concurrency", "8", addr=single.http_addr,
            timeout=60)
    assert p.returncode == 0, p.stderr
    text = p.stdout.decode()
    nums = [float(w) for line in text.splitlines() if "ops/s" in line
            for w in line.replace(",", " ").split() if w.replace(".", "", 1).isdigit()]
    assert nums and max(nums) > 0, text
