"""MLflow bookkeeping: the only module that imports mlflow or calls its client.

Layout (tag names in `schema`): one experiment per study; a parent run per invocation
(`python -m studies run`); a child run per trial (one point, one seed) nested under it. A trial
is identified by its `atlas.trial_key` tag (study, budget, generation, variant, seed, point and
recipe), which is how a rerun finds the trials that already finished.

Default store: `sqlite:///./mlruns.db` with artifacts in `./mlartifacts`; `MLFLOW_TRACKING_URI`
overrides both (an `mlflow server` at scale).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import shutil
import sqlite3
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import mlflow
from mlflow.entities import Metric, Param, RunTag
from mlflow.tracking import MlflowClient

from . import host, liveness, schema
from .locations import artifact_root, default_tracking_uri, tracking_uri, user_cache
from .locks import SQLITE_PREFIX, complete_or_absent, sqlite_store_lock
from .schema import FAILURE_STATUSES

PARENT_TAG = schema.PARENT
MAX_PARAM_CHARS = 6000  # MLflow's limit on one param value
MAX_TAG_CHARS = 5000  # and on one tag value (kept well under its limit)


def missing_store() -> str | None:
    """The file of a local (SQLite) store that does not exist yet, else None: a command that
    only reads runs says so instead of creating an empty store."""
    uri = tracking_uri()
    if not uri.startswith("sqlite:///"):
        return None
    path = Path(uri.removeprefix("sqlite:///"))
    return None if path.exists() else str(path)


def client() -> MlflowClient:
    uri = tracking_uri()
    # MLflow announces at INFO that it creates or upgrades a store's tables: not the study's news
    logging.getLogger("mlflow.store.db.utils").setLevel(logging.WARNING)
    mlflow.set_tracking_uri(uri)
    with sqlite_store_lock(uri):  # the first use creates a new store's tables: one at a time
        with complete_or_absent(uri) as creating:
            if creating != uri:  # a new store: its tables are made under a temporary name
                _create_store(creating)
        c = MlflowClient(tracking_uri=uri)
        c.search_experiments(max_results=1)
    return c


def _create_store(uri: str) -> None:
    """A new SQLite store at `uri`. MLflow makes one by running its schema migrations one by
    one (about 2 s, paid by every new working folder), so the empty tables of the first store
    this MLflow version made are kept in the user's cache and copied. The copy holds no
    experiment: MLflow adds its Default experiment on opening it, as it does in a store it
    made itself."""
    path = Path(uri.removeprefix(SQLITE_PREFIX))
    try:
        template = user_cache() / f"mlflow-{mlflow.__version__}-empty.db"
    except RuntimeError:  # no home folder to keep a cache in: MLflow makes every store
        MlflowClient(tracking_uri=uri).search_experiments(max_results=1)
        return
    if not _copied(template, path):  # none yet, or a damaged one: MLflow makes this store
        MlflowClient(tracking_uri=uri).search_experiments(max_results=1)
        _keep_empty(path, template)


def _copied(template: Path, path: Path) -> bool:
    """Whether a copy of `template` now stands at `path`, opened by MLflow once."""
    # another name for the copy: MLflow caches what it opened per URI, a failed copy included
    copy = path.with_name(path.name + "-copied")
    try:
        shutil.copyfile(template, copy)
        MlflowClient(tracking_uri=SQLITE_PREFIX + str(copy)).search_experiments(max_results=1)
        copy.replace(path)
        return True
    except Exception:
        copy.unlink(missing_ok=True)
        return False


def _keep_empty(store: Path, template: Path) -> None:
    """Keep a copy of the new `store` without its experiments as `template`; a cache that
    cannot be written only costs time."""
    tmp = template.with_name(f".{template.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        template.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(store, tmp)
        with contextlib.closing(sqlite3.connect(tmp)) as db, db:
            db.execute("DELETE FROM experiment_tags")
            db.execute("DELETE FROM experiments")
        tmp.replace(template)
    except (OSError, sqlite3.Error):
        pass
    finally:
        tmp.unlink(missing_ok=True)


def experiment_id(c: MlflowClient, study: str, description: str = "") -> str:
    """The study's experiment, created if need be, tagged to open on its runs in the UI and
    described by `description` (markdown; the claim and source)."""
    exp = c.get_experiment_by_name(study)
    if exp is not None:
        if exp.lifecycle_stage == "deleted":
            c.restore_experiment(exp.experiment_id)
        exp_id = exp.experiment_id
    else:
        # The default store keeps artifacts in ./mlartifacts (README); a store the user named
        # keeps MLflow's default for it. (Compared by URI: mlflow.set_tracking_uri sets
        # MLFLOW_TRACKING_URI itself, so the variable's presence says nothing.)
        artifacts = (f"{artifact_root()}/{study}" if tracking_uri() == default_tracking_uri()
                     else None)
        try:
            exp_id = c.create_experiment(study, artifact_location=artifacts)
        except mlflow.exceptions.MlflowException:  # created meanwhile by a concurrent invocation
            exp_id = c.get_experiment_by_name(study).experiment_id
    c.set_experiment_tag(exp_id, schema.EXPERIMENT_KIND, schema.EXPERIMENT_KIND_TRAINING)
    if description:
        c.set_experiment_tag(exp_id, schema.NOTE, description)
    return exp_id


def generation(c: MlflowClient, exp_id: str) -> int:
    """Bumped by `--fresh`: trials of older generations are kept but no longer resumed."""
    return int(c.get_experiment(exp_id).tags.get(schema.GENERATION, "0"))


def bump_generation(c: MlflowClient, exp_id: str) -> int:
    new = generation(c, exp_id) + 1
    c.set_experiment_tag(exp_id, schema.GENERATION, str(new))
    return new


def machine_tags(device: str) -> dict[str, str]:
    """Where a trial ran, as tags: the report's hardware line is read from them, not from the
    machine that writes the report."""
    return {schema.CPU: host.cpu_model(), schema.CORES: str(os.cpu_count() or "?"),
            schema.GPU: host.gpu_name(device), schema.VERSIONS: host.versions()}


def trial_key(**parts: Any) -> str:
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def start_parent(c: MlflowClient, exp_id: str, study: str, budget: str,
                 tags: dict[str, str]) -> str:
    run = c.create_run(
        exp_id,
        run_name=f"{study}-{budget}-{time.strftime('%Y%m%d-%H%M%S')}",
        tags={schema.ROLE: schema.ROLE_PARENT, schema.BUDGET: budget,
              schema.GIT_COMMIT: host.git_commit(), schema.DRIVER: liveness.identity(),
              schema.HEARTBEAT: f"{time.time():.0f}", **tags},
    )
    return run.info.run_id


def heartbeat(c: MlflowClient, parent_id: str) -> None:
    """The driver is alive (liveness.alive reads it from another machine)."""
    c.set_tag(parent_id, schema.HEARTBEAT, f"{time.time():.0f}")


def live_and_dead_parents(c: MlflowClient, exp_id: str) -> tuple[list[Any], list[Any]]:
    """The experiment's parent runs still RUNNING, split by whether their driver lives."""
    runs = search_all(c, exp_id, f"{_tag(schema.ROLE)} = '{schema.ROLE_PARENT}' and "
                      "attributes.status = 'RUNNING'")
    live, dead = [], []
    for run in runs:
        tags = run.data.tags
        try:
            beat = float(tags[schema.HEARTBEAT])
        except (KeyError, ValueError):
            beat = None
        (live if liveness.alive(tags.get(schema.DRIVER), beat) else dead).append(run)
    return live, dead


