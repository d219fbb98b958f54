"""The ``sprawa`` command: serve, worker, demo, migrate, seed (and developer tools)."""

import argparse
import gc
import logging
import signal
import sys
import threading

from sprawa.config import Settings
from sprawa.logs import configure_logging


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> None:
    from sprawa.platform.migrations import upgrade

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    upgrade(settings.resolved_database_url)
    print(f"Database is up to date: {_safe_url(settings.resolved_database_url)}")


def cmd_seed(settings: Settings, args: argparse.Namespace) -> None:
    from sprawa.runtime import Runtime
    from sprawa.seed import seed_demo, seed_tau2

    runtime = Runtime.build(settings)
    with runtime.factory.begin() as session:
        summary = seed_demo(session, settings, runtime.ingest)
    print(summary.get("message", summary))
    if args.tau2:
        from sprawa.commerce.tau2 import default_db_path

        if default_db_path(settings.tau2_db) is None:
            print("τ²-bench retail data not found (set SPRAWA_TAU2_DB): the second workspace is skipped.")
        else:
            with runtime.factory.begin() as session:
                print(seed_tau2(session, settings).get("message", ""))
    runtime.close()


def cmd_serve(settings: Settings, args: argparse.Namespace, *, embedded_worker: bool = False) -> None:
    import uvicorn

    from sprawa.app import create_app

    processes = settings.web_concurrency
    if processes > 1 and (embedded_worker or settings.bus_kind != "postgres"):
        raise SystemExit(
            "SPRAWA_WEB_CONCURRENCY > 1 needs PostgreSQL and its event bus: live events must cross processes."
        )
    # Several processes import the app themselves (settings from the same environment).
    app = (
        "sprawa.app:create_served_app"
        if processes > 1
        else create_app(settings, embedded_worker=embedded_worker)
    )
    # What start-up built (modules, routes, schemas) lives as long as the process: a full collection
    # walking it paused a request for ~0.3 s while it held SQLite's write lock.
    gc.freeze()
    uvicorn.run(
        app,
        factory=processes > 1,
        workers=processes,
        host=settings.host,
        port=settings.port,
        log_level=settings.log_level.lower(),
        access_log=False,
        # Keep our JSON logging (configure_logging); uvicorn's default config would replace it.
        log_config=None,
        timeout_graceful_shutdown=10,
    )


def cmd_worker(settings: Settings, args: argparse.Namespace) -> None:
    from sprawa.runtime import Runtime
    from sprawa.worker import run_worker

    runtime = Runtime.build(settings)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    gc.freeze()  # as in ``serve``: full collections skip what start-up built
    run_worker(runtime, stop)
    runtime.close()


def cmd_demo(settings: Settings, args: argparse.Namespace) -> None:
    cmd_migrate(settings, args)
    args.tau2 = True
    cmd_seed(settings, args)
    from sprawa.channels.demo import with_demo_fakes

    settings = with_demo_fakes(settings)  # local e-mail and Meta fakes, so replies are delivered
    base = f"http://{settings.host}:{settings.port}"
    print(
        "\n".join(
            [
                "",
                "Sprawa is starting (server + worker in one process).",
                f"  Start page:       {base}/",
                f"  Agent inbox:      {base}/app/inbox   (log in as an agent below)",
                f"  Demo shop + chat: {base}/demo/sklep  (open it in another window and write in the chat)",
                f"  Settings (admin): {base}/app/settings",
                f"  Sent e-mails and messages (local fakes): {base}/demo/poczta",
                f"  API docs:         {base}/api/docs",
                f"  Health:           {base}/healthz",
                "  Logins (password demo1234): admin@demo.sprawa.local, agnieszka@demo.sprawa.local,",
                "                              tomasz@demo.sprawa.local, katarzyna@demo.sprawa.local",
                "",
            ]
        ),
        flush=True,
    )
    cmd_serve(settings, args, embedded_worker=True)


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


COMMANDS = {
    "migrate": (cmd_migrate, "create or upgrade the database schema"),
    "seed": (cmd_seed, "load the demo workspace (and with --tau2 the tau2-bench retail shop)"),
    "serve": (cmd_serve, "run the HTTP + WebSocket server"),
    "worker": (cmd_worker, "run jobs, the outbox and pollers"),
    "demo": (cmd_demo, "migrate, seed and run server + worker in one process"),
}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="sprawa", description="Sprawa customer service platform")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (_fn, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text)
        if name == "seed":
            p.add_argument("--tau2", action="store_true", help="also load the tau2-bench retail workspace")
    _extend(sub)
    args = parser.parse_args(argv)
    settings = Settings()
    configure_logging(settings.log_level)
    handler = getattr(args, "handler", None)
    if handler is not None:
        handler(settings, args)
        return
    COMMANDS[args.command][0](settings, args)


def _extend(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Developer and evaluation commands register here (each sets ``handler``)."""
    from sprawa.bench import add_bench_command

    add_bench_command(sub)
    from sprawa.chaos import add_chaos_command

    add_chaos_command(sub)
    from sprawa.channels.chaos import add_channel_chaos_commands

    add_channel_chaos_commands(sub)
    from sprawa.ai.evaluate import add_eval_command
    from sprawa.ai.nlu.triage import add_triage_command

    add_triage_command(sub)
    add_eval_command(sub)
    from sprawa.ai.tau2 import add_tau2_command

    add_tau2_command(sub)
    from sprawa.privacy.tasks import add_privacy_commands

    add_privacy_commands(sub)


if __name__ == "__main__":
    sys.exit(main())
