"""A PostgreSQL primary and its streaming replica, started for a test in temporary folders.

Two clusters of their own on free ports, made with the PostgreSQL binaries (``initdb``,
``pg_ctl``, ``pg_basebackup -R``): the shared server and its configuration are never touched.
The primary gets a copy of the test database (schema and rows, ``pg_dump``) before the replica is
cloned from it, so both start with what the migrations made. PostgreSQL refuses to run as root:
under root the server commands run as the ``postgres`` user (``runuser``).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from django.db import connections

PGBIN = Path(os.environ.get("PGBIN", "/usr/lib/postgresql/15/bin"))
DATABASE = "loanflow"
TIMEOUT = 30.0  # seconds to wait for a server, for streaming, for a replay


class PairStartError(RuntimeError):
    """The pair could not be started on this machine."""


def missing_binaries() -> str | None:
    for name in ("initdb", "pg_ctl", "pg_basebackup", "pg_dump", "psql"):
        if not (PGBIN / name).exists():
            return f"needs the PostgreSQL binaries: {PGBIN / name} is missing (set PGBIN)"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str], **kwargs: Any) -> None:
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=TIMEOUT * 2, check=False, **kwargs
    )
    if result.returncode != 0:
        raise PairStartError(f"{' '.join(command)} failed:\n{result.stdout}{result.stderr}")


@dataclass
class Pair:
    root: Path
    primary_port: int = field(default_factory=_free_port)
    replica_port: int = field(default_factory=_free_port)
    started: list[Path] = field(default_factory=list)

    def connect(self, port: int) -> psycopg.Connection[Any]:
        return psycopg.connect(
            host="127.0.0.1", port=port, user="postgres", dbname=DATABASE, autocommit=True
        )

    def primary(self) -> psycopg.Connection[Any]:
        return self.connect(self.primary_port)

    def replica(self) -> psycopg.Connection[Any]:
        return self.connect(self.replica_port)

    def start_server(self, data: Path, port: int) -> None:
        _run(
            _as_server_user(
                [
                    str(PGBIN / "pg_ctl"),
                    "-D",
                    str(data),
                    "-l",
                    str(data.parent / f"{data.name}.log"),
                    "-w",
                    "-t",
                    str(int(TIMEOUT)),
                    "-o",
                    (
                        f"-h 127.0.0.1 -p {port} -k {self.root} -c fsync=off "
                        "-c full_page_writes=off -c shared_buffers=16MB"
                    ),
                    "start",
                ]
            )
        )
        self.started.append(data)

    def wait_for_streaming(self) -> None:
        with self.primary() as primary:
            deadline = time.monotonic() + TIMEOUT
            while time.monotonic() < deadline:
                row = primary.execute("SELECT state FROM pg_stat_replication").fetchone()
                if row and row[0] == "streaming":
                    return
                time.sleep(0.05)
        raise PairStartError("the replica did not start streaming from the primary")

    def wait_for_replay(self) -> None:
        """Until the replica has replayed everything the primary has written so far."""
        with self.primary() as primary, self.replica() as replica:
            (target,) = primary.execute("SELECT pg_current_wal_lsn()").fetchone()  # type: ignore[misc]
            deadline = time.monotonic() + TIMEOUT
            while time.monotonic() < deadline:
                (caught_up,) = replica.execute(
                    "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target]
                ).fetchone()  # type: ignore[misc]
                if caught_up:
                    return
                time.sleep(0.02)
        raise PairStartError(f"the replica did not replay up to {target}")

    @contextmanager
    def replay_paused(self) -> Iterator[None]:
        """The replica keeps receiving the primary's changes but stops applying them: it is
        behind, as a lagging replica is, until the block ends."""
        self.wait_for_replay()
        with self.replica() as replica:
            replica.execute("SELECT pg_wal_replay_pause()")
        try:
            yield
        finally:
            with self.replica() as replica:
                replica.execute("SELECT pg_wal_replay_resume()")

    def stop_replica(self) -> None:
        replica = self.root / "replica"
        _run(_as_server_user([str(PGBIN / "pg_ctl"), "-D", str(replica), "-m", "fast", "stop"]))
        self.started.remove(replica)

    def start_replica(self) -> None:
        self.start_server(self.root / "replica", self.replica_port)
        self.wait_for_streaming()

    def stop(self) -> None:
        for data in reversed(self.started):
            with suppress(PairStartError, subprocess.TimeoutExpired):
                _run(
                    _as_server_user(
                        [str(PGBIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
                    )
                )
        self.started.clear()
        shutil.rmtree(self.root, ignore_errors=True)


@contextmanager
def started_pair(source: dict[str, Any] | None) -> Iterator[Pair]:
    """A primary holding a copy of the database ``source`` (Django settings; an empty database
    without one), and its replica, streaming; both stopped and removed at the end."""
    root = Path(tempfile.mkdtemp(prefix="loanflow-replica-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres")
    pair = Pair(root)
    try:
        primary, replica = root / "primary", root / "replica"
        _run(
            _as_server_user(
                [
                    str(PGBIN / "initdb"),
                    "-D",
                    str(primary),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ]
            )
        )
        pair.start_server(primary, pair.primary_port)
        _copy_database(source, pair.primary_port)
        _run(
            _as_server_user(
                [
                    str(PGBIN / "pg_basebackup"),
                    "-h",
                    "127.0.0.1",
                    "-p",
                    str(pair.primary_port),
                    "-U",
                    "postgres",
                    "-D",
                    str(replica),
                    "-R",
                    "-X",
                    "stream",
                    "--checkpoint=fast",
                    "--no-sync",
                ]
            )
        )
        pair.start_server(replica, pair.replica_port)
        pair.wait_for_streaming()
        yield pair
    finally:
        pair.stop()


def _copy_database(source: dict[str, Any] | None, port: int) -> None:
    _run(
        [
            str(PGBIN / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-qc",
            f"CREATE DATABASE {DATABASE}",
        ]
    )
    if source is None:
        return
    env = {**os.environ, "PGPASSWORD": source.get("PASSWORD") or ""}
    dump = subprocess.run(
        [
            str(PGBIN / "pg_dump"),
            "-h",
            source["HOST"] or "127.0.0.1",
            "-p",
            str(source["PORT"] or 5432),
            "-U",
            source["USER"] or "postgres",
            "--no-owner",
            "--no-privileges",
            source["NAME"],
        ],
        capture_output=True,
        timeout=TIMEOUT * 2,
        check=False,
        env=env,
    )
    if dump.returncode != 0:
        raise PairStartError(f"pg_dump of {source['NAME']} failed: {dump.stderr.decode()}")
    _run(
        [
            str(PGBIN / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "postgres",
            "-d",
            DATABASE,
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
        ],
        input=dump.stdout.decode(),
    )


def _close(alias: str) -> None:
    wrapper = connections[alias]
    wrapper.close()
    if getattr(wrapper, "pool", None) is not None:
        wrapper.close_pool()  # type: ignore[attr-defined]  # not in django-stubs
    del connections[alias]


@contextmanager
def django_on(pair: Pair) -> Iterator[None]:
    """Django's ``default`` is the pair's primary and ``replica`` its replica, as with
    ``DATABASE_URL`` and ``DATABASE_REPLICA_URL`` set; the test database again at the end."""
    original = connections.settings["default"]
    _close("default")
    primary = {**original, "HOST": "127.0.0.1", "PORT": pair.primary_port, "NAME": DATABASE}
    # A mirror, as in the settings: tests never create, flush or migrate it.
    replica = {
        **primary,
        "PORT": pair.replica_port,
        "TEST": {**original["TEST"], "MIRROR": "default"},
    }
    connections.settings["default"] = primary
    connections.settings["replica"] = replica
    try:
        yield
    finally:
        _close("default")
        _close("replica")
        del connections.settings["replica"]
        connections.settings["default"] = original
