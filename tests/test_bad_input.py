"""Bad input, round two: what a study takes from outside the command line (stores, folders,
cluster addresses, this machine's CPUs and GPUs, data files, study files and their spaces) and
out-of-bounds values. Each case is refused in one line on stderr, exit status 2, before Ray
starts, and the working folder (and the data folder) is left as it was."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from studies.__main__ import main

TINY = ["--set", "max_train_images=256", "--set", "max_val_images=128",
        "--set", "max_test_images=128", "--set", "batch_size=64"]
# Longer than any check's own timeout (a connection: 5 s), far shorter than a retry loop.
HANG_S = 20.0

SPACE_FILES = {
    "not_a_net.py": "STUDY = __import__('studies').STUDIES['width_vs_depth'].__class__("
                    "name='not_a_net', claim='c', source='s', base='resnet20', "
                    "space=lambda trial, base: 'a string', grid={'x': (1, 2)})\n",
    "space_raises.py": "def space(trial, base):\n    raise RuntimeError('my bug')\n"
                       "STUDY = __import__('studies').STUDIES['width_vs_depth'].__class__("
                       "name='space_raises', claim='c', source='s', base='resnet20', "
                       "space=space, grid={'x': (1, 2)})\n",
    "exits.py": "import sys\nsys.exit('bye')\n",
    "exits_3.py": "raise SystemExit(3)\n",
    "bad_field.py": "STUDY = __import__('studies').STUDIES['width_vs_depth'].__class__("
                    "name='bad_field', claim='c', source='s', base='resnet20', "
                    "space=lambda t, b: b, grid={'x': (1, 2)}, max_params='lots')\n",
}


def random_bytes_db(workdir: Path) -> None:
    (workdir / "mlruns.db").write_bytes(bytes(range(256)) * 16)


def half_migrated_db(workdir: Path) -> None:
    with sqlite3.connect(workdir / "mlruns.db") as db:  # what a migration cut short leaves
        db.execute("CREATE TABLE experiments (id INTEGER)")
        db.execute("CREATE TABLE _alembic_tmp_runs (id INTEGER)")


def damaged_cache(data: Path) -> None:
    raw = data / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    (raw / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03" + bytes(100))


CASES = {
    # study fields and bounds
    "max_params not a number": ({}, ["--set", "max_params=abc"],
                                "Study.max_params='abc' is not an integer"),
    "max_macs negative": ({}, ["--set", "max_macs=-5"], "Study.max_macs=-5 must be a positive"),
    "width_mult infinite": ({}, ["--set", "net.width_mult=inf"],
                            "width_mult=inf is not a finite number"),
    "expansion overflowing": ({}, ["--set", "net.width_mult=1e308"],
                              "width_mult=1e+308 must be in (0, 1e+06]"),
    "depth_mult huge": ({}, ["--set", "net.depth_mult=1e9"], "depth_mult=1000000000.0 must be"),
    "too many blocks": ({}, ["--set", "net.depth_mult=1000"], "above the limit of 5000"),
    "seeds huge": ({}, ["--set", "seeds=1000000", "--set", "max_seeds=0"],
                   "Budget.seeds=1000000 is above the limit of 1000"),
    "trials huge": ({}, ["--set", "trials=1000000"], "Budget.trials=1000000 is above"),
    "gpus not a number": ({}, ["--set", "gpus_per_trial=abc"], "Budget.gpus_per_trial='abc'"),
    "split_seed huge": ({}, ["--set", "split_seed=99999999999999999999"],
                        "Recipe.split_seed=99999999999999999999 must be in [0, 2**63)"),
    "batch above the images": ({}, ["--set", "batch_size=99999999"],
                               "Recipe.batch_size=99999999 exceeds the"),
    "images below a batch": ({}, ["--set", "max_train_images=10"],
                             "Recipe.batch_size=64 exceeds the 10 training images"),
    # this machine
    "more CPUs than the machine": ({}, ["--set", "cpus_per_trial=10000"],
                                   "cpus_per_trial=10000 but this machine has"),
    # the environment's stores, folders and cluster
    "unknown tracking scheme": ({"MLFLOW_TRACKING_URI": "foo://bar"}, [],
                                "unknown scheme 'foo'"),
    "tracking store random bytes": ({"setup": random_bytes_db}, [],
                                    "mlruns.db is not a SQLite database"),
    "tracking store half-migrated": ({"setup": half_migrated_db}, [],
                                     "mlruns.db was left half-created"),
    "sqlite URI without a path": ({"MLFLOW_TRACKING_URI": "sqlite:relative.db"}, [],
                                  "is not a SQLite URI"),
    "optuna storage garbage": ({"ATLAS_OPTUNA_STORAGE": "garbage"}, ["nas"],
                               "ATLAS_OPTUNA_STORAGE='garbage' is not a database URL"),
    "optuna storage folder missing": ({"ATLAS_OPTUNA_STORAGE": "sqlite:////no/such/dir/o.db"},
                                      ["nas"], "folder /no/such/dir does not exist"),
    "unwritable ATLAS_HOME": ({"ATLAS_HOME": "/proc/atlas"}, [], "ATLAS_HOME"),
    "postgres tracking store unreachable": (
        {"MLFLOW_TRACKING_URI": "postgresql://me:secret@127.0.0.1:9/mlflow"}, [],
        "database server of MLFLOW_TRACKING_URI=postgresql://me:***@127.0.0.1:9/mlflow is "
        "not reachable"),
    "postgres Optuna store unreachable": (
        {"ATLAS_OPTUNA_STORAGE": "postgresql://me:secret@127.0.0.1:9/optuna"}, ["nas"],
        "database server of ATLAS_OPTUNA_STORAGE=postgresql://me:***@127.0.0.1:9/optuna"),
    "postgres store without a port": (
        {"ATLAS_OPTUNA_STORAGE": "postgresql://me@127.0.0.1/optuna"}, ["nas"],
        "127.0.0.1/optuna is not reachable"),
    "mysql store without its driver": (
        {"MLFLOW_TRACKING_URI": "mysql://me:secret@127.0.0.1:9/mlflow"}, [],
        "no driver for mysql is installed (No module named 'MySQLdb')"),
    "unknown database driver": (
        {"ATLAS_OPTUNA_STORAGE": "postgresql+nosuch://me@127.0.0.1/optuna"}, ["nas"],
        "ATLAS_OPTUNA_STORAGE: Can't load plugin"),
    "unreachable RAY_ADDRESS": ({"RAY_ADDRESS": "127.0.0.1:9"}, [],
                                "Ray cluster at RAY_ADDRESS 127.0.0.1:9 is not reachable"),
    "malformed RAY_ADDRESS": ({"RAY_ADDRESS": "nonsense"}, [], "is not host:port"),
    # study files and their spaces
    "space returns a string": ({}, ["{files}/not_a_net.py"], "its space returned str, not a Net"),
    "space raises": ({}, ["{files}/space_raises.py"],
                     "its space raised RuntimeError: my bug"),
    "file exits at import": ({}, ["{files}/exits.py"], "exits.py: SystemExit: bye"),
    "file raises SystemExit": ({}, ["{files}/exits_3.py"], "exits_3.py: SystemExit: 3"),
    "file with a mistyped field": ({}, ["{files}/bad_field.py"],
                                   "Study.max_params='lots' is not an integer"),
    # data files
    "damaged data file": ({"data": damaged_cache}, [], "train-images-idx3-ubyte is damaged"),
}


@pytest.fixture
def space_files(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("space-files")
    for name, text in SPACE_FILES.items():
        (folder / name).write_text(text)
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else b"<dir>"
            for p in sorted(folder.rglob("*"))}


@pytest.mark.parametrize("case", sorted(CASES))
def test_outside_input_is_refused_in_one_line_before_anything_runs(
        case, workdir, space_files, tmp_path_factory, monkeypatch, capsys):
    from trainers.data import fashion_mnist

    env, args, message = CASES[case]
    data = tmp_path_factory.mktemp("data")
    monkeypatch.setenv("ATLAS_DATA", str(data))
    if "data" in env:  # the damaged file is the only copy: no system dataset to rebuild from
        monkeypatch.setattr(fashion_mnist, "SYSTEM_DATASETS", tmp_path_factory.mktemp("none"))
        env["data"](data)
    else:  # a data folder that must stay as it is: nothing copied before a refusal
        monkeypatch.setattr(fashion_mnist, "SYSTEM_DATASETS", fashion_mnist.SYSTEM_DATASETS)
    if "setup" in env:
        env["setup"](workdir)
    for key, value in env.items():
        if key not in ("setup", "data"):
            monkeypatch.setenv(key, value)
    name = args[0].format(files=space_files) if args and not args[0].startswith("--") else None
    argv = ["run", name or "width_vs_depth", *TINY, *(args[1:] if name else args)]
    before, data_before = snapshot(workdir), snapshot(data)
    capsys.readouterr()
    started = time.monotonic()
    assert main(argv) == 2
    # a refusal, not a hang or a retry loop (the bound is loose: this machine is shared)
    assert time.monotonic() - started < HANG_S
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err, err
    assert err.count("\n") == 1, err
    assert "secret" not in err  # a database URL's password is never shown
    assert snapshot(workdir) == before  # no store, no .atlas, nothing half-written
    assert snapshot(data) == data_before  # no data copied before the refusal


@pytest.fixture
def not_ray():
    """A port where something other than Ray listens: `behaviour` picks what it does with a
    connection (answers as an HTTP/1 server, closes it, or says nothing)."""
    import socket
    import threading

    servers = []

    def start(behaviour: str) -> str:
        server = socket.create_server(("127.0.0.1", 0))
        servers.append(server)

        def serve():
            while True:
                try:
                    conn, _ = server.accept()
                except OSError:  # closed at the end of the test
                    return
                if behaviour == "http":
                    conn.recv(1024)
                    conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                if behaviour != "silent":
                    conn.close()
                else:
                    servers.append(conn)  # held open, never answered

        threading.Thread(target=serve, daemon=True).start()
        return f"127.0.0.1:{server.getsockname()[1]}"

    yield start
    for s in servers:
        s.close()


@pytest.mark.parametrize("behaviour", ["http", "close", "silent"])
def test_a_ray_address_where_something_else_listens_is_refused(behaviour, not_ray, workdir,
                                                                monkeypatch, capsys):
    """Ray would retry for minutes (or hang) on a port where something other than its GCS
    listens: preflight asks the port for HTTP/2 (gRPC, which Ray's GCS speaks) first."""
    address = not_ray(behaviour)
    monkeypatch.setenv("RAY_ADDRESS", address)
    started = time.monotonic()
    assert main(["run", "width_vs_depth", *TINY]) == 2
    assert time.monotonic() - started < HANG_S
    err = capsys.readouterr().err
    assert f"Ray cluster at RAY_ADDRESS {address}: something listens there but is not Ray" \
        in err and err.count("\n") == 1, err
    assert list(workdir.iterdir()) == []


def test_a_ray_clusters_address_passes_the_check(shared_ray):
    from studies import checks

    checks.ray_address(shared_ray)  # the session's Ray GCS answers as gRPC does


def test_full_budget_without_a_gpu_is_refused_not_waited_for(workdir, monkeypatch, capsys):
    import torch

    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    assert main(["run", "width_vs_depth", "--budget", "full", *TINY]) == 2
    err = capsys.readouterr().err
    assert "asks 0.25 GPU per trial and this machine has none" in err and err.count("\n") == 1
    assert list(workdir.iterdir()) == []


def test_a_new_store_is_complete_or_absent(workdir, monkeypatch, tmp_path_factory):
    """A creation that fails midway (a full disk during the migrations) leaves no store, and the
    next attempt creates a complete one."""
    from mlflow.tracking import MlflowClient

    from studies import tracking

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("no-template")))

    real = MlflowClient.search_experiments
    calls = []

    def disk_full_once(self, *args, **kwargs):
        calls.append(self._tracking_client.tracking_uri)
        if len(calls) == 1:
            raise OSError(28, "No space left on device")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(MlflowClient, "search_experiments", disk_full_once)
    with pytest.raises(OSError):
        tracking.client()
    assert ".creating" in calls[0]  # the tables were being made under a temporary name
    assert not (workdir / "mlruns.db").exists()
    assert [p.name for p in workdir.iterdir() if p.suffix != ".lock"] == []
    client = tracking.client()
    assert (workdir / "mlruns.db").exists() and client.search_experiments()


