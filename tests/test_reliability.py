"""Reliability, end to end with real processes: Ctrl-C and SIGKILL of `make study` and the same
command again; trials that raise, diverge or run out of memory; a Ray worker killed mid-trial;
a study across two Ray nodes logging to an `mlflow server`; two studies at once on one store;
a second driver of a running study refused."""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from studies import liveness
from studies.__main__ import main

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FAULTY = REPO / "tests" / "studies" / "faulty.py"
TINY = ["max_train_images=256", "max_val_images=128", "max_test_images=128", "batch_size=64"]
# width_vs_depth as four trials: two variants x two seeds, a fixed design
FOUR = ["grid.wrn=10-1,10-2", "seeds=2", "max_seeds=0"]


def sets(*settings: str) -> list[str]:
    return [arg for s in settings for arg in ("--set", s)]


class Process:
    """A command in its own process group (as a terminal runs a job), its output collected
    line by line."""

    def __init__(self, argv: list[str], cwd: Path, env: dict[str, str] | None = None):
        self.lines: list[str] = []
        self.proc = subprocess.Popen(
            [str(a) for a in argv], cwd=cwd, env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = 240) -> None:
        deadline = time.time() + timeout
        while text not in self.output:
            if self.proc.poll() is not None or time.time() > deadline:
                raise AssertionError(f"{text!r} never appeared; output:\n{self.output[-4000:]}")
            time.sleep(0.2)

    def signal_group(self, sig: int) -> None:
        os.killpg(self.proc.pid, sig)

    def finish(self, timeout: float = 300) -> int:
        code = self.proc.wait(timeout)
        self.reader.join(10)
        return code


def make_study(workdir: Path, name: str, *settings: str,
               env: dict[str, str] | None = None) -> Process:
    """`make study` from the workdir, with this interpreter's environment."""
    return Process(["make", "-s", "-f", REPO / "Makefile", f"VENV={sys.prefix}", "study",
                    f"name={name}", f"set={' '.join(settings)}"], workdir, env)


def run_study(workdir: Path, *args: str, env: dict[str, str] | None = None) -> Process:
    return Process([sys.executable, "-m", "studies", "run", *args], workdir, env)


def processes_in(folder: Path) -> list[int]:
    """Processes (other than this one) whose working directory lies in `folder`: the study's
    driver, and the Ray processes it started."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cwd = (entry / "cwd").resolve()
        except OSError:
            continue
        if cwd == folder or folder in cwd.parents:
            found.append(int(entry.name))
    return found


def orphans() -> list[int]:
    """Ray workers whose driver is dead (a worker names its driver in ATLAS_DRIVER)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            env = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        for item in env:
            if item.startswith(b"ATLAS_DRIVER="):
                if not liveness.alive(item.split(b"=", 1)[1].decode(), None):
                    found.append(int(entry.name))
    return found


def leftovers(workdir: Path, wait_s: float = 30) -> list[int]:
    """What is still running of a study in `workdir` after `wait_s`: processes working in the
    folder (driver, Ray), and workers of dead drivers."""
    deadline = time.time() + wait_s
    while True:
        left = processes_in(workdir.resolve()) + orphans()
        if not left or time.time() > deadline:
            return left
        time.sleep(0.5)


@pytest.fixture
def no_leftovers(workdir):
    """Fails a test that leaves processes behind, and kills them either way."""
    yield
    left = leftovers(workdir)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert not left, f"processes left running: {left}"


def store(workdir: Path) -> MlflowClient:
    return MlflowClient(f"sqlite:///{workdir / 'mlruns.db'}")


def runs(client: MlflowClient, study: str, role: str = "trial") -> list:
    exp = client.get_experiment_by_name(study)
    if exp is None:
        return []
    found = client.search_runs([exp.experiment_id], max_results=1000)
    return [r for r in found if r.data.tags.get("atlas.role") == role]


