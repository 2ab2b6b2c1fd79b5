"""A private PostgreSQL 15 server for tests that compare Cairn with the real thing (the SQL
differential suite, pgbench comparisons): initdb into a temp dir, postgres on 127.0.0.1 with a
free port and its own unix socket dir, stopped by pid at the end.

Running as root (CI containers): initdb and postgres refuse to run as root, so both run as an
unprivileged user through `setpriv --reuid --regid --clear-groups` (util-linux, on every Debian;
it execs, so the pid we hold is the postmaster's own). The user is $CAIRN_PG_USER, else `nobody`
(present on a fresh Debian). Its files live in a tempfile.mkdtemp() dir chowned to it: pytest's
tmp_path is under /tmp/pytest-of-root (mode 0700), which that user could not enter.

Use from a test: the session fixture `pg_server` (registered in conftest.py), or PgServer directly:

    srv = PgServer().start()
    srv.create_database("x")
    conn = srv.connect("x")        # psycopg2 connection
    srv.stop()
"""
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

PG_BIN = os.environ.get("CAIRN_PG_BIN", "/usr/lib/postgresql/15/bin")
PG_SUPERUSER = "postgres"
PG_START_TIMEOUT_S = 30
PG_STOP_TIMEOUT_S = 30


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_available():
    """None when initdb/postgres are installed, else why the tests cannot run."""
    for prog in ("initdb", "postgres"):
        if not os.access(os.path.join(PG_BIN, prog), os.X_OK):
            return "PostgreSQL 15 not installed (%s/%s missing; apt-get install postgresql-15)" % (
                PG_BIN, prog)
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        return "python3-psycopg2 not installed (apt-get install python3-psycopg2)"
    if os.geteuid() == 0:
        user = os.environ.get("CAIRN_PG_USER", "nobody")
        try:
            pwd.getpwnam(user)
        except KeyError:
            return "running as root and user %r (CAIRN_PG_USER) does not exist" % user
        if shutil.which("setpriv") is None:
            return "running as root and setpriv (util-linux) is missing"
    return None


class PgServer:
    """One postmaster. Methods raise AssertionError with the server log's tail on failure."""

    def __init__(self, settings=None):
        self.settings = dict(settings or {})
        self.port = None
        self.proc = None
        self.dir = None
        self.uid = self.gid = None

    @property
    def data_dir(self):
        return os.path.join(self.dir, "data")

    @property
    def socket_dir(self):
        return os.path.join(self.dir, "sock")

    @property
    def log_path(self):
        return os.path.join(self.dir, "postgres.log")

    def _as_user(self, argv):
        if self.uid is None:
            return argv
        return ["setpriv", "--reuid=%d" % self.uid, "--regid=%d" % self.gid,
                "--clear-groups", "--"] + argv

    def _env(self):
        env = {"PATH": "/usr/bin:/bin", "LANG": "C", "LC_ALL": "C", "TZ": "UTC"}
        if self.uid is not None:
            env["HOME"] = self.dir
        return env

    def start(self):
        why = pg_available()
        if why:
            raise AssertionError(why)
        self.dir = tempfile.mkdtemp(prefix="cairn-pg-")
        os.mkdir(self.socket_dir)
        if os.geteuid() == 0:
            pw = pwd.getpwnam(os.environ.get("CAIRN_PG_USER", "nobody"))
            self.uid, self.gid = pw.pw_uid, pw.pw_gid
            for p in (self.dir, self.socket_dir):
                os.chown(p, self.uid, self.gid)
        r = subprocess.run(self._as_user([
            os.path.join(PG_BIN, "initdb"), "-D", self.data_dir, "--locale=C",
            "--encoding=UTF8", "-U", PG_SUPERUSER, "--auth=trust"]),
            capture_output=True, cwd=self.dir, env=self._env(), timeout=120)
        if r.returncode != 0:
            raise AssertionError("initdb failed (%d):\n%s%s" % (
                r.returncode, r.stdout.decode(errors="replace"), r.stderr.decode(errors="replace")))
        last = None
        for _ in range(3):  # a free port can be taken between probe and bind: retry
            self.port = _free_port()
            try:
                self._launch()
                return self
            except AssertionError as e:
                last = e
                self._kill()
                if "Address already in use" not in self._log():
                    raise
        raise last

    def _launch(self):
        opts = {"listen_addresses": "127.0.0.1", "port": str(self.port),
                "unix_socket_directories": self.socket_dir, "timezone": "UTC",
                "max_connections": "40", "logging_collector": "off"}
        opts.update(self.settings)
        argv = [os.path.join(PG_BIN, "postgres"), "-D", self.data_dir]
        for k, v in opts.items():
            argv += ["-c", "%s=%s" % (k, v)]
        log = open(self.log_path, "ab")
        if self.uid is not None:
            os.chown(self.log_path, self.uid, self.gid)
        self.proc = subprocess.Popen(self._as_user(argv), stdout=log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, cwd=self.dir, env=self._env())
        log.close()
        import psycopg2
        deadline = time.time() + PG_START_TIMEOUT_S
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("postgres exited with %s:\n%s" % (self.proc.returncode,
                                                                       self.log_tail()))
            try:
                psycopg2.connect(**self.params("postgres"), connect_timeout=2).close()
                return
            except psycopg2.OperationalError:
                time.sleep(0.05)
        raise AssertionError("postgres did not accept connections in %ss:\n%s" % (
            PG_START_TIMEOUT_S, self.log_tail()))

    def params(self, dbname="postgres"):
        """psycopg2.connect keyword arguments for a TCP connection to dbname."""
        return {"host": "127.0.0.1", "port": self.port, "user": PG_SUPERUSER, "dbname": dbname}

    def dsn(self, dbname="postgres"):
        return "host=127.0.0.1 port=%d user=%s dbname=%s" % (self.port, PG_SUPERUSER, dbname)

    def connect(self, dbname="postgres", autocommit=True):
        import psycopg2
        conn = psycopg2.connect(**self.params(dbname), connect_timeout=10)
        conn.autocommit = autocommit
        return conn

    def create_database(self, name):
        """A fresh, empty database `name` (dropped first if it exists)."""
        with _closing(self.connect()) as conn:
            cur = conn.cursor()
            cur.execute('DROP DATABASE IF EXISTS "%s"' % name)
            cur.execute('CREATE DATABASE "%s" TEMPLATE template0' % name)

    def drop_database(self, name):
        with _closing(self.connect()) as conn:
            conn.cursor().execute('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)

    def _log(self):
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except (OSError, TypeError):
            return ""

    def log_tail(self, n=40):
        return "\n".join(self._log().splitlines()[-n:])

    def _kill(self):
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self):
        """Fast shutdown (SIGINT to the postmaster: roll back sessions, checkpoint, exit), then
        SIGQUIT and SIGKILL if it hangs. Removes the directory."""
        if self.proc is not None and self.proc.poll() is None:
            for sig, wait_s in ((signal.SIGINT, PG_STOP_TIMEOUT_S), (signal.SIGQUIT, 10),
                                (signal.SIGKILL, 10)):
                os.kill(self.proc.pid, sig)
                try:
                    self.proc.wait(wait_s)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None


class _closing:
    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        return self.conn

    def __exit__(self, *exc):
        self.conn.close()


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL 15 server shared by the whole session; tests make their own databases
    (create_database) so they do not see each other. Skips when PostgreSQL is not installed."""
    why = pg_available()
    if why:
        pytest.skip(why)
    srv = PgServer().start()
    yield srv
    srv.stop()