def test_a_new_store_is_made_from_an_empty_one_kept_in_the_cache(workdir, monkeypatch,
                                                                 tmp_path_factory):
    """The first new store's tables are kept without experiments in the user's cache; later
    stores are copies, each with MLflow's Default experiment pointing at its own folder, and
    a damaged copy in the cache is replaced, not used."""
    import mlflow

    from studies import tracking

    cache = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("XDG_CACHE_HOME", str(cache))
    template = cache / "backbone-atlas" / f"mlflow-{mlflow.__version__}-empty.db"
    first = tracking.client()
    assert template.exists() and first.search_experiments()[0].name == "Default"
    with sqlite3.connect(template) as db:
        assert db.execute("SELECT COUNT(*) FROM experiments").fetchone() == (0,)
    made = []
    monkeypatch.setattr(tracking, "_keep_empty", lambda store, kept: made.append(store))
    for name, damage in (("second", None), ("third", random_bytes_db)):
        folder = workdir / name
        folder.mkdir()
        monkeypatch.chdir(folder)
        monkeypatch.delenv("MLFLOW_TRACKING_URI")  # set by the last client (mlflow's own)
        if damage:
            damage(template.parent)  # writes mlruns.db there: make it the template
            (template.parent / "mlruns.db").replace(template)
        opened_ms = time.time() * 1000
        client = tracking.client()
        default = client.get_experiment("0")  # made by MLflow for this store, not copied
        assert default.name == "Default" and default.creation_time >= opened_ms - 1
        assert Path(default.artifact_location).parent == folder / "mlruns"
        assert client.create_experiment("x")  # a working store
    assert len(made) == 1  # the damaged template was made again, the good one used as it was