def assert_one_finished_run_per_trial(client: MlflowClient, study: str, trials: int) -> list:
    """Every trial has exactly one FINISHED child run with status ok; no run is left
    RUNNING; any other run was closed KILLED or FAILED."""
    children = runs(client, study)
    finished = [r for r in children if r.info.status == "FINISHED"]
    keys = Counter(r.data.tags["atlas.trial_key"] for r in finished)
    assert len(keys) == trials and set(keys.values()) == {1}, keys
    assert all(r.data.tags["atlas.status"] == "ok" for r in finished)
    others = [r for r in children if r.info.status != "FINISHED"]
    assert all(r.info.status in ("KILLED", "FAILED") for r in others), [
        r.info.status for r in others]
    assert all(r.info.status != "RUNNING" for r in runs(client, study, "parent"))
    return finished


# ---- interrupts ----------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "sigkill"])
def test_interrupted_study_resumes_without_rerunning_finished_trials(sig, workdir, shared_ray,
                                                                     no_leftovers):
    settings = [*TINY, *FOUR, "epochs=2", "concurrency=2"]
    first = make_study(workdir, "width_vs_depth", *settings)
    first.wait_for("1/4 done")  # one trial finished, another one in flight
    first.signal_group(sig)
    assert first.finish(120) != 0
    # Ray's processes and workers die with their driver: no orphan finishes a trial later
    assert not leftovers(workdir, wait_s=10), "processes outlived the killed driver"

    client = store(workdir)
    before = {r.info.run_id: r.data.tags["atlas.trial_key"] for r in runs(client, "width_vs_depth")
              if r.info.status == "FINISHED"}
    assert before, "the trial that finished before the signal has a FINISHED run"
    if sig == signal.SIGINT:  # the driver closed what it cut short itself
        assert "interrupted:" in first.output
        assert [r.info.status for r in runs(client, "width_vs_depth", "parent")] == ["KILLED"]
        assert not [r for r in runs(client, "width_vs_depth") if r.info.status == "RUNNING"]
    else:  # a dead driver closes nothing: the next invocation must
        assert [r.info.status for r in runs(client, "width_vs_depth", "parent")] == ["RUNNING"]

    # the resume attaches to the session's Ray as to a cluster: what it must find is in the
    # store and the checkpoints, not in a Ray of its own
    second = make_study(workdir, "width_vs_depth", *settings, env={"RAY_ADDRESS": shared_ray})
    assert second.finish() == 0, second.output[-3000:]
    to_run = [line for line in second.lines if "trials to run" in line]
    assert f"{4 - len(before)} of 4 trials to run" in second.output, (before, to_run)
    if sig == signal.SIGKILL:
        assert "an earlier invocation" in second.output and "died" in second.output
    finished = assert_one_finished_run_per_trial(client, "width_vs_depth", 4)
    assert set(before) <= {r.info.run_id for r in finished}  # finished trials were not rerun
    parents = sorted(r.info.status for r in runs(client, "width_vs_depth", "parent"))
    assert parents == ["FINISHED", "KILLED"]
    killed = [r for r in runs(client, "width_vs_depth") if r.info.status == "KILLED"]
    assert all(r.data.tags["atlas.status"] == "killed" for r in killed)


def test_a_running_study_refuses_a_second_driver(workdir, capsys):
    client = store(workdir)
    exp = client.create_experiment("width_vs_depth")
    client.create_run(exp, tags={"atlas.role": "parent", "atlas.driver": liveness.identity()})
    capsys.readouterr()  # MLflow's log of creating the store
    assert main(["run", "width_vs_depth", *sets(*TINY)]) == 2
    err = capsys.readouterr().err
    assert "width_vs_depth is already running" in err and err.count("\n") == 1
    assert len(runs(client, "width_vs_depth", "parent")) == 1  # nothing new written


def test_liveness_of_drivers():
    now = time.time()
    assert liveness.alive(liveness.identity(), None)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    gone = f"{liveness.machine()}:{int(dead.stdout)}:1"
    assert not liveness.alive(gone, now)  # on this machine, the process table decides
    elsewhere = "another-host/12345678:4242:99"
    assert liveness.alive(elsewhere, now - 10, now)  # elsewhere, a fresh heartbeat does
    assert not liveness.alive(elsewhere, now - liveness.HEARTBEAT_STALE_S - 1, now)
    assert not liveness.alive(None, None)


