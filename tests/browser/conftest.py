"""A real server (uvicorn in a thread on a free port, seeded temp SQLite) and headless Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import SecretStr

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--metrics-recording-only",
    "--disable-breakpad",
]
SCREENSHOTS = Path(__file__).parents[2] / "build" / "screenshots"


def _chromium_or_skip() -> None:
    if shutil.which("chromium") is None and not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required in CI (apt-get install -y chromium)")
        pytest.skip("chromium is not installed (apt-get install -y chromium)")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, object]]:
    _chromium_or_skip()
    import uvicorn

    from simexit import migrate
    from simexit.config import Settings
    from simexit.db import make_engine
    from simexit.runtime import Runtime
    from simexit.seed.demo import seed_demo
    from simexit.web.app import create_web_app

    path = tmp_path_factory.mktemp("browser") / "portal.db"
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    runtime = Runtime(
        Settings(
            database_url=f"sqlite:///{path}",
            secret_key=SecretStr("browser-test-secret-key-0123456789"),
        )
    )
    with runtime.db.session() as session:
        seed_demo(
            session,
            packs=runtime.packs,
            now=datetime.now(UTC),
            password_hash=runtime.passwords.hash("demo-password"),
        )
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(
        create_web_app(runtime), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    uv_server = uvicorn.Server(config)
    thread = threading.Thread(target=uv_server.run, daemon=True)
    thread.start()
    while not uv_server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", runtime
    uv_server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser(server: tuple[str, object]) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        yield chromium
        chromium.close()