def test_without_a_home_folder_no_cache_is_kept_and_the_store_is_made(workdir, monkeypatch):
    """No home folder (Path.home() gives "~" unexpanded): nothing is cached, least of all in
    the working folder, and the store and the planned detectable effect are made as before."""
    from pathlib import Path

    from studies import tracking
    from studies.plan import detectable_in_sd

    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: Path("~")))
    assert tracking.client().search_experiments()[0].name == "Default"
    assert detectable_in_sd((2, 4)) > 0
    assert sorted(p.name for p in workdir.iterdir() if p.suffix != ".lock") == ["mlruns.db"]


def test_default_store_keeps_artifacts_in_mlartifacts(workdir):
    from studies import tracking

    client = tracking.client()  # sets MLFLOW_TRACKING_URI itself (mlflow.set_tracking_uri)
    exp_id = tracking.experiment_id(client, "width_vs_depth")
    location = client.get_experiment(exp_id).artifact_location
    assert location == (workdir / "mlartifacts" / "width_vs_depth").as_uri()


def test_ctrl_c_during_the_checks_is_one_line_and_status_130(workdir, monkeypatch, capsys):
    from studies import checks

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(checks, "preflight", interrupted)
    assert main(["run", "width_vs_depth", *TINY]) == 130
    assert capsys.readouterr().err == "interrupted before any trial started\n"
    assert list(workdir.iterdir()) == []
