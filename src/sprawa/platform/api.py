"""Operations endpoints: ``/healthz`` for load balancers and orchestrators, ``/metrics`` for Prometheus.

Neither needs a login: health says only ok/degraded/down, metrics carry counts and route templates, no
personal data. Both read the database outside the request's unit of work, so a broken database gives a
clear 503 (health) or ``sprawa_db_up 0`` (metrics) instead of an error page.
"""

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from sprawa.platform.metrics import Health, WorkerStatus, check_health

router = APIRouter(tags=["ops"])

# An orchestrator's probe gives up after a few seconds; answer before it does, even if the DB hangs.
HEALTH_TIMEOUT_SECONDS = 5.0
_NO_STORE = {"Cache-Control": "no-store"}


@router.get("/healthz")
async def healthz(request: Request) -> JSONResponse:
    """200 ``ok`` (DB and a live worker), 200 ``degraded`` (no live worker), 503 ``down`` (no DB)."""
    factory = request.app.state.runtime.factory
    try:
        with anyio.fail_after(HEALTH_TIMEOUT_SECONDS):
            health = await anyio.to_thread.run_sync(check_health, factory, abandon_on_cancel=True)
    except TimeoutError:
        health = Health("down", "error", WorkerStatus(None, False), error="timeout")
    return JSONResponse(health.as_dict(), status_code=health.http_status, headers=_NO_STORE)


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    # A plain (sync) handler: the scrape reads the database in the thread pool, not on the event loop.
    return Response(request.app.state.metrics.exposition(), media_type=CONTENT_TYPE_LATEST, headers=_NO_STORE)
