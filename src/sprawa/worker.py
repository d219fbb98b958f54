"""The worker loop: heartbeat, claim due jobs, run them; stops cleanly on a signal or an event."""

import logging
import threading
import time

from sprawa.runtime import Runtime

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 5.0


def run_worker(runtime: Runtime, stop: threading.Event) -> None:
    worker = runtime.worker()
    log.info("worker started", extra={"worker_id": worker.worker_id})
    last_beat = 0.0
    while not stop.is_set():
        try:
            if time.monotonic() - last_beat > HEARTBEAT_SECONDS:
                worker.heartbeat()
                last_beat = time.monotonic()
            if worker.run_once() == 0:
                stop.wait(runtime.settings.worker_poll_seconds)
        except Exception:  # the database went away: keep trying, never die silently
            log.exception("worker loop error")
            stop.wait(2.0)
    log.info("worker stopped", extra={"worker_id": worker.worker_id})
