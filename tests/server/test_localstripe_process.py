"""localstripe beside `make run`: its port, where its data lives, and what happens when the
port is taken or its data file was cut short."""

from __future__ import annotations

import asyncio
import logging
import os
import pickle
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from server.localstripe_process import (
    LOCALSTRIPE_KEY,
    LocalstripeFailed,
    run_localstripe,
    wait_until_up,
)
from server.settings import LOCALSTRIPE_PORT, Settings
from tests.localstripe import free_port

AUTH = {"Authorization": f"Bearer {LOCALSTRIPE_KEY}"}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(environment="test", data_dir=tmp_path / "var")


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


@pytest.fixture
def default_port_taken() -> Iterator[None]:
    """Port 8420 held by someone else (by us, unless another program already has it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind(("127.0.0.1", LOCALSTRIPE_PORT))
            sock.listen()
        except OSError:
            pass  # already taken, which is what this wants
        yield


async def _create_customer(base: str, email: str) -> str:
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{base}/v1/customers", data={"email": email}, headers=AUTH) as resp,
    ):
        assert resp.status == 200, await resp.text()
        return str((await resp.json())["id"])


async def _customer_emails(base: str) -> list[str]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{base}/v1/customers", headers=AUTH) as resp,
    ):
        return [c["email"] for c in (await resp.json())["data"]]


async def test_a_configured_port_that_is_taken_is_named_in_the_error(
    settings: Settings, busy_port: int
) -> None:
    with pytest.raises(LocalstripeFailed) as failed:
        async with run_localstripe(settings.with_(localstripe_port=busy_port)):
            pass
    assert f"LOCALSTRIPE_PORT {busy_port} is already in use" in str(failed.value)


async def test_without_a_port_it_moves_off_a_taken_8420_and_keeps_its_data_in_data_dir(
    settings: Settings, default_port_taken: None
) -> None:
    async with run_localstripe(settings) as running:
        base = running.stripe_api_base
        assert base.startswith("http://127.0.0.1:")
        assert not base.endswith(f":{LOCALSTRIPE_PORT}")
        await _create_customer(base, "kim@example.kr")
    # Next to the database, whole, and read again at the next start.
    assert (settings.data_dir / "localstripe.pickle").is_file()
    async with run_localstripe(settings) as again:
        assert "kim@example.kr" in await _customer_emails(again.stripe_api_base)


async def test_it_listens_on_the_loopback_only(settings: Settings) -> None:
    port = free_port()
    async with run_localstripe(settings.with_(localstripe_port=port)):
        # Taken on 127.0.0.1, free on every other address: bound to the loopback alone.
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
            other.bind(("127.0.0.2", port))


async def test_a_damaged_data_file_is_moved_aside_with_a_clear_log_line(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.data_dir.mkdir(parents=True)
    data_file = settings.data_dir / "localstripe.pickle"
    whole = pickle.dumps({"cus_1": "x" * 500}, protocol=pickle.HIGHEST_PROTOCOL)
    data_file.write_bytes(whole[: len(whole) // 2])  # killed mid-write
    with caplog.at_level(logging.WARNING, logger="jangteo.localstripe"):
        async with run_localstripe(settings) as running:
            await _create_customer(running.stripe_api_base, "lee@example.kr")
    [line] = [r.getMessage() for r in caplog.records if r.name == "jangteo.localstripe"]
    assert "could not be read" in line and "truncated" in line and "moved it to" in line
    aside = settings.data_dir / "localstripe.pickle.damaged-1"
    assert aside.read_bytes() == whole[: len(whole) // 2]
    # The new file is whole: writes go to a temporary file renamed over the old one.
    with data_file.open("rb") as file:
        assert isinstance(pickle.load(file), dict)  # noqa: S301 - written by this test


async def test_when_it_stops_at_start_the_error_quotes_its_own_words(tmp_path: Path) -> None:
    log_path = tmp_path / "localstripe.log"
    log_path.write_text("an old run's line\n", encoding="utf-8")
    with log_path.open("ab") as log_file:
        start = log_file.tell()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "import sys; print('OSError: [Errno 13] Permission denied: var/x', file=sys.stderr);"
            " sys.exit(3)",
            stdout=log_file,
            stderr=log_file,
        )
    await process.wait()
    with pytest.raises(LocalstripeFailed) as failed:
        await wait_until_up(
            f"http://127.0.0.1:{free_port()}",
            process=process,
            log_path=log_path,
            log_start=start,
        )
    message = str(failed.value)
    assert "exit code 3" in message and "Permission denied: var/x" in message
    assert "in use" not in message and str(log_path) in message


def test_serve_with_a_taken_port_says_so_without_a_traceback(
    tmp_path: Path, busy_port: int
) -> None:
    env = {
        **os.environ,
        "DATA_DIR": str(tmp_path),
        "LOCALSTRIPE_PORT": str(busy_port),
        "PORT": str(free_port()),
        "STRIPE_SECRET_KEY": "",
        "STRIPE_API_BASE": "",
    }
    done = subprocess.run(
        [sys.executable, "-m", "server", "serve"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert f"LOCALSTRIPE_PORT {busy_port} is already in use" in done.stderr
    assert "Traceback" not in done.stderr


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status", encoding="utf-8") as status:
            return "\nState:\tZ" not in status.read()  # a zombie has exited
    except FileNotFoundError:
        return False


async def test_it_stops_when_the_server_that_started_it_is_killed(tmp_path: Path) -> None:
    """`kill -9` of the server must not leave localstripe holding the port and the file."""
    port = free_port()
    launcher = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-m', 'server.localstripe_hooks',"
        f" '--port', '{port}', '--data-file', r'{tmp_path / 'localstripe.pickle'}'],"
        " stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    server = await asyncio.create_subprocess_exec(
        sys.executable, "-c", launcher, stdout=asyncio.subprocess.PIPE
    )
    assert server.stdout is not None
    child = int((await server.stdout.readline()).decode())
    try:
        await wait_until_up(f"http://127.0.0.1:{port}")
        server.kill()
        await server.wait()
        for _ in range(300):  # it checks every second; allow a loaded machine 30 s
            if not _running(child):
                break
            await asyncio.sleep(0.1)
        assert not _running(child)
    finally:
        if _running(child):
            os.kill(child, 9)
