"""MLflow's UI and Optuna's dashboard as a user sees them.

MLflow's UI (README "Comparing variants in the MLflow UI"): a tiny study into a fresh store,
`mlflow ui` on a free loopback port, and headless Chromium driven by Playwright
(tests/ui/check_ui.mjs) through the README's steps: the experiment opens on its runs with the
claim shown, the parent run holds its trials, group by variant gives one group per variant, and
the compare view opens for two selected runs. Optuna's dashboard (`make dashboard`): a tiny
search, the command's own server, and Chromium finding the search's Optuna study and its trials
(tests/ui/check_dashboard.mjs). Screenshots of every step are kept (ATLAS_UI_SCREENSHOTS, else
the test's temporary folder). `.ci/run` installs Chromium and the driver; elsewhere the tests
are skipped when they are missing, unless ATLAS_REQUIRE_BROWSER=1."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from studies import STUDIES
from studies.__main__ import main

UI = Path(__file__).parent / "ui"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
BIN = Path(sys.executable).parent
TINY = ["--set", "max_train_images=256", "--set", "max_val_images=128", "--set",
        "max_test_images=128", "--set", "batch_size=64", "--set", "epochs=1", "--set",
        "grid.wrn=10-1,10-2", "--set", "seeds=2", "--set", "max_seeds=0"]


def _missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed (apt-get install nodejs)"
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    if not (UI / "node_modules" / "playwright-core").exists():
        return f"playwright-core is not installed (npm ci --prefix {UI})"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_up(url: str, server: subprocess.Popen, timeout: float = 120,
                   probe: str = "/health") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}{probe}", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"the server did not answer at {url}{probe} in {timeout:.0f} s")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def _stop_group(server: subprocess.Popen, grace: float = 30) -> None:
    """SIGTERM mlflow ui's process group (it and its workers), SIGKILL what outlives `grace`."""
    os.killpg(server.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while _group_alive(server.pid) and time.monotonic() < deadline:
        server.poll()  # reap the leader, so a finished group stops answering
        time.sleep(0.2)
    if _group_alive(server.pid):
        os.killpg(server.pid, signal.SIGKILL)
    server.wait(timeout=30)
    deadline = time.monotonic() + 10
    while _group_alive(server.pid) and time.monotonic() < deadline:
        time.sleep(0.2)


@pytest.mark.slow
def test_the_mlflow_ui_shows_a_study_as_the_readme_says(workdir, tmp_path_factory):
    missing = _missing()
    if missing:
        if os.environ.get("ATLAS_REQUIRE_BROWSER"):
            pytest.fail(missing)
        pytest.skip(missing)
    study = STUDIES["width_vs_depth"]
    assert main(["run", study.name, *TINY]) == 0
    from studies import tracking

    client = tracking.client()
    exp_id = tracking.find_experiment(client, study.name)
    shots = Path(os.environ.get("ATLAS_UI_SCREENSHOTS") or tmp_path_factory.mktemp("ui-shots"))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (workdir.parent / "mlflow-ui.log").open("w")
    server = subprocess.Popen(
        [str(BIN / "mlflow"), "ui", "--backend-store-uri", tracking.tracking_uri(),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # its own group
    try:
        _wait_until_up(url, server)
        check = subprocess.run(
            ["node", str(UI / "check_ui.mjs"), url, exp_id, study.claim[:60],
             f"{study.name}-quick-", str(shots)],
            capture_output=True, text=True, timeout=300)
    finally:
        _stop_group(server)
        log.close()
    print(f"screenshots: {shots}")
    lines = check.stdout.strip().splitlines()
    assert check.returncode == 0 and lines, check.stdout[-2000:] + check.stderr[-2000:]
    found = json.loads(lines[-1])["found"]
    assert found["claimShown"] and found["nestedTrials"] >= 4, found  # 2 variants x 2 seeds
    assert found["groups"] == 2 and found["compared"] == 2, found
    for step in ("1-runs", "2-nested", "3-grouped", "4-compare"):
        assert (shots / f"{step}.png").stat().st_size > 10_000, step
    assert not _group_alive(server.pid)  # mlflow ui and every worker it started have ended


@pytest.mark.slow
def test_optunas_dashboard_shows_a_search_and_its_trials(workdir, tmp_path_factory):
    """`make dashboard name=nas` after a tiny search: the command prints the search's Optuna
    study and its page, and in Chromium the dashboard lists the study and its three trials."""
    missing = _missing()
    if missing:
        if os.environ.get("ATLAS_REQUIRE_BROWSER"):
            pytest.fail(missing)
        pytest.skip(missing)
    settings = ("trials=3", "epochs=1", "max_train_images=256", "max_val_images=128",
                "max_test_images=128", "batch_size=64")
    assert main(["run", "nas", *(a for s in settings for a in ("--set", s))]) == 0
    shots = Path(os.environ.get("ATLAS_UI_SCREENSHOTS") or tmp_path_factory.mktemp("ui-shots"))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = workdir.parent / "dashboard.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "studies", "dashboard", "nas", "--port", str(port)],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            _wait_until_up(url, server, probe="/api/studies")
            printed = log_path.read_text().splitlines()
            page = next(line.rpartition(": ")[2] for line in printed
                        if line.startswith("nas/quick/gen0 (3 trials): "))
            check = subprocess.run(
                ["node", str(UI / "check_dashboard.mjs"), url, "nas/quick/gen0", page, "3",
                 str(shots)], capture_output=True, text=True, timeout=300)
        finally:
            _stop_group(server)
    assert page.startswith(f"{url}/dashboard/studies/")
    assert f"{url}/dashboard (Ctrl-C stops it)" in printed[1]
    lines = check.stdout.strip().splitlines()
    assert check.returncode == 0 and lines, check.stdout[-2000:] + check.stderr[-2000:]
    found = json.loads(lines[-1])["found"]
    assert found == {"studyListed": True, "trialsShown": 3}, found
    for step in ("1-studies", "2-trials"):
        assert (shots / f"{step}.png").stat().st_size > 10_000, step

