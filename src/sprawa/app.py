"""The ASGI application: routers, error mapping, lifecycle of the runtime (bus, embedded worker)."""

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from sprawa.config import Settings
from sprawa.platform.errors import AppError
from sprawa.platform.metrics import install_observability
from sprawa.runtime import Runtime
from sprawa.web.shell import install_web

log = logging.getLogger(__name__)


def _routers() -> list:  # type: ignore[type-arg]
    from sprawa.aftersales.api import router as aftersales
    from sprawa.ai.api import router as ai
    from sprawa.auth.api import router as auth
    from sprawa.auth.api import users_router as users
    from sprawa.cases.api import files_router as files
    from sprawa.cases.api import router as cases
    from sprawa.cases.events import router as live
    from sprawa.channels.allegro.api import router as allegro_connect
    from sprawa.channels.api import router as channels
    from sprawa.channels.form.api import router as form_inbound
    from sprawa.channels.meta.api import router as meta_inbound
    from sprawa.channels.webchat.api import demo_router as webchat_demo
    from sprawa.channels.webchat.api import router as webchat
    from sprawa.channels.whatsapp.api import router as whatsapp_inbound
    from sprawa.commerce.api import router as commerce
    from sprawa.customers.api import router as customers
    from sprawa.insights.api import router as insights
    from sprawa.knowledge.api import router as knowledge
    from sprawa.macros.api import router as macros
    from sprawa.platform.api import router as ops
    from sprawa.privacy.api import router as privacy
    from sprawa.proactive.api import router as proactive
    from sprawa.web.api import router as web
    from sprawa.web.pages.aftersales import router as web_aftersales
    from sprawa.web.pages.agent import router as web_agent
    from sprawa.web.pages.auth import router as web_auth
    from sprawa.web.pages.channel_connect import router as web_channel_connect
    from sprawa.web.pages.demo_outbox import router as web_demo_outbox
    from sprawa.web.pages.insights import router as web_insights
    from sprawa.web.pages.privacy import router as web_privacy
    from sprawa.web.pages.shop_settings import router as web_shop_settings
    from sprawa.web.pages.survey import router as survey_pages
    from sprawa.workspaces.api import router as workspace_admin

    return [
        *[auth, web, ops, form_inbound, users, channels, knowledge, workspace_admin],
        *[live, webchat, webchat_demo],
        *[whatsapp_inbound, meta_inbound, allegro_connect],
        *[cases, customers, macros, ai],
        *[privacy, files, web_privacy],
        *[web_shop_settings],
        *[aftersales],
        *[commerce, proactive],
        *[insights, survey_pages, web_insights],
        *[web_auth, web_agent, web_aftersales],
        *[web_channel_connect, web_demo_outbox],
    ]


def create_app(
    settings: Settings | None = None, *, runtime: Runtime | None = None, embedded_worker: bool = False
) -> FastAPI:
    """Build the app; ``embedded_worker`` runs jobs and the outbox in this process (demo, one machine)."""
    runtime = runtime or Runtime.build(settings or Settings())

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime.bus.start(asyncio.get_running_loop())
        stop = threading.Event()
        thread = None
        if embedded_worker:
            from sprawa.worker import run_worker

            thread = threading.Thread(target=run_worker, args=(runtime, stop), daemon=True, name="worker")
            thread.start()
        try:
            yield
        finally:
            stop.set()
            if thread is not None:
                thread.join(timeout=15)
            runtime.bus.stop()

    app = FastAPI(
        title="Sprawa API",
        version="1",
        lifespan=lifespan,
        openapi_url="/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.runtime = runtime
    for router in _routers():
        app.include_router(router)
    install_observability(app, runtime.factory)
    install_web(app)

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> JSONResponse:
        return JSONResponse(
            {"error": {"code": exc.code, "message": exc.message, "details": exc.details}},
            status_code=exc.status,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ())[1:]),
                "problem": e.get("msg"),
                "type": e.get("type"),
            }
            for e in exc.errors()
        ]
        return JSONResponse(
            {
                "error": {
                    "code": "invalid_input",
                    "message": "some fields are missing or invalid",
                    "details": details,
                }
            },
            status_code=422,
        )

    return app


def create_served_app() -> FastAPI:
    """The app of one of several ``sprawa serve`` processes (``SPRAWA_WEB_CONCURRENCY``)."""
    from sprawa.logs import configure_logging

    settings = Settings()
    configure_logging(settings.log_level)
    return create_app(settings)
