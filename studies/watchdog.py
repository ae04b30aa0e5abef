"""A worker ends itself when its driver dies.

A worker on the driver's machine outlives a killed driver by seconds (its Ray died with the
driver, and training does not talk to Ray until its next report). In that time it could finish
a run the next invocation has closed, or will train again. So a watchdog thread ends the worker
process within a second of the driver's death, and the trial checks once more just before it
closes a run. (On a cluster that survives its driver, Ray ends the dead job's workers itself.)
"""

from __future__ import annotations

import functools
import os
import threading
import time

from . import liveness

POLL_S = 1.0


def driver_gone(driver: str) -> bool:
    """The driver ran on this machine and its process is gone (elsewhere: Ray's business)."""
    return liveness.on_this_machine(driver) and not liveness.alive(driver, None)


@functools.cache  # one watchdog per driver and process: Ray reuses workers across trials
def watch(driver: str) -> None:
    """Start the watchdog thread for `driver` (a liveness.identity()); idempotent."""
    if not liveness.on_this_machine(driver):
        return

    def loop() -> None:
        while not driver_gone(driver):
            time.sleep(POLL_S)
        os._exit(1)

    threading.Thread(target=loop, name="atlas-driver-watchdog", daemon=True).start()


def exit_if_orphaned(driver: str) -> None:
    """Called just before a run is closed, so no orphan closes one."""
    if driver_gone(driver):
        os._exit(1)
