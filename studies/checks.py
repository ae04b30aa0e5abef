"""The preflight of a study (`preflight`: its points and recipes, then what it takes from
outside the command line: the environment's stores, Ray cluster, folders, this machine's CPUs
and GPUs, the data), run before the store, Ray or the data is touched, so that a bad setting
is one line and nothing is written.

Each check raises ValueError (the caller reports it in one line, exit status 2) with what is
wrong and what to do.
"""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
import urllib.parse
from pathlib import Path
from typing import TYPE_CHECKING

from trainers.contract import adapt

from .host import machine_cores
from .study import variant_label

if TYPE_CHECKING:
    from trainers.data import Shape

    from .study import Study

# The tracking-store schemes MLflow accepts (its database engines, a server, Databricks).
TRACKING_SCHEMES = ("sqlite", "postgresql", "mysql", "mssql", "http", "https", "file",
                    "databricks")
CONNECT_TIMEOUT_S = 5.0
SQLITE_HEADER = b"SQLite format 3\x00"


def writable_folder(path: Path, what: str, setting: str) -> None:
    """`path` can be created or written: it is a writable folder, or its nearest existing
    ancestor is (nothing is created here)."""
    probe = path
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        raise ValueError(f"{what} {path}: {probe} is a file, not a folder; set {setting} to a "
                         "folder")
    if not _can_create_in(probe):
        raise ValueError(f"{what} {path} is not writable (nothing can be created in {probe}); "
                         f"set {setting} to a writable folder")


def _can_create_in(folder: Path) -> bool:
    """Whether a file can be made in `folder`, tried rather than asked: `os.access` says yes
    to root everywhere, including read-only mounts and /proc."""
    if not os.access(folder, os.W_OK | os.X_OK):
        return False
    try:
        with tempfile.TemporaryFile(dir=folder):  # removed on close
            return True
    except OSError:
        return False


def sqlite_file(path: Path, what: str, setting: str) -> None:
    """A SQLite store file that is absent (it will be created in a writable folder) or is a
    SQLite database this user can write."""
    writable_folder(path.parent, f"the folder of {what}", setting)
    if not path.exists():
        return
    if path.is_dir():
        raise ValueError(f"{what} {path} is a folder, not a SQLite file; set {setting}")
    try:
        with path.open("rb") as f:
            header = f.read(len(SQLITE_HEADER))
    except OSError as e:
        raise ValueError(f"{what} {path} cannot be read ({e.strerror}); set {setting}") from None
    if header and header != SQLITE_HEADER:  # an empty file is a database SQLite will create
        raise ValueError(f"{what} {path} is not a SQLite database (damaged or another kind of "
                         f"file): move it away and run again, or set {setting}")
    if not os.access(path, os.W_OK):
        raise ValueError(f"{what} {path} is not writable; set {setting} to a writable location")
    if header and _half_migrated(path):
        raise ValueError(f"{what} {path} was left half-created (its schema migration stopped "
                         "midway, e.g. on a full disk): move it away and run again")


def _half_migrated(path: Path) -> bool:
    """Alembic (MLflow's and Optuna's migrations) rebuilds a table as _alembic_tmp_NAME and
    drops it when the step completes: one left over means a migration died midway."""
    import sqlite3

    try:
        with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
            names = db.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    except sqlite3.DatabaseError:
        return True  # a header but no readable schema: damaged as well
    return any(name.startswith("_alembic_tmp_") for (name,) in names)


def sqlite_path(uri: str) -> Path | None:
    """The database file of a SQLite URI (None for another scheme); ValueError if malformed."""
    if not uri.startswith("sqlite:"):
        return None
    rest = uri.removeprefix("sqlite:")
    if not rest.startswith("///"):
        raise ValueError(f"{uri!r} is not a SQLite URI; write sqlite:///path/to/file.db")
    return Path(rest.removeprefix("///").split("?", 1)[0] or ".")


def reachable(host: str | None, port: int, what: str, fix: str) -> None:
    """`what` names the service and its address as the user wrote it."""
    try:
        socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as e:
        raise ValueError(f"{what} is not reachable ({e.strerror or e}); {fix}") \
            from None


def tracking_store(uri: str) -> None:
    """MLFLOW_TRACKING_URI (or the default ./mlruns.db): a scheme MLflow knows; a reachable
    server; a writable SQLite database."""
    scheme = urllib.parse.urlsplit(uri).scheme.split("+", 1)[0]
    if scheme not in TRACKING_SCHEMES:
        raise ValueError(f"MLFLOW_TRACKING_URI={uri!r}: unknown scheme {scheme!r}; use "
                         "sqlite:///path/to/mlruns.db, http://host:port or another of "
                         f"{', '.join(TRACKING_SCHEMES)}")
    if scheme in ("http", "https"):
        url = urllib.parse.urlsplit(uri)
        try:
            port = url.port or (443 if scheme == "https" else 80)
        except ValueError:
            raise ValueError(f"MLFLOW_TRACKING_URI={uri!r} has a bad port") from None
        reachable(url.hostname, port, f"tracking server {uri}",
                  "start it (mlflow server ...) or point MLFLOW_TRACKING_URI elsewhere")
    if scheme in ("postgresql", "mysql", "mssql"):
        database_server(uri, "MLFLOW_TRACKING_URI")
    path = sqlite_path(uri)
    if path is not None:
        sqlite_file(path, "tracking store", "MLFLOW_TRACKING_URI")


