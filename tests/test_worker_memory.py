"""A worker does not grow with its trials: Ray reuses one worker process for trial after trial,
each on a new thread, and what one trial freed must serve the next (studies.ray_setup limits
glibc's malloc arenas for that; studies.trial returns what a finished trial freed).

Each trial logs what its worker keeps once it has finished (`worker_rss_mb`). The test runs four
different nets, then the same four again (a new net every trial, as in a search, and a second
round that needs no memory the first did not): once each net has been seen, the worker's memory
must not grow: the second round's median against the 4th trial, so one trial's passing
allocation (a fresh clone's run once had +24 MB at the 8th trial alone, the three before it
flat) is not taken for growth. Measured on these 8 trials, one worker, on a 2-core machine:
glibc's default arenas (8 per core, fewer than a Ray worker's threads there, so each new trial
thread is handed another arena, which keeps what its trial freed), no trim: +305 MB from the
4th trial to the 8th; default arenas with the trim: +49 and +54 MB in two runs (median), under
the bound in a third (the trim returns some arenas' fragments and not others, so this test
catches a lost arena limit only most of the time; a lost trim and limit, always); two arenas
with the trim: under 1 MB (MALLOC_ARENA_MAX=16 reproduces the default). The bound, 5 MB per
trial of the second round, lies between.
"""

from __future__ import annotations

import statistics

import pytest
from mlflow.tracking import MlflowClient

from studies.__main__ import main

NETS = ("10-1", "10-2", "22-1", "16-4")
BOUND_MB_PER_TRIAL = 5.0


@pytest.mark.slow
def test_a_workers_memory_is_flat_once_each_net_has_been_seen(workdir, capsys):
    argv = ["run", "width_vs_depth", "--set", f"grid.wrn={','.join(NETS)}",
            "--set", "seeds=2", "--set", "max_seeds=0", "--set", "concurrency=1",
            "--set", "epochs=1", "--set", "batch_size=64", "--set", "max_train_images=512",
            "--set", "max_val_images=128", "--set", "max_test_images=128"]
    assert main(argv) == 0
    client = MlflowClient(f"sqlite:///{workdir / 'mlruns.db'}")
    experiment = client.get_experiment_by_name("width_vs_depth").experiment_id
    trials = sorted(client.search_runs([experiment], "tags.`atlas.role` = 'trial'"),
                    key=lambda r: r.info.start_time)
    assert [r.data.tags["atlas.variant"] for r in trials] == [f"wrn={n}" for n in NETS] * 2
    assert len({r.data.tags["atlas.worker_pid"] for r in trials}) == 1  # one reused worker
    rss = [r.data.metrics["worker_rss_mb"] for r in trials]
    seen = len(NETS)  # after the 4th trial every net has been trained once
    allowed = BOUND_MB_PER_TRIAL * (len(rss) - seen)
    # the second round's median: growth that persists, not one trial's passing allocation
    grown = statistics.median(rss[seen:]) - rss[seen - 1]
    assert grown <= allowed, f"worker memory after each trial (MB): {rss}"
