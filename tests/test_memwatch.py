"""`python -m studies.memwatch`: the peak memory of a command and the processes it starts."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

HOLD = "import sys, time; x = bytearray({mb} * 2**20); x[::4096] = b'1' * len(x[::4096]); " \
       "time.sleep(1.5)"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_peak_counts_the_command_and_the_processes_it_starts():
    grandchild = HOLD.format(mb=200)
    child = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {grandchild!r}])"
    out = subprocess.run([sys.executable, "-m", "studies.memwatch", sys.executable, "-c", child],
                         capture_output=True, text=True, check=True).stdout
    peak = float(re.search(r"peak PSS of all processes ([0-9.]+) GiB", out).group(1))
    assert 0.2 <= peak < 0.5, out  # the grandchild's 200 MB, and two interpreters


def test_without_a_command_it_says_how_to_call_it():
    done = subprocess.run([sys.executable, "-m", "studies.memwatch"], capture_output=True,
                          text=True)
    assert done.returncode == 2 and "usage: python -m studies.memwatch CMD" in done.stderr
