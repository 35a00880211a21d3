"""A localstripe process for the whole test session, on a free port.

Use it from any test package with `from tests.localstripe import localstripe_url` in a
conftest (it is a session-scoped fixture), then `localstripe_settings(settings, url)`
from server.localstripe_process to point an app at it.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

TEST_CARDS = {
    "success": "4242424242424242",
    "declined": "4000000000000341",
    "three_d_secure": "4000002500003155",
}


async def wait_until_up(base: str, within: float = 20.0) -> None:
    # Our own probe: server.localstripe_process's uses aiohttp.BasicAuth, which warns
    # (and warnings are errors in the tests).
    deadline = asyncio.get_running_loop().time() + within
    async with aiohttp.ClientSession() as http:
        while True:
            try:
                async with http.get(f"{base}/js.stripe.com/v3/") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            if asyncio.get_running_loop().time() > deadline:
                raise RuntimeError(f"localstripe did not start at {base}")
            await asyncio.sleep(0.2)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def localstripe_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    # The same launcher as `make run`: loopback only, its data in a folder of its own
    # (localstripe's own default is one /tmp file for every checkout on the machine).
    port = free_port()
    data_file = tmp_path_factory.mktemp("localstripe") / "localstripe.pickle"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "server.localstripe_hooks",
            "--port",
            str(port),
            "--data-file",
            str(data_file),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        asyncio.run(wait_until_up(base))
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


async def card_token(base: str, number: str, publishable_key: str = "pk_test_localstripe") -> str:
    """What Stripe.js's createToken does in the page: a token for a test card."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{base}/v1/tokens",
            data={
                "card[number]": number,
                "card[exp_month]": "12",
                "card[exp_year]": "2034",
                "card[cvc]": "123",
                "key": publishable_key,
            },
        ) as resp,
    ):
        body: dict[str, Any] = await resp.json()
        assert resp.status == 200, body
        return str(body["id"])


async def authenticate_3ds(base: str, client_secret: str, success: bool = True) -> None:
    """What the 3-D Secure dialog of localstripe's Stripe.js does when the shopper answers."""
    intent = client_secret.split("_secret_")[0]
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{base}/v1/payment_intents/{intent}/_authenticate?success={str(success).lower()}",
            json={"key": "pk_test_localstripe", "client_secret": client_secret},
        ) as resp,
    ):
        assert resp.status == 200, await resp.text()


async def intents_of(base: str, shop: str) -> list[dict[str, Any]]:
    """Every PaymentIntent localstripe holds for one installation (metadata `shop`), all
    pages of the list."""
    found: list[dict[str, Any]] = []
    after = ""
    async with aiohttp.ClientSession() as http:
        while True:
            query = f"limit=100&starting_after={after}" if after else "limit=100"
            async with http.get(
                f"{base}/v1/payment_intents?{query}",
                headers={"Authorization": "Bearer sk_test_localstripe"},
            ) as resp:
                page: dict[str, Any] = await resp.json()
            found += [pi for pi in page["data"] if (pi.get("metadata") or {}).get("shop") == shop]
            if not page.get("has_more") or not page["data"]:
                return found
            after = page["data"][-1]["id"]


async def mute_webhooks(base: str, name: str) -> None:
    """Point a registered webhook at a closed port: its events are lost, as they are while
    the server is down (localstripe never retries)."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{base}/_config/webhooks/{name}",
            data={"url": "http://127.0.0.1:9/lost", "secret": "whsec_lost"},
        ) as resp,
    ):
        assert resp.status == 200, await resp.text()