def close_dead_parent(c: MlflowClient, exp_id: str, parent_id: str) -> int:
    """A parent whose driver died (SIGKILL, a lost machine): its trials still RUNNING and the
    parent itself become KILLED. Returns the number of trials closed."""
    closed = close_dangling(c, exp_id, parent_id)
    c.set_tag(parent_id, schema.STATUS, schema.KILLED)
    c.set_terminated(parent_id, "KILLED")
    return closed


def finished_trial(c: MlflowClient, exp_id: str, key: str) -> dict[str, Any] | None:
    """The final metrics of a finished child run with this trial key, if there is one."""
    runs = c.search_runs(
        [exp_id],
        filter_string=f"{_tag(schema.TRIAL_KEY)} = '{key}' and attributes.status = 'FINISHED'",
        max_results=1,
    )
    if not runs:
        return None
    run = runs[0]
    return {**run.data.metrics, "status": run.data.tags.get(schema.STATUS, "ok"),
            "mlflow_run_id": run.info.run_id}


def finished_keys(c: MlflowClient, exp_id: str, generation_: int) -> set[str]:
    """Trial keys of a generation that have a FINISHED child run (a result to keep)."""
    runs = search_all(c, exp_id, f"{_tag(schema.GENERATION)} = '{generation_}' and "
                      f"{_tag(schema.ROLE)} = '{schema.ROLE_TRIAL}' and "
                      "attributes.status = 'FINISHED'")
    return {r.data.tags[schema.TRIAL_KEY] for r in runs if schema.TRIAL_KEY in r.data.tags}


