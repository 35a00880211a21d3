"""Starts localstripe beside the server when no Stripe keys are configured."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from server.settings import LOCALSTRIPE_PORT, Secret, Settings

log = logging.getLogger("jangteo.localstripe")
LOCALSTRIPE_KEY = "sk_test_localstripe"
LOCALSTRIPE_PUBLISHABLE = "pk_test_localstripe"


async def wait_until_up(
    base: str,
    patience: float = 60.0,
    process: asyncio.subprocess.Process | None = None,
    log_path: Path | None = None,
) -> None:
    deadline = asyncio.get_running_loop().time() + patience
    async with aiohttp.ClientSession() as http:
        while True:
            if process is not None and process.returncode is not None:
                raise RuntimeError(
                    f"localstripe exited ({process.returncode}); is "
                    f"{base} in use? Its log: {log_path}"
                )
            try:
                async with http.get(
                    f"{base}/v1/customers", headers={"Authorization": f"Bearer {LOCALSTRIPE_KEY}"}
                ) as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"localstripe did not start at {base}")
            await asyncio.sleep(0.2)


def localstripe_settings(settings: Settings, base: str) -> Settings:
    return settings.with_(
        stripe_secret_key=Secret(LOCALSTRIPE_KEY),
        stripe_publishable_key=LOCALSTRIPE_PUBLISHABLE,
        stripe_api_base=base,
    )


@contextlib.asynccontextmanager
async def run_localstripe(
    settings: Settings, port: int = LOCALSTRIPE_PORT
) -> AsyncIterator[Settings]:
    """Yield settings that point at a localstripe child process (or at Stripe, unchanged)."""
    if not settings.uses_localstripe:
        yield settings
        return
    base = f"http://127.0.0.1:{port}"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    log_path = settings.data_dir / "localstripe.log"
    # Its request log goes to a file: an unread pipe would fill up and stall it.
    with log_path.open("ab") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "localstripe",
            "--port",
            str(port),
            stdout=log_file,
            stderr=log_file,
        )
    try:
        await wait_until_up(base, process=process, log_path=log_path)
        log.info("localstripe started", extra={"url": base})
        yield localstripe_settings(settings, base)
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()