def test_an_exited_process_not_yet_reaped_is_dead():
    """A SIGKILLed driver stays a zombie until PID 1 reaps it; its workers must not wait."""
    child = subprocess.Popen(["sleep", "0.2"])
    ticks = liveness.start_ticks(child.pid)
    identity = f"{liveness.machine()}:{child.pid}:{ticks}"
    assert ticks is not None and liveness.alive(identity, None)
    stat = Path(f"/proc/{child.pid}/stat")
    deadline = time.time() + 10
    while stat.read_text().rsplit(")", 1)[1].split()[0] != "Z":  # exited, not reaped
        assert time.time() < deadline
        time.sleep(0.05)
    assert not liveness.alive(identity, None)
    child.wait()


# ---- failing trials ------------------------------------------------------------------------


def key_of(study, params: dict, generation: int = 0) -> str:
    """The trial key the runner gives these parameters (trial.Job.resolve)."""
    from studies import trial

    budget = study.budget("quick")
    recipe = study.recipe_for(budget)
    job = trial.Job(study=study, budget_name="quick", budget=budget,
                    recipe=recipe, tracking_uri="", experiment_id="",
                    parent_id="", generation=generation, checkpoint_root="",
                    input_size=(1, 28, 28), num_classes=10,
                    precision=trial.planned_precision(recipe, budget))
    return job.resolve(params)[2]


@pytest.mark.slow
def test_failing_trials_are_recorded_and_the_study_goes_on(workdir, capsys):
    from studies.catalogue import from_file

    study = from_file(FAULTY)
    # a corrupt checkpoint (a disk filled up mid-write) makes one trial's trainer raise
    corrupt = {"recipe.lr": 0.05, "width_mult": 1.0, "seed": 1}
    folder = workdir / ".atlas" / "checkpoints" / "faulty" / key_of(study, corrupt)
    folder.mkdir(parents=True)
    (folder / "checkpoint.pt").write_bytes(b"not a checkpoint")

    assert main(["run", str(FAULTY)]) == 0
    out = capsys.readouterr().out
    assert "8/8 done (7 failed" in out

    client = store(workdir)
    trials = runs(client, "faulty")
    assert len(trials) == 8
    by_status = {}
    for r in trials:
        by_status.setdefault(r.data.tags["atlas.status"], []).append(r)
    assert {k: len(v) for k, v in by_status.items()} == {
        "ok": 1, "failed": 1, "diverged": 2, "out_of_memory": 4}
    for r in by_status["out_of_memory"]:
        assert r.info.status == "FAILED" and r.data.tags["atlas.axis.width_mult"] == "262144.0"
        assert "can't allocate memory" in r.data.tags["atlas.reason"]
    for r in by_status["diverged"]:  # a result, not an error: FINISHED, and not tried again
        assert r.info.status == "FINISHED"
        assert r.data.tags["atlas.reason"] == "non-finite train loss in epoch 1"
    (failed,) = by_status["failed"]
    assert failed.info.status == "FAILED" and failed.data.tags["atlas.seed"] == "1"
    assert "checkpoint" in failed.data.tags["atlas.reason"]
    error = client.download_artifacts(failed.info.run_id, "error.txt", str(workdir))
    assert "Traceback" in Path(error).read_text()
    summary = out[out.index("## faulty"):]
    assert summary.count("out_of_memory: RuntimeError") == 4
    assert summary.count("diverged: non-finite train loss") == 2
    assert "seed 1: failed: ValueError: checkpoint" in summary

    # The disk repaired, the same command again tries the failed trials (and only those)
    (folder / "checkpoint.pt").unlink()
    assert main(["run", str(FAULTY)]) == 0
    out = capsys.readouterr().out
    assert "5 of 8 trials to run" in out
    from studies import tracking

    client = tracking.client()
    latest = tracking.child_runs(client, client.get_experiment_by_name("faulty").experiment_id, 0)
    assert Counter(r["atlas.status"] for r in latest) == {
        "ok": 2, "diverged": 2, "out_of_memory": 4}

    # `make study name=FILE` ends with the analysis summary of that file's study
    from analysis.__main__ import main as analysis_main

    assert analysis_main(["summary", str(FAULTY)]) == 0
    assert "recipe.lr=0.05,width_mult=1.0" in capsys.readouterr().out


