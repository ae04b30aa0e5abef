"""A lock around creating a SQLite store (MLflow's, Optuna's).

Two studies started at once on a new store would both create its tables and run its
migrations, and the second fails ("duplicate column name"). Whoever holds the lock creates the
store; the other waits, then finds it made. The lock is a file beside the database
(`mlruns.db.lock`), held with flock, so a killed process releases it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import uuid
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


@contextlib.contextmanager
def complete_or_absent(uri: str) -> Iterator[str]:
    """The URI to create a new SQLite store at: a temporary file beside it, renamed into place
    once `with` ends without error, so an interrupted or failed creation (a full disk during the
    migrations) leaves no half-made store. Call under `sqlite_store_lock`. An existing store,
    or a URI of another kind, is used as it is."""
    if not uri.startswith(SQLITE_PREFIX):
        yield uri
        return
    path = Path(uri.removeprefix(SQLITE_PREFIX))
    if path.exists():
        yield uri
        return
    for stale in path.parent.glob(f".{path.name}.creating-*"):  # left by a killed creation
        stale.unlink(missing_ok=True)  # (safe: the caller holds the store's lock)
    # A fresh name each time: MLflow caches a store per URI, and a cached store would not
    # recreate a temporary file that a failed attempt removed.
    tmp = path.with_name(f".{path.name}.creating-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        yield SQLITE_PREFIX + str(tmp)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
