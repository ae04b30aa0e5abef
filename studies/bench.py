"""`make bench`, the harness's row: a study against the same trials trained in one process.

Side by side, in turn: the trials of a small study trained one after another in this process
with `trainers.train` (same points, recipes, seeds, precision and threads as the study's), and
`python -m studies run` of that study in a fresh folder (its own MLflow store, Ray and
checkpoints), one trial at a time. Prints both wall times, their ratio, the harness's seconds
and the study's own time line (studies.timing), which says where they went.

    python -m studies.bench                      # the 12 tiny trials (1 epoch, 1,024 images)
    python -m studies.bench --preset front_door  # the front door's quick budget, 2 seeds
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STUDY = "width_vs_depth"
# --set overrides of each preset; concurrency=1 so that the study's wall time compares with
# its trials' summed time
PRESETS = {
    "tiny": ["epochs=1", "max_train_images=1024", "max_val_images=256", "max_test_images=256",
             "seeds=4", "max_seeds=4", "concurrency=1"],
    "front_door": ["seeds=2", "max_seeds=2", "concurrency=1"],
}
# what a study invocation must not inherit: another store, cluster or state folder
_FOREIGN = ("MLFLOW_TRACKING_URI", "ATLAS_OPTUNA_STORAGE", "RAY_ADDRESS", "ATLAS_HOME",
            "ATLAS_RAY_STORAGE")


def in_process_s(settings: list[str]) -> tuple[float, int]:
    """Seconds to train the study's trials one after another in this process (after its
    imports), and how many there were."""
    from trainers import train
    from trainers.data import parse

    from .__main__ import apply_overrides
    from .driver import ablation_points, granted_cpus
    from .trial import Job, planned_precision

    study, _ = apply_overrides(_study(), "quick", settings)
    budget = granted_cpus(study.budget("quick"))
    recipe = study.recipe_for(budget)
    shape = parse(study.dataset).shape
    # the trial's own rule for its point and recipe (threads, precision): Job.resolve
    job = Job(study=study, budget_name="quick", budget=budget, recipe=recipe, tracking_uri="",
              experiment_id="", parent_id="", generation=0, checkpoint_root="",
              input_size=shape.input_size, num_classes=shape.num_classes,
              precision=planned_precision(recipe, budget))
    points = ablation_points(study, budget)
    start = time.perf_counter()
    for params in points:
        net, trial_recipe, _ = job.resolve(params)
        train(net, trial_recipe, data=study.dataset)
    return time.perf_counter() - start, len(points)


def study_s(settings: list[str]) -> tuple[float, str]:
    """Wall seconds of `python -m studies run` in a fresh folder, and its time line."""
    from trainers.data import data_root

    repo = str(Path(__file__).resolve().parent.parent)
    env = {k: v for k, v in os.environ.items() if k not in _FOREIGN}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [repo, env.get("PYTHONPATH")]))
    # the data folder the in-process trials read (unpacked once, as in a user's own folder)
    env["ATLAS_DATA"] = str(data_root())
    command = [sys.executable, "-m", "studies", "run", STUDY, "--budget", "quick"]
    for setting in settings:
        command += ["--set", setting]
    with tempfile.TemporaryDirectory(prefix="atlas-bench-") as folder:
        start = time.perf_counter()
        done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}:\n"
                           f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
    lines = [line for line in done.stdout.splitlines() if line.startswith("time: ")]
    return seconds, lines[-1] if lines else "(no time line)"


def _study():
    from . import STUDIES

    return STUDIES[STUDY]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m studies.bench",
                                description=__doc__.split("\n")[0])
    p.add_argument("--preset", choices=sorted(PRESETS), default="tiny")
    p.add_argument("--repeats", type=int, default=1, help="pairs of runs; medians are shown")
    args = p.parse_args(argv)
    settings = PRESETS[args.preset]
    ours, theirs, lines, trials = [], [], [], 0
    for _ in range(max(1, args.repeats)):
        seconds, trials = in_process_s(settings)
        ours.append(seconds)
        seconds, line = study_s(settings)
        theirs.append(seconds)
        lines.append(line)
    study, alone = statistics.median(theirs), statistics.median(ours)
    print(f"study vs the same trials in one process ({STUDY}, {args.preset}: {trials} trials, "
          f"one at a time): study {study:.1f} s, in one process {alone:.1f} s, ratio "
          f"{study / alone:.2f}x, harness {study - alone:+.1f} s "
          f"(study/in one process per repeat: "
          f"{', '.join(f'{a:.1f}/{b:.1f}' for a, b in zip(theirs, ours, strict=True))})")
    print(f"  the study's own account: {lines[-1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
