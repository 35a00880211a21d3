"""Starts localstripe beside the server when no Stripe keys are configured.

It listens on 127.0.0.1 only, on `LOCALSTRIPE_PORT` (unset: 8420 if that is free, else
any free port), and keeps its objects in `DATA_DIR/localstripe.pickle`, next to the
database, so orders and their PaymentIntents live and die together. A data file that
cannot be read (a process killed mid-write, before writes were atomic) is moved aside
with a log line instead of stopping every later start. When it cannot start, the
error says why, in its own words, and where its log is.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp

from server import localstripe_hooks
from server.settings import LOCALSTRIPE_PORT, Secret, Settings

log = logging.getLogger("jangteo.localstripe")
LOCALSTRIPE_KEY = "sk_test_localstripe"
LOCALSTRIPE_PUBLISHABLE = "pk_test_localstripe"
HOST = "127.0.0.1"
DATA_FILE = "localstripe.pickle"
LOG_FILE = "localstripe.log"


class LocalstripeFailed(RuntimeError):
    """localstripe could not be started; the message says why and what to do."""


def port_is_free(port: int, host: str = HOST) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def free_port(host: str = HOST) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def choose_port(configured: int) -> int:
    """The port to start localstripe on: the configured one (which must be free), or with
    none configured 8420, or any free port while 8420 is taken."""
    if configured:
        if not port_is_free(configured):
            raise LocalstripeFailed(
                f"LOCALSTRIPE_PORT {configured} is already in use on {HOST}: stop the "
                "program using it, or set LOCALSTRIPE_PORT to a free port "
                "(unset, a free one is chosen)"
            )
        return configured
    if port_is_free(LOCALSTRIPE_PORT):
        return LOCALSTRIPE_PORT
    port = free_port()
    log.info(
        "port %d is in use; localstripe listens on %d instead",
        LOCALSTRIPE_PORT,
        port,
        extra={"port": port},
    )
    return port


def recover_data_file(path: Path) -> None:
    """Move a damaged data file aside, saying so: localstripe then starts empty."""
    moved = localstripe_hooks.move_aside_if_damaged(path)
    if moved is not None:
        aside, reason = moved
        log.warning(
            "localstripe's data file %s could not be read (%s); moved it to %s and "
            "starting with no Stripe objects: payments made before can no longer be "
            "looked up or refunded in the sandbox",
            path,
            reason,
            aside,
            extra={"data_file": str(path), "moved_to": str(aside)},
        )


def last_line(path: Path, since: int) -> str:
    """The last non-empty line written to `path` after byte `since`: usually the error."""
    try:
        with path.open("rb") as file:
            file.seek(since)
            lines = file.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return ""
    return next((line.strip() for line in reversed(lines) if line.strip()), "")


async def wait_until_up(
    base: str,
    patience: float = 60.0,
    process: asyncio.subprocess.Process | None = None,
    log_path: Path | None = None,
    log_start: int = 0,
) -> None:
    deadline = asyncio.get_running_loop().time() + patience
    async with aiohttp.ClientSession() as http:
        while True:
            if process is not None and process.returncode is not None:
                cause = last_line(log_path, log_start) if log_path else ""
                raise LocalstripeFailed(
                    f"localstripe stopped while starting (exit code {process.returncode})"
                    + (f": {cause}" if cause else "")
                    + (f". Its log: {log_path}" if log_path else "")
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
                raise LocalstripeFailed(
                    f"localstripe did not answer at {base} within {patience:.0f} s"
                    + (f". Its log: {log_path}" if log_path else "")
                )
            await asyncio.sleep(0.2)


def localstripe_settings(settings: Settings, base: str) -> Settings:
    return settings.with_(
        stripe_secret_key=Secret(LOCALSTRIPE_KEY),
        stripe_publishable_key=LOCALSTRIPE_PUBLISHABLE,
        stripe_api_base=base,
    )


@contextlib.asynccontextmanager
async def run_localstripe(settings: Settings, patience: float = 60.0) -> AsyncIterator[Settings]:
    """Yield settings that point at a localstripe child process (or at Stripe, unchanged;
    or at the localstripe that `STRIPE_API_BASE` names, which is then not started)."""
    if not settings.uses_localstripe:
        yield settings
        return
    if settings.stripe_api_base:
        yield localstripe_settings(settings, settings.stripe_api_base)
        return
    port = choose_port(settings.localstripe_port)
    base = f"http://{HOST}:{port}"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    data_file = settings.data_dir / DATA_FILE
    recover_data_file(data_file)
    log_path = settings.data_dir / LOG_FILE
    # Its request log goes to a file: an unread pipe would fill up and stall it.
    with log_path.open("ab") as log_file:
        log_start = log_file.tell()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "server.localstripe_hooks",
            "--host",
            HOST,
            "--port",
            str(port),
            "--data-file",
            str(data_file),
            stdout=log_file,
            stderr=log_file,
        )
    try:
        await wait_until_up(base, patience, process=process, log_path=log_path, log_start=log_start)
        log.info("localstripe started", extra={"url": base, "data_file": str(data_file)})
        yield localstripe_settings(settings, base)
    finally:
        if process.returncode is None:
            process.terminate()
            await process.wait()