def test_failure_statuses_of_real_exceptions():
    import torch

    from studies.trial import failure

    with pytest.raises(RuntimeError) as oom:  # 4 PB: more than any process can address
        torch.empty(2**50, dtype=torch.float32)
    assert failure(oom.value)[0] == "out_of_memory"
    assert failure(MemoryError())[0] == "out_of_memory"
    status, reason = failure(ValueError("bad\nsecond line"))
    assert (status, reason) == ("failed", "ValueError: bad")


# ---- a worker killed mid-trial -------------------------------------------------------------


@pytest.mark.slow
def test_a_killed_worker_is_retried_from_its_checkpoint_with_the_same_result(workdir,
                                                                             shared_ray,
                                                                             no_leftovers):
    one_trial = [*sets("grid.wrn=10-1", "seeds=1", "max_seeds=0", "epochs=6",
                       "max_train_images=1024",
                       "max_val_images=256", "max_test_images=256", "batch_size=64")]
    cluster = {"RAY_ADDRESS": shared_ray}  # a retry is Tune's, on a local Ray or a cluster
    study = run_study(workdir, "width_vs_depth", *one_trial, env=cluster)
    client = store(workdir)
    victim = None
    deadline = time.time() + 240
    while victim is None and time.time() < deadline and study.proc.poll() is None:
        time.sleep(0.2)
        try:
            running = [r for r in runs(client, "width_vs_depth") if r.info.status == "RUNNING"]
        except Exception:  # the store is being created
            continue
        # Two epochs logged: Tune has had epoch 1's checkpoint for an epoch's time (its copy
        # on disk comes before the driver registers it). Now kill the trial's process.
        if running and len(client.get_metric_history(running[0].info.run_id,
                                                     "train_loss")) >= 2:
            victim = int(running[0].data.tags["atlas.worker_pid"])
            os.kill(victim, signal.SIGKILL)
    assert victim is not None, study.output[-3000:]
    assert study.finish() == 0, study.output[-3000:]
    assert "its worker died; retrying from its last checkpoint" in study.output

    (retried,) = runs(client, "width_vs_depth")  # the retry carried on in the same run
    tags = retried.data.tags
    assert retried.info.status == "FINISHED" and tags["atlas.status"] == "ok"
    assert tags["atlas.attempts"] == "2" and int(tags["atlas.worker_pid"]) != victim
    assert tags["atlas.restored_from"] == "ray_tune_checkpoint"
    assert int(tags["atlas.resumed_from_epoch"]) >= 1
    steps = [m.step for m in client.get_metric_history(retried.info.run_id, "val_error")]
    assert sorted(set(steps)) == [1, 2, 3, 4, 5, 6]

    # the same trial uninterrupted (a fresh generation) ends with the same numbers
    again = run_study(workdir, "width_vs_depth", "--fresh", *one_trial, env=cluster)
    assert again.finish() == 0, again.output[-3000:]
    (clean,) = [r for r in runs(client, "width_vs_depth") if r.data.tags["atlas.generation"] == "1"]
    for metric in ("train_loss", "val_error", "val_loss", "test_error", "test_loss"):
        assert retried.data.metrics[metric] == clean.data.metrics[metric], metric


