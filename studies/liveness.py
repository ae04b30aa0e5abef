"""Is the driver of a RUNNING parent run still alive?

A study's driver can die without closing its MLflow runs (SIGKILL, the OOM killer, a lost
machine). The next invocation must tell such runs from a live run of the same study: it closes
the first kind as KILLED and refuses to start beside the second (two drivers of one study would
hand out the same trials). A parent run records who drives it (`identity()`) and a heartbeat
refreshed while it runs; on the same machine the process table decides at once, elsewhere a
heartbeat older than HEARTBEAT_STALE_S does.
"""

from __future__ import annotations

import functools
import os
import socket
import time
from pathlib import Path

HEARTBEAT_EVERY_S = 20.0
HEARTBEAT_STALE_S = 120.0  # six missed beats: long enough for a busy store, short for a human


@functools.cache  # fixed until the next boot; the worker watchdog asks every second
def machine() -> str:
    """This machine, as `hostname/boot-id` (a reboot or another container with the same host
    name is another machine: its process ids mean nothing here)."""
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()[:8]
    except OSError:
        boot = "?"
    return f"{socket.gethostname()}/{boot}"


def start_ticks(pid: int) -> int | None:
    """The process's start time in clock ticks since boot (Linux), or None if it is gone.
    With the pid it names one process: pids are reused, start times are not. A process that
    has exited but is not yet reaped (a zombie: a SIGKILLed driver whose parent died with it
    waits for PID 1 to reap it, which can take seconds) is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return None if fields[0] in ("Z", "X") else int(fields[19])
    except (OSError, ValueError, IndexError):
        return None


def process_start_time(pid: int | None = None) -> float:
    """Wall-clock start of a process (default: this one), or now when unknown."""
    ticks = start_ticks(os.getpid() if pid is None else pid)
    try:
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return time.time()
    if ticks is None:
        return time.time()
    return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")


def identity() -> str:
    """`machine:pid:start-ticks` of this process."""
    pid = os.getpid()
    return f"{machine()}:{pid}:{start_ticks(pid)}"


def alive(driver: str | None, heartbeat: float | None, now: float | None = None) -> bool:
    """Whether the process `driver` (an `identity()`) is still running. On this machine the
    process table answers; on another the heartbeat (seconds since the epoch) must be fresh.
    A run with neither counts as dead."""
    now = time.time() if now is None else now
    if driver:
        host, pid, ticks = _parse(driver)
        if host == machine() and pid is not None:
            return start_ticks(pid) == ticks
    return heartbeat is not None and now - heartbeat < HEARTBEAT_STALE_S


def on_this_machine(driver: str | None) -> bool:
    return bool(driver) and _parse(driver)[0] == machine()


def _parse(driver: str) -> tuple[str, int | None, int | None]:
    host, _, tail = driver.rpartition(":")
    host, _, pid = host.rpartition(":")
    try:
        return host, int(pid), int(tail)
    except ValueError:
        return host, None, None
