"""Black-box test harness: real `cairn` processes on loopback, driven over HTTP.

Every node gets free ports and its own data directory under a per-test temp dir.
Processes are stopped by pid (never by name) when the test ends, and a failing
test prints the tail of each node's log.
"""
import os
import signal
import socket
import subprocess
import time

import pytest
import requests

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CAIRN = os.environ.get("CAIRN_BIN", os.path.join(ROOT, "build", "cairn"))

# Fast Raft timing for tests: 50 ms ticks, elections after 0.5-1 s.
FAST = ["--tick-ms", "50", "--election-ticks", "10"]


_handed_out = set()


def free_port():
    """A port nothing listens on now, never the same twice in this run: the kernel may give a
    just-closed ephemeral port again, and a node's peer, HTTP and pg ports must differ."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port
    raise RuntimeError("no fresh loopback port")


class Node:
    def __init__(self, workdir, name, join=None, extra=None):
        self.name = name
        self.data_dir = os.path.join(workdir, name)
        self.peer_port = free_port()
        self.http_port = free_port()
        self.pg_port = free_port()
        self.join = join
        self.extra = list(extra or [])
        self.log_path = os.path.join(workdir, name + ".log")
        self.proc = None

    @property
    def peer_addr(self):
        return "127.0.0.1:%d" % self.peer_port

    @property
    def http_addr(self):
        return "127.0.0.1:%d" % self.http_port

    def url(self, path):
        return "http://%s%s" % (self.http_addr, path)

    def argv(self):
        a = [CAIRN, "run", "--name", self.name, "--data-dir", self.data_dir,
             "--listen", self.peer_addr, "--http", self.http_addr] + FAST + self.extra
        if "--pg" not in self.extra:
            a += ["--pg", "127.0.0.1:%d" % self.pg_port]
        if self.join:
            a += ["--join", self.join]
        return a

    def start(self):
        assert self.proc is None or self.proc.poll() is not None
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv(), stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        log.close()
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill(self):
        """SIGKILL: a crash. Nothing is flushed or handed off."""
        if self.alive():
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def terminate(self, timeout=20):
        """SIGTERM: graceful stop. Returns the exit code."""
        if not self.alive():
            return self.proc.returncode if self.proc else None
        os.kill(self.proc.pid, signal.SIGTERM)
        return self.proc.wait(timeout)

    def health(self):
        try:
            return requests.get(self.url("/health"), timeout=2).json()
        except (requests.RequestException, ValueError):
            return None

    def wait_up(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self.alive():
                raise AssertionError("%s exited with %s:\n%s" % (self.name, self.proc.returncode,
                                                                 self.log_tail()))
            h = self.health()
            if h and h.get("status") == "UP":
                return h
            time.sleep(0.05)
        raise AssertionError("%s not UP after %ss:\n%s" % (self.name, timeout, self.log_tail()))

    def log_tail(self, n=40):
        try:
            with open(self.log_path, "rb") as f:
                return b"".join(f.readlines()[-n:]).decode("utf-8", "replace")
        except OSError:
            return ""

    def cluster(self):
        return requests.get(self.url("/v1/cluster"), timeout=5).json()

    def sanitizer_reports(self):
        """Lines of ASan/UBSan/LSan reports in the node's log (a CAIRN_BIN built with
        -DCAIRN_SANITIZE=ON); always empty for a release binary."""
        try:
            with open(self.log_path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            return []
        return [l for l in text.splitlines()
                if "ERROR: AddressSanitizer" in l or "ERROR: LeakSanitizer" in l
                or "runtime error:" in l or l.startswith("SUMMARY: ")]


class Cluster:
    def __init__(self, workdir):
        self.workdir = workdir
        self.nodes = []

    def add(self, name=None, join=True, extra=None):
        name = name or "n%d" % (len(self.nodes) + 1)
        j = None
        if join and self.nodes:
            j = ",".join(n.peer_addr for n in self.nodes if n.alive()) or self.nodes[0].peer_addr
        node = Node(self.workdir, name, join=j, extra=extra)
        self.nodes.append(node)
        return node

    def start(self, count, extra=None, rf=None):
        """Bootstraps the first node, then joins the rest one by one. The
        replication factor (fixed at bootstrap) is min(count, 3) unless given,
        so the first three nodes form one replicaset holding every key."""
        rf = rf if rf is not None else min(count, 3)
        for i in range(count):
            node_extra = list(extra or [])
            if i == 0 and not self.nodes:
                node_extra += ["--replication-factor", str(rf)]
            node = self.add(extra=node_extra).start()
            node.wait_up()
        self.wait_voters(min(count, 5) if count != 4 else 3)
        if count >= rf:
            self.wait_kv_ready()
            self.wait_replicaset_formed(rf)
        return self

    def wait_replicaset_formed(self, rf, timeout=30, group=2):
        """Waits until every member of a replicaset (the first: group 2) sees rf voters in it:
        until then, losing one of its first voters could stall it, as Raft must."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            seen = []
            for n in self.live():
                try:
                    text = requests.get(n.url("/metrics"), timeout=5).text
                except requests.RequestException:
                    continue
                for line in text.splitlines():
                    if line.startswith('cairn_raft_voters{group="%d"}' % group):
                        seen.append(int(float(line.split()[-1])))
            if len(seen) >= rf and all(v == rf for v in seen):
                return
            time.sleep(0.1)
        raise AssertionError("group %d never reached %d voters on every member" % (group, rf))

    def wait_kv_ready(self, timeout=30):
        """Waits until a replicaset owns the buckets and serves writes."""
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                r = requests.put(self.live()[0].url("/v1/kv/__ready"), data=b"1", timeout=5)
                if r.status_code == 200:
                    requests.delete(self.live()[0].url("/v1/kv/__ready"), timeout=5)
                    return
                last = r.text
            except requests.RequestException as e:
                last = str(e)
            time.sleep(0.1)
        raise AssertionError("the cluster never served writes: %s" % last)

    def live(self):
        return [n for n in self.nodes if n.alive()]

    def leader(self, timeout=20):
        """The node every live node agrees leads (waits for agreement)."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            ids = set()
            for n in self.live():
                h = n.health()
                ids.add(h.get("leader") if h else None)
            if len(ids) == 1 and None not in ids and 0 not in ids:
                lid = ids.pop()
                for n in self.live():
                    if n.health().get("node_id") == lid:
                        return n
            time.sleep(0.1)
        raise AssertionError("no agreed leader:\n" + "\n".join(
            "%s: %s" % (n.name, n.health()) for n in self.live()))

    def wait_voters(self, count, timeout=60):
        deadline = time.time() + timeout
        last = None
        while time.time() < deadline:
            try:
                c = self.live()[0].cluster()
                last = c
                voters = [x for x in c["nodes"] if x["role"] in ("leader", "follower")]
                if len(voters) >= count:
                    return c
            except (requests.RequestException, ValueError, IndexError):
                pass
            time.sleep(0.1)
        raise AssertionError("expected %d voters, cluster is %s" % (count, last))

    def stop_all(self):
        for n in self.nodes:
            n.kill()

    def check_sanitizers(self):
        bad = ["%s: %s" % (n.name, l) for n in self.nodes for l in n.sanitizer_reports()]
        assert not bad, "sanitizer reports in node logs:\n" + "\n".join(bad)


@pytest.fixture
def cluster(tmp_path, request):
    c = Cluster(str(tmp_path))
    yield c
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        for n in c.nodes:
            print("---- %s log ----\n%s" % (n.name, n.log_tail(80)))
    c.stop_all()
    c.check_sanitizers()


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    """One single-node cluster shared by a module's tests (each test uses its own keys)."""
    c = Cluster(str(tmp_path_factory.mktemp("single")))
    c.start(1)
    yield c.nodes[0]
    if c.nodes[0].alive() is False:
        print("---- %s log ----\n%s" % (c.nodes[0].name, c.nodes[0].log_tail(80)))
    c.stop_all()
    c.check_sanitizers()


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


# The PostgreSQL 15 reference server (session-scoped) for differential tests: pgfixture.py.
from pgfixture import pg_server  # noqa: E402,F401