# ---- a Ray cluster of two nodes and an MLflow server ---------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_a_study_runs_across_two_ray_nodes_into_an_mlflow_server(workdir, no_leftovers):
    ray_port, mlflow_port = free_port(), free_port()
    server = Process([BIN / "mlflow", "server", "--host", "127.0.0.1", "--port", mlflow_port,
                      "--workers", "1", "--backend-store-uri",
                      f"sqlite:///{workdir / 'server.db'}", "--artifacts-destination",
                      workdir / "server-artifacts"], workdir)
    ray = [str(BIN / "ray"), "start", "--num-cpus=1", "--disable-usage-stats"]
    # Ray's token authentication, as a real cluster has it: every node and the driver share
    # the token (here through the environment; on a cluster, a secret)
    auth = {"RAY_AUTH_MODE": "token", "RAY_AUTH_TOKEN": secrets.token_hex(32)}
    env = {**os.environ, **auth}
    try:
        subprocess.run([*ray, "--head", f"--port={ray_port}", "--include-dashboard=false"],
                       cwd=workdir, check=True, capture_output=True, timeout=120, env=env)
        subprocess.run([*ray, f"--address=127.0.0.1:{ray_port}"], cwd=workdir, check=True,
                       capture_output=True, timeout=120, env=env)
        uri = f"http://127.0.0.1:{mlflow_port}"
        deadline = time.time() + 90
        while True:
            try:
                urllib.request.urlopen(f"{uri}/health", timeout=2)
                break
            except OSError:
                assert time.time() < deadline, server.output[-3000:]
                time.sleep(0.5)
        study = run_study(workdir, "width_vs_depth", *sets(*TINY, *FOUR, "concurrency=2"),
                          env={"RAY_ADDRESS": f"127.0.0.1:{ray_port}",
                               "MLFLOW_TRACKING_URI": uri, **auth})
        assert study.finish() == 0, study.output[-3000:]

        client = MlflowClient(uri)
        trials = assert_one_finished_run_per_trial(client, "width_vs_depth", 4)
        nodes = {r.data.tags["atlas.node"] for r in trials}
        assert len(nodes) == 2, "one CPU per node and two trials at once: both nodes work"
        (parent,) = runs(client, "width_vs_depth", "parent")
        assert parent.info.status == "FINISHED"
        assert not (workdir / "mlruns.db").exists()  # everything went to the server
    finally:
        server.signal_group(signal.SIGTERM)
        server.finish(60)
        # its own two nodes only, the processes `ray start` left working in this folder
        # (`ray stop` would also end the test session's Ray), and the file where it left
        # their address (else a later ray.init() would attach to the dead cluster)
        deadline = time.time() + 30  # until none is left: a raylet may start a worker late
        while (left := processes_in(workdir.resolve())) and time.time() < deadline:
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.2)
        from ray._common.utils import reset_ray_address
        from ray._private.utils import read_ray_address

        if (read_ray_address() or "").endswith(f":{ray_port}"):  # the head's IP:PORT
            reset_ray_address()


# ---- two studies at once on one store ------------------------------------------------------


@pytest.mark.slow
def test_a_refusal_by_the_checks_ends_the_ray_that_started_beside_them(workdir, no_leftovers):
    """A local Ray starts while the preflight checks run (studies.ray_setup.start_beside); a
    refusal there still ends in one line and exit status 2, with that Ray shut down and
    nothing written in the working folder."""
    refused = run_study(workdir, "width_vs_depth", *sets(*TINY),
                        env={"MLFLOW_TRACKING_URI": "sqlite:////proc/atlas/mlruns.db"})
    assert refused.finish(120) == 2, refused.output[-3000:]
    # the budget's note on stdout, then the one line of the refusal
    note, error = refused.output.splitlines()
    assert note.startswith("budget auto: quick") and error.startswith("error: ")
    assert "is not writable" in error
    ray_temp = Path(os.environ.get("RAY_TMPDIR") or "/tmp") / "ray"
    started = list(ray_temp.glob(f"session_*_{refused.proc.pid}"))
    assert started, "the Ray this test is about never started: nothing was checked"
    assert list(workdir.iterdir()) == []  # (no_leftovers: its processes are gone)


@pytest.mark.slow
def test_two_studies_at_once_on_one_store(workdir, no_leftovers):
    # as from two terminals: one store, and two local Rays starting at once on one machine
    a = run_study(workdir, "width_vs_depth", *sets(*TINY, *FOUR, "concurrency=1"))
    b = run_study(workdir, "plain_vs_residual",
                  *sets(*TINY, "epochs=1", "grid.layers=20", "seeds=1", "max_seeds=0",
                        "concurrency=1"))
    assert a.finish() == 0, a.output[-3000:]
    assert b.finish() == 0, b.output[-3000:]
    client = store(workdir)
    assert_one_finished_run_per_trial(client, "width_vs_depth", 4)
    assert_one_finished_run_per_trial(client, "plain_vs_residual", 2)