def retried_run(c: MlflowClient, exp_id: str, parent_id: str, key: str,
                ray_trial_id: str) -> str | None:
    """The run of an earlier attempt of this same Ray trial (Ray Tune retries a trial whose
    worker died), so the retry carries on in it instead of opening a second run."""
    runs = c.search_runs(
        [exp_id], max_results=1,
        filter_string=f"{_tag(schema.TRIAL_KEY)} = '{key}' and {_tag(PARENT_TAG)} = "
        f"'{parent_id}' and {_tag(schema.RAY_TRIAL_ID)} = '{ray_trial_id}'")
    return runs[0].info.run_id if runs else None


def _tag(name: str) -> str:
    """A tag in an MLflow search filter (backquoted: the names contain dots)."""
    return f"tags.`{name}`"


def search_all(c: MlflowClient, exp_id: str, filter_string: str) -> list:
    runs, token = [], None
    while True:
        page = c.search_runs([exp_id], filter_string=filter_string, max_results=1000,
                             page_token=token)
        runs.extend(page)
        token = page.token
        if not token:
            return runs


def _params(values: dict[str, Any]) -> list[Param]:
    return [Param(k, str(v)[:MAX_PARAM_CHARS]) for k, v in sorted(values.items())]


class TrialRun:
    """One child run: params and tags up front, a step per epoch, final metrics at the end."""

    def __init__(self, c: MlflowClient, run_id: str):
        self.c = c
        self.run_id = run_id
        self.last_epoch: dict[str, Any] = {}  # step -> keys, to log no value twice

    @classmethod
    def create(cls, c: MlflowClient, exp_id: str, parent_id: str, name: str,
               params: dict[str, Any], tags: dict[str, str], texts: dict[str, str]
               ) -> TrialRun:
        """A trial's run under its parent, with its params, tags and text artifacts."""
        run = c.create_run(exp_id, run_name=name, tags={PARENT_TAG: parent_id, **tags})
        c.log_batch(run.info.run_id, params=_params(params))
        for file, text in texts.items():
            c.log_text(run.info.run_id, text, file)
        return cls(c, run.info.run_id)

    @classmethod
    def reopen(cls, c: MlflowClient, run_id: str, tags: dict[str, str]) -> TrialRun:
        """An earlier attempt's run, RUNNING again, with its attempt count raised."""
        attempts = int(c.get_run(run_id).data.tags.get(schema.ATTEMPTS, "1")) + 1
        c.update_run(run_id, status="RUNNING")
        c.log_batch(run_id, tags=[RunTag(k, v) for k, v in
                                  {**tags, schema.ATTEMPTS: str(attempts)}.items()])
        return cls(c, run_id)

    def tag(self, tags: dict[str, str]) -> None:
        self.c.log_batch(self.run_id, tags=[RunTag(k, str(v)) for k, v in tags.items()])

    def log_epoch(self, metrics: dict[str, Any], step: int) -> None:
        self.last_epoch = {"step": step, "keys": set(metrics)}
        now = int(time.time() * 1000)
        # the epoch is the step, not a metric of its own (the UI's compare view would open on it)
        self.c.log_batch(self.run_id, metrics=[
            Metric(k, shown(v), now, step) for k, v in metrics.items()
            if _number(v) and k != "epoch"
        ])

    def finish(self, metrics: dict[str, Any], status: str, reason: str = "", step: int = 0,
               details: str = "") -> None:
        """Final metrics (at `step`, the last epoch, so they stay the metrics' latest values),
        the trial's status (ok, diverged, pruned, ...; the reason in one line, `details` such
        as a traceback in error.txt), and the run closed: FAILED for FAILURE_STATUSES, else
        FINISHED."""
        if details:
            self.c.log_text(self.run_id, details, "error.txt")
        now = int(time.time() * 1000)
        tags = [RunTag(schema.STATUS, status)]
        if reason:
            tags.append(RunTag(schema.REASON, reason[:MAX_TAG_CHARS]))
        logged = self.last_epoch.get("keys", set()) if self.last_epoch.get("step") == step else ()
        self.c.log_batch(self.run_id, tags=tags, metrics=[
            Metric(k, shown(v), now, step) for k, v in metrics.items()
            if _number(v) and k not in logged
        ])
        self.c.set_terminated(self.run_id,
                              "FAILED" if status in FAILURE_STATUSES else "FINISHED")


def shown(v: Any) -> float:
    """A metric value to 7 significant digits: the trainer's float32 error rates (0.78 arrives
    as 0.7799999713897705) show as they are meant in the UI. Whole numbers (params, MACs) are
    kept exactly."""
    v = float(v)
    return v if v.is_integer() or not math.isfinite(v) else float(f"{v:.7g}")


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(float(v))