def study_not_running(study: str, uri: str) -> None:
    """No live driver runs this study already (two would hand out the same trials), as a
    SQLite tracking store with tables says; other stores (and a run that starts after this
    check) are refused by the driver as it takes the study over. Writes nothing: a store
    without tables is not read (MLflow would create them)."""
    from . import tracking

    path = sqlite_path(uri)
    if path is None or not path.is_file() or path.stat().st_size == 0:
        return
    import sqlite3

    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
        if db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'runs'"
                      ).fetchone() is None:
            return
    client = tracking.client()
    exp_id = tracking.find_experiment(client, study)
    if exp_id is None:
        return
    live, _ = tracking.live_and_dead_parents(client, exp_id)
    if live:
        raise ValueError(already_running(study, live[0]))


def already_running(study: str, parent_run) -> str:
    """The refusal of a second driver of `study`, naming the live one's parent run."""
    from .schema import DRIVER

    return (f"study {study} is already running (parent run {parent_run.info.run_id}, driver "
            f"{parent_run.data.tags.get(DRIVER, '?')}); wait for it to finish or stop it, "
            "then run the same command again")


def optuna_storage(url: str) -> None:
    """ATLAS_OPTUNA_STORAGE (or the default ./optuna.db): a database URL SQLAlchemy parses;
    for SQLite, a writable database in an existing folder."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        make_url(url)
    except ArgumentError:
        raise ValueError(f"ATLAS_OPTUNA_STORAGE={url!r} is not a database URL; use "
                         "sqlite:///path/to/optuna.db or postgresql://...") from None
    database_server(url, "ATLAS_OPTUNA_STORAGE")
    path = sqlite_path(url)
    if path is not None:
        if not path.parent.is_dir():
            raise ValueError(f"ATLAS_OPTUNA_STORAGE={url!r}: folder {path.parent} does not "
                             "exist; create it or choose another")
        sqlite_file(path, "Optuna store", "ATLAS_OPTUNA_STORAGE")


# The servers' usual ports, where a database URL names none.
DATABASE_PORTS = {"postgresql": 5432, "mysql": 3306, "mssql": 1433}


def database_server(url: str, setting: str) -> None:
    """A database URL other than SQLite: its driver is installed (`make install` installs
    PostgreSQL's, psycopg) and its server reachable. The password is never shown."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError

    try:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
        if backend == "sqlite":
            return
        shown = parsed.render_as_string(hide_password=True)
        parsed.get_dialect().import_dbapi()
    except (ArgumentError, NoSuchModuleError) as e:
        raise ValueError(f"{setting}: {e}") from None
    except ImportError as e:
        raise ValueError(f"{setting}={shown}: no driver for {parsed.drivername} is installed "
                         f"({e}); `make install` installs PostgreSQL's (psycopg); for "
                         f"{backend}, pip install its driver") from None
    port = parsed.port or DATABASE_PORTS.get(backend)
    if port is None:
        return
    reachable(parsed.host or "localhost", port, f"database server of {setting}={shown}",
              f"start it or point {setting} elsewhere")


def ray_address(address: str | None) -> None:
    """RAY_ADDRESS, when set to a cluster's host:port (or ray://host:port): reachable within a
    few seconds, rather than Ray's minutes of retries."""
    if not address or address in ("auto", "local"):
        return
    url = urllib.parse.urlsplit(address if "://" in address else f"ray://{address}")
    try:
        port = url.port
    except ValueError:
        port = None
    if not url.hostname or port is None:
        raise ValueError(f"RAY_ADDRESS={address!r} is not host:port (e.g. 127.0.0.1:6379)")
    what = f"Ray cluster at RAY_ADDRESS {address}"
    fix = "start it (ray start --head) or unset RAY_ADDRESS to run on this machine"
    reachable(url.hostname, port, what, fix)
    if os.environ.get("RAY_USE_TLS", "0") in ("0", ""):  # with TLS, the handshake comes first
        answer = http2_answer(url.hostname, port)
        if answer is not None:
            raise ValueError(f"{what}: something listens there but is not Ray ({answer}); "
                             "use the address `ray start --head` printed, or unset RAY_ADDRESS "
                             "to run on this machine")


# An HTTP/2 client's connection preface and an empty SETTINGS frame (RFC 9113, 3.4 and 6.5).
_HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])


