"""Browser test harness: the real app served on a free loopback port, and Debian's
Chromium driven by Playwright (never Playwright's own browser download).

Fixtures:
- `live_settings`: Settings for the served app (override it in a test module to change
  them, e.g. to point at localstripe).
- `live_server`: a LiveServer with `.url` and `.app` (use tests.helpers on `.app`).
- `browser`: a Playwright Browser with a fake camera and microphone.
- `page`: a new page in a fresh context (Korean locale, phone-sized viewport).
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from playwright.async_api import Browser, Page, async_playwright

from server.app import create_app
from server.settings import Settings
from tests.conftest import base_settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    url: str
    app: web.Application


@pytest.fixture
def live_port() -> int:
    return free_port()


@pytest.fixture
def live_settings(tmp_path: Path, live_port: int) -> Settings:
    return base_settings(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'e2e.db'}").with_(
        port=live_port, public_url=f"http://127.0.0.1:{live_port}"
    )


@pytest.fixture
async def live_server(live_settings: Settings) -> AsyncIterator[LiveServer]:
    app = create_app(live_settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", live_settings.port)
    await site.start()
    try:
        yield LiveServer(url=live_settings.public_url, app=app)
    finally:
        await runner.cleanup()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(
        locale="ko-KR", viewport={"width": 390, "height": 844}, timezone_id="Asia/Seoul"
    )
    context.set_default_timeout(15_000)
    page = await context.new_page()
    try:
        yield page
    finally:
        await context.close()
