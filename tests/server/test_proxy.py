"""Behind the balancer every request comes from its address: the sign-in limit per
address must count each shopper's own address (X-Forwarded-For from a trusted proxy),
and a client cannot pick its address by sending the header itself."""

from __future__ import annotations

from aiohttp import ClientResponse

from tests.helpers import AppClient, csrf


async def _login(client: AppClient, email: str, forwarded: str) -> ClientResponse:
    await client.get("/login")
    return await client.post(
        "/login",
        data={"email": email, "password": "wrong", "_csrf": csrf(client)},
        headers={"X-Forwarded-For": forwarded},
        allow_redirects=False,
    )


async def test_one_shoppers_failed_sign_ins_do_not_lock_out_the_others(
    client: AppClient,
) -> None:
    for n in range(5):
        await _login(client, f"guess{n}@example.com", "203.0.113.5")
    assert (await _login(client, "guess9@example.com", "203.0.113.5")).status == 429
    # Another shopper behind the same balancer is only told the password is wrong.
    other = await _login(client, "someone@example.com", "198.51.100.7")
    assert other.status == 401


async def test_only_the_address_the_proxy_added_counts(client: AppClient) -> None:
    # The client wrote a fake address first; the proxy appended the real one.
    for n in range(5):
        await _login(client, f"guess{n}@example.com", f"10.0.0.{n}, 203.0.113.5")
    assert (await _login(client, "guess9@example.com", "10.9.9.9, 203.0.113.5")).status == 429
