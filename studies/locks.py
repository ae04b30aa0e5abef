"""A lock around creating a SQLite store (MLflow's, Optuna's).

Two studies started at once on a new store would both create its tables and run its
migrations, and the second fails ("duplicate column name"). Whoever holds the lock creates the
store; the other waits, then finds it made. The lock is a file beside the database
(`mlruns.db.lock`), held with flock, so a killed process releases it.
"""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

SQLITE_PREFIX = "sqlite:///"


@contextlib.contextmanager
def sqlite_store_lock(uri: str) -> Iterator[None]:
    """Hold an exclusive lock for the SQLite database at `uri`; other URIs need none."""
    if not uri.startswith(SQLITE_PREFIX):
        yield
        return
    path = Path(uri.removeprefix(SQLITE_PREFIX))
    with open(path.with_name(path.name + ".lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
