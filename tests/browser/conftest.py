"""Browser tests: the real UI in Debian's Chromium, driven by Playwright, against a live demo server.

One server for the browser tests (SQLite, demo workspace seeded, embedded worker) on a free loopback port;
each test gets a fresh browser context. Console errors, page errors and dialogs are collected so a test can
assert that customer content never ran as script. Screenshots go to var/test-artifacts/ (not committed).
These tests run in the SQLite pass of `make test` only: the browser sees the same HTML whatever the database.
"""

import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright

from sprawa.app import create_app
from sprawa.config import Settings
from sprawa.platform.migrations import upgrade
from sprawa.runtime import Runtime
from sprawa.seed import seed_demo

collect_ignore_glob = ["test_*.py"] if os.environ.get("SPRAWA_TEST_DATABASE_URL") else []

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
DEMO_PASSWORD = "demo1234"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class LiveServer:
    url: str
    runtime: Runtime


@pytest.fixture(scope="package")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data_dir = tmp_path_factory.mktemp("browser")
    port = _free_port()
    settings = Settings(
        data_dir=data_dir,
        database_url=f"sqlite:///{data_dir / 'demo.db'}",
        secret_key="browser-test-secret-key",
        host="127.0.0.1",
        port=port,
        worker_poll_seconds=0.05,
        _env_file=None,
    )
    upgrade(settings.resolved_database_url)
    runtime = Runtime.build(settings)
    with runtime.factory.begin() as session:
        seed_demo(session, settings, runtime.ingest)
    app = create_app(settings, runtime=runtime, embedded_worker=True)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
    )
    thread = threading.Thread(target=server.run, daemon=True, name="live-server")
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    yield LiveServer(url=f"http://127.0.0.1:{port}", runtime=runtime)
    server.should_exit = True
    thread.join(timeout=15)
    runtime.close()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install -y chromium)"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@dataclass
class PageProblems:
    """What a page did that it never should: console errors, uncaught exceptions, dialogs (alert/confirm)."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))

        def on_dialog(dialog) -> None:  # type: ignore[no-untyped-def]
            self.dialogs.append(dialog.message)
            dialog.dismiss()

        page.on("dialog", on_dialog)

    def assert_clean(self) -> None:
        assert (self.console_errors, self.page_errors, self.dialogs) == ([], [], [])


@pytest.fixture
def problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def new_page(browser: Browser, problems: PageProblems, request: pytest.FixtureRequest) -> Iterator:  # type: ignore[type-arg]
    """A factory of pages, each in its own context (cookies), watched for problems; screenshots at exit."""
    contexts = []

    def make(viewport: dict[str, int] | None = None) -> Page:
        context = browser.new_context(viewport=viewport or {"width": 1366, "height": 820}, locale="pl-PL")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        problems.watch(page)
        return page

    yield make
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for i, context in enumerate(contexts):
        for j, page in enumerate(context.pages):
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{i}-{j}.png"), full_page=True)
        context.close()


@pytest.fixture
def page(new_page) -> Page:  # type: ignore[no-untyped-def]
    return new_page()


def login(
    page: Page, base_url: str, email: str = "agnieszka@demo.sprawa.local", next_path: str = "/app"
) -> None:
    page.goto(f"{base_url}/login?next={next_path}")
    page.fill("#email", email)
    page.fill("#password", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
