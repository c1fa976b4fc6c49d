"""Browser tests: the real app under uvicorn (a subprocess, on a free port, over a temporary SQLite
database with the demo data), driven by Playwright through Debian's chromium.

We never run `playwright install`: the browser is /usr/bin/chromium (`make test` installs it with
scripts/install-test-tools.sh). Without it these tests fail with a message saying so; they never skip.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from safeenough.practice import Practice
from safeenough.settings import Settings
from tests.browser.helpers import CSP_WATCH, ConsoleWatch

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SERVER_CODE = """
import sys
import uvicorn
from safeenough.practice import Practice
from safeenough.settings import Settings
from tests.browser.helpers import CSP_WATCH, ConsoleWatch
from safeenough.web import create_app

settings = Settings()
uvicorn.run(create_app(Practice.open(settings), settings), host="127.0.0.1", port=int(sys.argv[1]),
            log_level="warning", access_log=False)
"""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_until_serving(
    url: str, server: subprocess.Popen[bytes], log_file: Path, timeout: float = 30.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            output = log_file.read_text(errors="replace")
            pytest.fail(f"the app server exited with {server.returncode} before serving:\n{output}")
        try:
            with urllib.request.urlopen(url + "/login", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    pytest.fail(f"the app server did not answer at {url} within {timeout:.0f} seconds")


@contextmanager
def demo_server(data_dir: Path) -> Iterator[str]:
    """A real uvicorn, in its own process, serving a fresh demo practice on SQLite in `data_dir`."""
    settings = Settings(data_dir=data_dir, database_url=None, secret_key_file=None)
    practice = Practice.create(settings)
    practice.seed_demo()
    practice.close()
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("SAFEENOUGH_")}
    env["SAFEENOUGH_DATA_DIR"] = str(data_dir)
    log_file = data_dir / "server.log"
    with log_file.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-c", SERVER_CODE, str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_serving(url, server, log_file)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a real uvicorn serving a fresh demo practice on SQLite, shared by the browser tests."""
    with demo_server(tmp_path_factory.mktemp("browser-data")) as url:
        yield url


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing, so the browser tests cannot run. Install Debian's chromium with "
            "`bash scripts/install-test-tools.sh` (make test does this), then run the tests again."
        )
    browser = playwright_instance.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def console() -> ConsoleWatch:
    return ConsoleWatch()


@pytest.fixture
def page(browser: Browser, console: ConsoleWatch) -> Iterator[Page]:
    """A fresh browser context (no cookies) per test; fails the test on console errors or CSP violations."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.add_init_script(CSP_WATCH)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("console", console.on_console)
    page.on("pageerror", lambda error: console.problems.append(f"page error: {error}"))
    yield page
    context.close()
    assert console.problems == [], "the browser reported problems:\n" + "\n".join(console.problems)
