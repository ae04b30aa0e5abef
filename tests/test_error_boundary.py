"""The error boundary after preflight (studies.failures): a failure at any stage of a run ends
in one line on stderr naming the stage, the traceback in a log file, exit status 1, nothing
left RUNNING in MLflow, and the same command then runs to the end."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from studies.__main__ import main

TINY = ["--set", "max_train_images=256", "--set", "max_val_images=128",
        "--set", "max_test_images=128", "--set", "batch_size=64", "--set", "seeds=1",
        "--set", "max_seeds=0"]


def _raise(error: BaseException):
    def fail(*args, **kwargs):
        raise error
    return fail


STAGES = {  # where the failure is injected, what it raises, the stage the line names
    "store": ("studies.driver._open_store", OSError(28, "No space left on device"),
              "opening the MLflow store"),
    "ray": ("studies.driver.init_ray", RuntimeError("the GCS went away"), "starting Ray"),
    "trials": ("studies.driver._tune", RuntimeError("Tune's controller broke"),
               "running the trials"),
    "summary": ("studies.results.run_end_summary", ValueError("a table that cannot be made"),
                "summarising"),
}


@pytest.mark.slow
@pytest.mark.parametrize("where", sorted(STAGES))
def test_a_failure_at_each_stage_is_one_line_exit_1_and_a_rerun_recovers(
        where, workdir, monkeypatch, capsys):
    target, error, stage = STAGES[where]
    with monkeypatch.context() as patch:
        patch.setattr(target, _raise(error))
        assert main(["run", "width_vs_depth", *TINY]) == 1
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    line = lines[0]
    assert line.startswith(f"error: study width_vs_depth failed while {stage}: "
                           f"{type(error).__name__}: "), line
    assert "run the same command again to resume" in line
    log = Path(re.search(r"details: (\S+)\)", line).group(1))
    assert log.parent == workdir / ".atlas" / "errors"
    assert "Traceback" in log.read_text() and str(error).split(":")[0] in log.read_text()
    store = workdir / "mlruns.db"
    if store.exists():  # nothing left RUNNING: the parent FAILED, unfinished trials KILLED
        client = MlflowClient(f"sqlite:///{store}")
        experiment = client.get_experiment_by_name("width_vs_depth")
        if experiment is not None:
            runs = client.search_runs([experiment.experiment_id])
            assert all(r.info.status != "RUNNING" for r in runs), [r.info for r in runs]
            if where == "trials":
                parents = [r for r in runs if r.data.tags.get("atlas.role") == "parent"]
                assert [r.info.status for r in parents] == ["FAILED"]
    assert main(["run", "width_vs_depth", *TINY]) == 0  # the same command, nothing injected
    out = capsys.readouterr().out
    assert "Verdict at this budget" in out or "No trial" in out or "wrn=" in out