def http2_answer(host: str, port: int) -> str | None:
    """None when host:port answers as a gRPC server does (Ray's GCS and its client server
    speak gRPC: HTTP/2, whose server replies to a client's preface with a SETTINGS frame), else
    what it did instead. Ray itself would wait minutes on a port where something else listens."""
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S) as conn:
            conn.sendall(_HTTP2_PREFACE)
            head = b""
            while len(head) < 9:
                chunk = conn.recv(9 - len(head))
                if not chunk:
                    break
                head += chunk
    except TimeoutError:
        return f"no answer within {CONNECT_TIMEOUT_S:g} s"
    except OSError as e:
        return f"the connection failed: {e.strerror or e}"
    if len(head) == 9 and head[3] == 4:  # a frame of type SETTINGS
        return None
    if not head:
        return "it closed the connection"
    shown = head.split(b"\r\n")[0].decode("ascii", "replace")
    return f"it answered {shown!r}"


def local_resources(cpus_per_trial: int, gpus_per_trial: float, budget_name: str) -> None:
    """A trial's CPUs and GPUs exist on this machine (a local Ray would wait for them
    forever). Not checked against a cluster (RAY_ADDRESS): its nodes are not known here."""
    cpus = machine_cores()
    if cpus_per_trial > cpus:
        raise ValueError(f"cpus_per_trial={cpus_per_trial} but this machine has {cpus} CPU(s); "
                         f"--set cpus_per_trial={cpus} or fewer")
    if gpus_per_trial > 0:
        import torch

        gpus = torch.cuda.device_count()
        if gpus == 0:
            raise ValueError(f"the {budget_name} budget asks {gpus_per_trial:g} GPU per trial "
                             "and this machine has none; use --budget quick or --set "
                             "gpus_per_trial=0")
        if gpus_per_trial > gpus:
            raise ValueError(f"gpus_per_trial={gpus_per_trial:g} but this machine has {gpus} "
                             "GPU(s)")


def preflight(study: Study, budget_name: str) -> None:
    """Everything that can be checked before any trial starts (a local Ray starts beside these
    checks: ray_setup.start_beside), cheapest first and before anything is written: points,
    the recipe against the data's size, the stores, folders and cluster the environment
    names, this machine's CPUs and GPUs, and last the data itself. Raises ValueError or
    OSError (the first line names what is wrong)."""
    from trainers.data import load, parse, recipe_split

    from . import tracking
    from .locations import atlas_folder, optuna_storage_url

    study.validate(budget_name)
    shape = parse(study.dataset).shape
    points = study.grid_points(budget_name) or [{}]
    if shape is not None:
        distinct_points(study, budget_name, points, shape)
    tracking_store(tracking.tracking_uri())
    study_not_running(study.name, tracking.tracking_uri())
    if study.kind == "search":
        optuna_storage(optuna_storage_url())
    writable_folder(atlas_folder(), "ATLAS_HOME (checkpoints, Ray's results)", "ATLAS_HOME")
    budget = study.budget(budget_name)
    if os.environ.get("RAY_ADDRESS"):
        ray_address(os.environ["RAY_ADDRESS"])
    else:
        local_resources(budget.trial_cpus(), budget.gpus_per_trial, budget_name)
    data = load(study.dataset)  # a missing dataset fails here, saying how to get it
    for params in points:  # every trial's recipe fits it
        recipe_split(study.trial_recipe(params, budget_name), len(data.train_labels))


def distinct_points(study: Study, budget_name: str, points: list[dict], shape: Shape
                    ) -> None:
    """Every variant's point adapts to the data and validates at its input size, its batch fits
    the data's training images, and no two variants train the same net with the same recipe."""
    from trainers.data import recipe_split

    base = study.base_net
    trained_as: dict[tuple[str, str], str] = {}  # (net key, recipe) -> variant
    for params in points:
        net = study.point(params, budget_name) if params else base
        recipe = study.trial_recipe(params, budget_name)
        label = variant_label(params) if params else ""
        try:
            adapted = adapt(net, shape.input_size, shape.num_classes, recipe)
            adapted.validate(shape.input_size)
        except ValueError as e:  # named as study.point names its own errors
            variant = f", variant {label}" if label else ""
            raise ValueError(f"study {study.name}{variant}: {e}") from None
        recipe_split(recipe, shape.train)  # its batch fits its images: before the data
        same = (adapted.key(), repr(recipe.replace(seed=0)))
        if label and same in trained_as:  # one net would count as two variants
            raise ValueError(
                f"study {study.name}: variants {trained_as[same]} and {label} train "
                f"the same net with the same recipe on {study.dataset} (a value with "
                "no effect there); drop one")
        trained_as.setdefault(same, label)
