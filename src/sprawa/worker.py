"""The worker loop: heartbeat, claim due jobs, run them; stops cleanly on a signal or an event.

Killing a worker (even with SIGKILL) loses nothing: a job it had started is run again by the next
worker once its lease has passed, and every handler is idempotent. A clean stop (SIGTERM, ``stop``)
finishes the running job and hands the rest of the claimed batch straight back to the queue.
"""

import logging
import os
import threading
import time

from sprawa.aftersales.tasks import ensure_allegro_returns_scheduled
from sprawa.channels.email.idle import watch_mailboxes
from sprawa.privacy.tasks import ensure_retention_scheduled
from sprawa.runtime import Runtime

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 5.0
ERROR_PAUSE_SECONDS = 2.0


def run_worker(runtime: Runtime, stop: threading.Event) -> None:
    worker = runtime.worker()
    ensure_retention_scheduled(runtime.factory)
    ensure_allegro_returns_scheduled(runtime.factory)
    watch_mailboxes(runtime.factory, runtime.ingest.secrets, runtime.ingest.adapters, stop)  # IMAP IDLE
    log.info("worker started", extra={"worker_id": worker.worker_id, "pid": os.getpid()})
    last_beat = 0.0
    while not stop.is_set():
        try:
            if time.monotonic() - last_beat > HEARTBEAT_SECONDS:
                worker.heartbeat()
                last_beat = time.monotonic()
            # A full batch means more is probably due: claim again at once instead of sleeping.
            if worker.run_once(stop) < worker.batch:
                stop.wait(runtime.settings.worker_poll_seconds)
        except Exception:  # the database went away: keep trying, never die silently
            log.exception("worker loop error")
            stop.wait(ERROR_PAUSE_SECONDS)
    try:
        worker.retire()
    except Exception:  # the database is gone; the heartbeat simply ages out
        log.warning("could not retire the worker heartbeat", extra={"worker_id": worker.worker_id})
    log.info("worker stopped", extra={"worker_id": worker.worker_id})