def close_dangling(c: MlflowClient, exp_id: str, parent_id: str, status: str = "KILLED") -> int:
    """Mark child runs of `parent_id` still RUNNING (their trial was interrupted) as `status`."""
    runs = search_all(c, exp_id, f"{_tag(PARENT_TAG)} = '{parent_id}' and "
                      "attributes.status = 'RUNNING'")
    for run in runs:
        c.set_tag(run.info.run_id, schema.STATUS, schema.KILLED)
        c.set_terminated(run.info.run_id, status)
    return len(runs)


def close_early_stopped(c: MlflowClient, run_id: str) -> None:
    """A trial the scheduler stopped early never reached its own `finish`: a result, FINISHED."""
    if c.get_run(run_id).info.status == "RUNNING":
        c.set_tag(run_id, schema.STATUS, schema.EARLY_STOPPED)
        c.set_terminated(run_id, "FINISHED")


def finish_parent(c: MlflowClient, parent_id: str, status: str, summary: dict[str, Any]) -> None:
    c.log_batch(parent_id, metrics=[
        Metric(k, shown(v), int(time.time() * 1000), 0) for k, v in summary.items() if _number(v)
    ])
    c.set_terminated(parent_id, status)


def has_children(c: MlflowClient, exp_id: str, parent_id: str) -> bool:
    return bool(c.search_runs([exp_id], max_results=1,
                              filter_string=f"{_tag(PARENT_TAG)} = '{parent_id}'"))


def discard_run(c: MlflowClient, run_id: str) -> None:
    """Delete a run that holds nothing (MLflow keeps it, deleted, until `mlflow gc`)."""
    c.delete_run(run_id)


def child_runs(c: MlflowClient, exp_id: str, generation_: int) -> list[dict[str, Any]]:
    """Every trial of a generation, one dict per trial (tags, final metrics): its FINISHED run,
    or if it has none (failed, killed, running) its latest run. An interrupted or failed
    attempt that a later invocation completed is not a trial of its own."""
    runs = search_all(c, exp_id, f"{_tag(schema.GENERATION)} = '{generation_}'")
    best: dict[str, Any] = {}
    for r in sorted(runs, key=lambda r: r.info.start_time or 0):
        tags = r.data.tags
        if tags.get(schema.ROLE) != schema.ROLE_TRIAL:
            continue
        key = tags.get(schema.TRIAL_KEY, r.info.run_id)
        if best.get(key) is None or best[key].info.status != "FINISHED":
            best[key] = r
    return [{"run_id": r.info.run_id, "mlflow_status": r.info.status,
             **{k: v for k, v in r.data.tags.items() if k.startswith(schema.PREFIX)},
             **r.data.metrics} for r in best.values()]


def metric_histories(c: MlflowClient, run_ids: Iterable[str],
                     keys: Iterable[str]) -> list[dict[str, Any]]:
    """Per-epoch values, one dict per (run, step) with one column per metric."""
    rows: dict[tuple[str, int], dict[str, Any]] = {}
    for run_id in run_ids:
        for key in keys:
            for m in c.get_metric_history(run_id, key):
                row = rows.setdefault((run_id, m.step), {"run_id": run_id, "epoch": m.step})
                row[key] = m.value
    return list(rows.values())


def latest_parent(c: MlflowClient, exp_id: str) -> str | None:
    run = _latest_parent_run(c, exp_id)
    return run.info.run_id if run else None


def latest_condition(c: MlflowClient, exp_id: str) -> str | None:
    """The condition (schema.CONDITION) of the study's latest invocation, if it has one."""
    run = _latest_parent_run(c, exp_id)
    return run.data.tags.get(schema.CONDITION) if run else None


def _latest_parent_run(c: MlflowClient, exp_id: str):
    runs = c.search_runs([exp_id], filter_string=f"{_tag(schema.ROLE)} = '{schema.ROLE_PARENT}'",
                         order_by=["attributes.start_time DESC"], max_results=1)
    return runs[0] if runs else None


def log_report(c: MlflowClient, run_id: str, folder: str,
               results: tuple[dict[str, float], dict[str, str]] = ({}, {})) -> None:
    """The report's files under `report/`, and its figures (metrics, tags) on the run."""
    c.log_artifacts(run_id, folder, "report")
    metrics, tags = results
    now = int(time.time() * 1000)
    c.log_batch(run_id, metrics=[Metric(k, v, now, 0) for k, v in metrics.items()],
                tags=[RunTag(k, v[:MAX_TAG_CHARS]) for k, v in tags.items()])


def find_experiment(c: MlflowClient, study: str) -> str | None:
    exp = c.get_experiment_by_name(study)
    return None if exp is None else exp.experiment_id
