"""Stores for the tests: a fresh SQLite file, or a fresh database on a PostgreSQL server
that the tests start themselves (the ``pgserver`` package), skipped only where it cannot start."""

from __future__ import annotations

import itertools
import os
import shutil
import sys
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from qualscale.delivery import Delivery
from qualscale.records import Decision, Outcome, Record

_names = itertools.count()


def record(id: str, date: str | None, *outcomes: Outcome, standard: str | None = "S2") -> Record:
    """A record of delivery ``id`` dated ``date``, decided at ``standard``."""
    decision = (
        Decision(standard=standard, rank=int(standard[1:]), size="small", risk="low")
        if standard
        else None
    )
    return Record(Delivery(id=id, date=date), decision, outcomes=outcomes)


def _pg_server(tmp: Path) -> object:
    if sys.platform == "win32":
        pytest.skip("pgserver does not run PostgreSQL on Windows")
    os.environ.setdefault("XDG_RUNTIME_DIR", str(tmp))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pgserver
            import psycopg  # noqa: F401
    except ImportError as exc:
        pytest.skip(f"PostgreSQL tests need pgserver and psycopg (pip install -e '.[test]'): {exc}")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server: object = pgserver.get_server(  # type: ignore[attr-defined]
                tmp / "pgdata", cleanup_mode="stop"
            )
            return server
    except Exception as exc:
        pytest.skip(f"a PostgreSQL server could not be started here: {exc}")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[object]:
    """A PostgreSQL server for the session, stopped and removed at the end.

    Its folder is world-readable: run as root, pgserver runs PostgreSQL as another
    user, who cannot enter pytest's private temporary folders.
    """
    tmp = Path(tempfile.mkdtemp(prefix="qualscale-pg-"))
    tmp.chmod(0o755)
    try:
        server = _pg_server(tmp)
        yield server
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server.cleanup()  # type: ignore[attr-defined]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server: object) -> str:
    """The URL of a new, empty database on the session's server."""
    import psycopg

    name = f"qs_{os.getpid()}_{next(_names)}"
    base: str = pg_server.get_uri()  # type: ignore[attr-defined]
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url: str = pg_server.get_uri(name)  # type: ignore[attr-defined]
    return url


@pytest.fixture(params=["sqlite", "postgresql"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A store target: an SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "history.db")
    url: str = request.getfixturevalue("pg_url")
    return url
