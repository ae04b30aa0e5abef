"""python -m studies list | show NAME | links [--port N] | dashboard NAME [--port N] |
    run NAME [--budget auto|quick|full|NAME] [--set k=v ...] [--fresh]

NAME is a study of the catalogue or a Python file defining `STUDY` (path/to/my_study.py).
Bad input (unknown study, a study file that fails, bad --set, invalid point, missing data, an
unwritable or unreachable store, the study already running) gets one line on stderr and exit
status 2 before any trial starts (a local Ray starting beside the last checks is shut down
first) and before anything is written in the working or data folder.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from typing import TYPE_CHECKING, Any

from . import STUDIES, did_you_mean, find_study

if TYPE_CHECKING:
    from .study import Budget, Study

USAGE_ERROR = 2


class UsageError(Exception):
    """Bad input: reported in one line, exit status 2."""


def main(argv: list[str] | None = None, *, from_process_start: bool = False) -> int:
    """The command line. `from_process_start`: its time line counts the interpreter's start and
    imports (the command line's own entry); a caller in a running process (a test, a notebook)
    imported long before, so its clock starts at the call."""
    parser = argparse.ArgumentParser(prog="python -m studies", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the catalogue: each study's name, kind and claim")
    show = sub.add_parser("show", help="a study's claim, space, recipe and budgets")
    show.add_argument("name", help="a catalogue study or a file defining STUDY")
    links = sub.add_parser("links", help="each study's page in the MLflow UI (make ui)")
    links.add_argument("--port", type=int, default=5000)
    dashboard = sub.add_parser("dashboard", help="Optuna's dashboard on a search's Optuna store "
                               "(make dashboard)")
    dashboard.add_argument("name", help="a search of the catalogue or a file defining STUDY")
    dashboard.add_argument("--port", type=int, default=8080)
    run = sub.add_parser("run", help="run or resume a study")
    run.add_argument("name", help="a catalogue study or a file defining STUDY")
    run.add_argument("--budget", default="auto",
                     help="auto (default): full where a CUDA device is present, else quick; "
                     "quick, full, or a budget between them that the study names (`show`)")
    run.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                     help="override a recipe field (epochs=2), a budget field (seeds=3, "
                     "trials=8, concurrency=1), a study field (base=resnet32, dataset=..., "
                     "pruner=none), an ablation's grid (grid.depth=10,16), a field of every "
                     "point (net.width_mult=0.5), or a search's point to retrain with seeds "
                     "(point=family=basic,depth0=2,...)")
    run.add_argument("--fresh", action="store_true", help="start over instead of resuming")
    args = parser.parse_args(argv)
    clock = _clock(from_process_start)
    try:
        if args.command == "list":
            return _list()
        if args.command == "links":
            return _links(args.port)
        study = _study(args.name)
        if args.command == "show":
            return _show(study)
        if args.command == "dashboard":
            return _dashboard(study, args.port)
        with clock.phase("preflight"):
            budget_name = resolve_budget(args.budget)
            try:
                study.budget(budget_name)
            except ValueError as e:
                raise UsageError(str(e)) from None
            study, budget = apply_overrides(study, budget_name, args.set)
            checked_beside_ray(study, budget_name)
    except UsageError as e:
        return _usage_error(e)
    except KeyboardInterrupt:
        if args.command != "run":
            raise
        return _interrupted_before_trials()
    return _run(study, budget_name, args.fresh, " ".join(args.set), clock)


def _interrupted_before_trials() -> int:
    """Ctrl-C before any trial started: nothing was written, nothing to resume."""
    print("interrupted before any trial started", file=sys.stderr, flush=True)
    return 130


def checked_beside_ray(study: Study, budget_name: str) -> None:
    """The preflight, with a local Ray starting on another thread meanwhile (its start is
    mostly waiting for its processes); a refusal or an interrupt shuts that Ray down before
    the error is reported."""
    from . import ray_setup

    ray_setup.start_beside()
    try:
        preflight(study, budget_name)
    except BaseException:
        ray_setup.shutdown()
        raise


def _clock(from_process_start: bool):
    """The invocation's clock (studies.timing), its imports phase from the process's start
    (the interpreter and this package) to now, or from now for a call inside a running process."""
    from .liveness import process_start_time
    from .timing import StudyClock

    clock = StudyClock(started=process_start_time()) if from_process_start else StudyClock()
    clock.mark("imports", clock.started)
    return clock


def resolve_budget(name: str) -> str:
    """`auto`: the full budget where a CUDA device is present, the quick one otherwise
    (printed, so a run says which it chose)."""
    if name != "auto":
        return name
    import torch

    chosen = "full" if torch.cuda.is_available() else "quick"
    reason = "a CUDA device is present" if chosen == "full" else "no CUDA device"
    print(f"budget auto: {chosen} ({reason}; budget=quick|full picks one)", flush=True)
    return chosen


def _usage_error(e: Exception) -> int:
    print(f"error: {e}", file=sys.stderr)
    return USAGE_ERROR


def _study(name: str) -> Study:
    try:
        study = find_study(name)
    except ValueError as e:  # a study file that fails
        raise UsageError(str(e)) from None
    if study is None:
        raise UsageError(f"unknown study {name!r}{did_you_mean(name)}; available: "
                         f"{', '.join(sorted(STUDIES))} (or a path to a file defining STUDY)")
    return study


def _list() -> int:
    broken = STUDIES.broken
    width = max(map(len, [*STUDIES, *broken]))
    for name, s in sorted(STUDIES.items()):
        print(f"{name:<{width}}  {s.kind:<8}  {s.claim}")
    for name, error in sorted(broken.items()):
        print(f"{name:<{width}}  {'broken':<8}  {error}")
    return 0


def _links(port: int) -> int:
    """The runs page of every study experiment in the store, opened in MLflow's model-training
    view (MLflow 3 opens experiments in its GenAI view unless the URL or a toggle says not)."""
    from . import schema, tracking

    missing = tracking.missing_store()
    if missing:
        print(f"no MLflow store at {missing} yet: run `make study name=NAME`")
        return 0
    client = tracking.client()
    for exp in client.search_experiments():
        if exp.tags.get(schema.EXPERIMENT_KIND) == schema.EXPERIMENT_KIND_TRAINING or \
                exp.name in STUDIES:
            print(f"{exp.name}: http://127.0.0.1:{port}/#/experiments/{exp.experiment_id}/runs"
                  "?workflowType=machine_learning")
    return 0


def _dashboard(study: Study, port: int) -> int:
    """Print each Optuna study of the search and its page, then serve until interrupted."""
    from . import dashboard

    try:
        dashboard.port_free(port)
        url, found = dashboard.optuna_studies(study)
    except ValueError as e:
        raise UsageError(str(e)) from None
    for name, study_id, trials in found:
        print(f"{name} ({trials} trials): {dashboard.page(port, study_id)}")
    print(f"Optuna's dashboard on {url}: http://127.0.0.1:{port}/dashboard (Ctrl-C stops it)",
          flush=True)
    try:
        dashboard.serve(url, port)
    except KeyboardInterrupt:
        return 130
    return 0


def _show(s: Study) -> int:
    print(f"{s.name} ({s.kind}, base {s.base}, dataset {s.dataset})")
    print(f"claim:  {s.claim}\nsource: {s.source}\nobjectives: {', '.join(s.objectives)}")
    if s.kind == "ablation":
        for budget in s.budget_names:
            axes = "; ".join(f"{axis} = {', '.join(map(str, values))}"
                             for axis, values in s.grid_for(budget))
            print(f"{budget} grid: {axes}")
        if s.leave_out:
            print(f"left out of the grid: {', '.join(s.leave_out)}")
        if s.expected_order:
            print(f"expected order (better first): {' > '.join(s.expected_order)}")
        if s.distribution_claim:
            axis, better, worse = s.distribution_claim
            print(f"distribution claim: the error EDF of {axis}={better} lies above "
                  f"{axis}={worse}'s (models sampled from each)")
        pairs = "; ".join(f"{b} beats {w}" for b, w in s.claim_pairs) or "-"
        print(f"baseline: {s.baseline or '-'}; claim pairs: {pairs}")
    from .plan import budget_lines

    for budget in s.budget_names:
        print("\n".join(budget_lines(s, budget)))
    return 0


def _parse_value(text: str) -> Any:
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    return {"true": True, "false": False, "none": None}.get(text.lower(), text)


def apply_overrides(study: Study, budget_name: str, settings: list[str]) -> tuple[Study, Budget]:
    """Apply `--set key=value` to the recipe, the budget or the study; UsageError if bad."""
    from search_space import PRESETS
    from trainers import Recipe

    from .study import Budget

    recipe_fields = {f.name for f in dataclasses.fields(Recipe)}
    budget_fields = {f.name for f in dataclasses.fields(Budget)} - {"recipe", "grid", "net",
                                                                    "pilot"}
    study_fields = {"base", "dataset", "max_params", "max_macs", "pruner"}
    budget = study.budget(budget_name)
    recipe_changes: dict[str, Any] = dict(budget.recipe)
    budget_changes: dict[str, Any] = {}
    study_changes: dict[str, Any] = {}
    points = [s.partition("=")[2] for s in settings if s.partition("=")[0] == "point"]
    if points:  # a search's point retrained with seeds: the other settings apply to that
        if len(points) > 1:
            raise UsageError("--set point= given twice; retrain one point at a time")
        params = _point_params(points[0])
        try:
            study = study.retrain(params)
        except ValueError as e:
            raise UsageError(str(e).splitlines()[0]) from None
        settings = [s for s in settings if s.partition("=")[0] != "point"]
        sampled = [s for s in settings if f"recipe.{s.partition('=')[0]}" in params]
        if sampled:  # in the search the point's own value won; here it would not
            raise UsageError(f"--set {sampled[0]}: the point sets "
                             f"recipe.{sampled[0].partition('=')[0]} itself")
        budget = study.budget(budget_name)
    grid = dict(study.grid_for(budget))
    net_changes: dict[str, Any] = dict(budget.net)
    for setting in settings:
        key, sep, raw = setting.partition("=")
        if not sep or not key or not raw:
            raise UsageError(f"--set {setting!r} is not KEY=VALUE")
        value = _parse_value(raw)
        if key.startswith("grid."):
            axis = key.removeprefix("grid.")
            if study.kind != "ablation" or axis not in grid:
                raise UsageError(f"--set {key}: {study.name} has no grid axis {axis!r}; its "
                                 f"axes: {', '.join(grid) or 'none (a search)'}")
            grid[axis] = tuple(_parse_value(v) for v in raw.split(","))
            budget_changes["grid"] = tuple(grid.items())
        elif key.startswith("net."):
            net_changes[key.removeprefix("net.")] = value
            budget_changes["net"] = tuple(sorted(net_changes.items()))
        elif key in budget_fields:
            budget_changes[key] = value
        elif key in recipe_fields:
            recipe_changes[key] = raw  # Recipe coerces strings itself and names bad values
        elif key in study_fields:
            study_changes[key] = raw if key in ("base", "dataset", "pruner") else value
        else:
            raise UsageError(
                f"--set {key}: unknown key; recipe: {', '.join(sorted(recipe_fields))}; "
                f"budget: {', '.join(sorted(budget_fields))}; study: "
                f"{', '.join(sorted(study_fields))}; grid.AXIS=V1,V2; net.FIELD=V; "
                f"point=AXIS=V,... (a search)"
            )
    try:
        new_budget = dataclasses.replace(budget, recipe=tuple(recipe_changes.items()),
                                         **budget_changes)
        study.recipe.replace(**dict(new_budget.recipe))  # validates every recipe value
        if "base" in study_changes and study_changes["base"] not in PRESETS:
            raise ValueError(f"--set base={study_changes['base']!r} is not a preset; "
                             "`make zoo` lists them")
        if "grid" in budget_changes:
            study = study.with_grid(budget_name, new_budget,
                                    keep_max_seeds="max_seeds" in budget_changes, **study_changes)
        else:
            study = study.with_budgets({budget_name: new_budget}, **study_changes)
    except (ValueError, TypeError) as e:
        raise UsageError(str(e).splitlines()[0]) from None
    return study, study.budget(budget_name)


def _point_params(text: str) -> dict[str, Any]:
    """`family=basic,depth0=2,...` (a search's parameters, as its report's best points give
    them) as a dict; UsageError if it is not AXIS=VALUE pairs."""
    params: dict[str, Any] = {}
    for pair in text.split(","):
        name, sep, raw = pair.partition("=")
        if not sep or not name or not raw or name in params:
            raise UsageError(f"--set point={text!r} must be AXIS=VALUE pairs separated by "
                             "commas, each axis once (a search report's best points list them)")
        params[name] = _parse_value(raw)
    return params


def preflight(study: Study, budget_name: str) -> None:
    """checks.preflight, its refusal as one line (UsageError)."""
    from . import checks

    try:
        checks.preflight(study, budget_name)
    except (ValueError, FileNotFoundError, PermissionError, OSError) as e:
        raise UsageError(str(e).splitlines()[0]) from None


def _run(study: Study, budget_name: str, fresh: bool, overrides: str, clock) -> int:
    """Run the study past preflight. Exit status: 0 it ran (a study whose every trial failed
    or was pruned ran too: its summary says so), 1 a failure no input check could catch (one
    line naming the stage, the traceback in a log file), 2 refused (the study is running
    elsewhere), 130 interrupted."""
    from .failures import EXIT_FAILED, report, stage
    from .locations import atlas_folder

    try:
        with clock.phase("imports"):
            from . import runner
    except KeyboardInterrupt:  # the Ray started beside the checks is running already
        from . import ray_setup

        ray_setup.shutdown()
        return _interrupted_before_trials()
    try:
        try:
            outcome = runner.run(study, budget_name, fresh=fresh, overrides=overrides,
                                 clock=clock)
        finally:
            with clock.phase("shutdown"):
                runner.shutdown()
        with clock.phase("analysis"), stage("summarising"):  # pandas, scipy load only now
            from .results import run_end_summary

            summary = run_end_summary(study, outcome["condition"])
    except runner.StudyBusy as e:
        return _usage_error(e)
    except KeyboardInterrupt:
        return 130
    except Exception as e:
        print(report(study.name, e, atlas_folder() / "errors"), file=sys.stderr, flush=True)
        return EXIT_FAILED
    print()
    print(summary)
    print(clock.line())
    return 130 if outcome["status"] == "KILLED" else 0


def run_cli(command) -> None:
    """Exit with `command()`'s status; output piped into a reader that stops early (`| head`)
    ends quietly, as other command-line tools do.

    The command has closed what it opened (MLflow runs, Ray, the stores) when it returns, so the
    process ends there: the interpreter's own teardown (finalising torch, Ray's and MLflow's
    modules and exit handlers) took seconds and did nothing a user could see."""
    import logging
    import os

    try:
        status = command()
        sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # no second error at exit
        status = 0
    logging.shutdown()  # log handlers flushed and closed, as at a normal exit
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    run_cli(lambda: main(from_process_start=True))
