"""Sign-in guessing (issue 16, item 5): attempts are counted before the password is
checked, atomically, per (address, account), with a lock that grows; one address
cannot lock a victim out everywhere; `X-Forwarded-For` counts only from configured
proxies."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from pytest_aiohttp import AiohttpClient

from server import keys
from server.accounts.ratelimit import LoginThrottle
from server.app import create_app
from server.settings import SETTINGS, Settings
from tests.helpers import PASSWORD, AppClient, csrf, make_user

BURST = 40
RIGHT_AT = 30


def _networks(raw: str) -> Any:
    """TRUSTED_PROXIES as the environment would give it."""
    return SETTINGS["trusted_proxies"].read(raw)


async def _client(aiohttp_client: AiohttpClient, settings: Settings) -> AppClient:
    client: AppClient = await aiohttp_client(create_app(settings))
    await client.get("/login")
    return client


async def _sign_in(
    client: AppClient, email: str, password: str, forwarded_for: str | None = None
) -> Any:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return await client.post(
        "/login",
        data={"email": email, "password": password, "_csrf": csrf(client)},
        headers=headers,
        allow_redirects=False,
    )


@pytest.fixture
async def any_db_client(any_db_settings: Settings, aiohttp_client: AiohttpClient) -> AppClient:
    return await _client(aiohttp_client, any_db_settings)


async def test_a_burst_of_parallel_guesses_is_counted_before_any_is_checked(
    any_db_client: AppClient,
) -> None:
    client = any_db_client
    user = await make_user(client.app)
    passwords = ["wrong"] * BURST
    passwords[RIGHT_AT - 1] = PASSWORD
    answers = await asyncio.gather(*(_sign_in(client, user.email, p) for p in passwords))
    statuses = [a.status for a in answers]
    attempts = client.app[keys.settings].login_attempts
    # Only as many guesses as allowed were checked; the rest were refused unchecked.
    assert statuses.count(429) >= BURST - attempts
    assert statuses[RIGHT_AT - 1] == 429, "the right password at #30 got in"
    assert all(a.headers.get("Set-Cookie", "").find("jt_session") < 0 for a in answers)
    # And while the lock holds, the right password is refused too, saying how long.
    late = await _sign_in(client, user.email, PASSWORD)
    assert late.status == 429
    assert "로그인 시도가 너무 많습니다" in await late.text()


async def test_a_lock_from_one_address_does_not_lock_another(
    settings: Settings, aiohttp_client: AiohttpClient
) -> None:
    client = await _client(aiohttp_client, settings.with_(trusted_proxies=_networks("127.0.0.1")))
    victim = await make_user(client.app)
    for _ in range(settings.login_attempts + 2):
        await _sign_in(client, victim.email, "guess", forwarded_for="203.0.113.7")
    assert (await _sign_in(client, victim.email, PASSWORD, "203.0.113.7")).status == 429
    # The victim, from their own address, signs in at once.
    resp = await _sign_in(client, victim.email, PASSWORD, forwarded_for="198.51.100.20")
    assert resp.status == 303, await resp.text()


async def test_forwarded_for_is_ignored_from_a_peer_that_is_not_a_trusted_proxy(
    settings: Settings, aiohttp_client: AiohttpClient
) -> None:
    assert settings.trusted_proxies == ()
    client = await _client(aiohttp_client, settings)
    user = await make_user(client.app)
    for n in range(settings.login_attempts):
        await _sign_in(client, user.email, "guess", forwarded_for=f"203.0.113.{n}")
    # A made-up address does not buy a fresh count: the peer's address is what counts.
    resp = await _sign_in(client, user.email, PASSWORD, forwarded_for="198.51.100.99")
    assert resp.status == 429


async def test_only_the_address_the_trusted_proxy_saw_counts(
    settings: Settings, aiohttp_client: AiohttpClient
) -> None:
    client = await _client(aiohttp_client, settings.with_(trusted_proxies=_networks("127.0.0.0/8")))
    user = await make_user(client.app)
    for n in range(settings.login_attempts):
        # The client writes its own X-Forwarded-For; the proxy appends what it saw.
        await _sign_in(client, user.email, "guess", forwarded_for=f"10.9.9.{n}, 203.0.113.7")
    resp = await _sign_in(client, user.email, PASSWORD, forwarded_for="1.2.3.4, 203.0.113.7")
    assert resp.status == 429


async def test_each_lock_after_the_first_is_longer(client: AppClient) -> None:
    now = [1000.0]
    throttle = LoginThrottle(
        client.app[keys.sessionmaker], attempts=3, first_lock_seconds=60, clock=lambda: now[0]
    )
    for _ in range(3):
        assert await throttle.claim("198.51.100.1", "a@example.kr") == 0
    assert await throttle.claim("198.51.100.1", "a@example.kr") == 60
    # Another account from the same address, and the same account from elsewhere: free.
    assert await throttle.claim("198.51.100.1", "b@example.kr") == 0
    assert await throttle.claim("198.51.100.2", "a@example.kr") == 0
    now[0] += 61
    assert await throttle.claim("198.51.100.1", "a@example.kr") == 0  # one more try...
    assert await throttle.claim("198.51.100.1", "a@example.kr") == 120  # ...then twice as long
    now[0] += 121
    assert await throttle.claim("198.51.100.1", "a@example.kr") == 0
    assert await throttle.claim("198.51.100.1", "a@example.kr") == 240
    now[0] += 241
    await throttle.succeeded("198.51.100.1", "a@example.kr")
    for _ in range(3):
        assert await throttle.claim("198.51.100.1", "a@example.kr") == 0


def test_trusted_proxies_are_read_and_a_bad_one_is_named() -> None:
    from server.settings import SettingsError

    read = Settings.from_mapping({"TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8,::1"})
    assert [str(n) for n in read.trusted_proxies] == ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES must be addresses or networks"):
        Settings.from_mapping({"TRUSTED_PROXIES": "proxy.example"})
