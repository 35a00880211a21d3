"""The player and the studio widgets on the real pages."""

from __future__ import annotations

import json
import re

from pytest_aiohttp import AiohttpClient

from server.accounts.models import Role
from server.settings import Settings
from tests.helpers import AppClient, csrf, login_as, make_merchant, make_show, make_user
from tests.streaming.conftest import streaming_client

ICE = ({"urls": "turn:turn.example.kr:3478", "username": "u", "credential": "p"},)


def _config(html: str, css_class: str) -> dict[str, object]:
    match = re.search(
        rf'<script type="application/json" class="{css_class}">(.*?)</script>', html, re.S
    )
    assert match, f"no {css_class} block"
    data: dict[str, object] = json.loads(match.group(1))
    return data


async def test_show_page_has_the_player_with_ice_servers(
    settings: Settings, aiohttp_client: AiohttpClient
) -> None:
    client = await streaming_client(aiohttp_client, settings.with_(ice_servers=ICE))
    _, store = await make_merchant(client.app)
    show = await make_show(client.app, store)
    html = await (await client.get(f"/shows/{show.id}")).text()
    assert f'data-whep-url="/shows/{show.id}/whep"' in html
    assert "/static/streaming/player.js" in html
    config = _config(html, "player-config")
    assert config["iceServers"] == list(ICE)
    # The player's words arrive translated (Korean by default).
    assert "곧 시작" in str(config["text"])


async def test_studio_shows_whip_url_and_key_only_to_presenters(client: AppClient) -> None:
    creator = await make_user(client.app, Role.CREATOR)
    _, store = await make_merchant(client.app)
    show = await make_show(client.app, store, [creator])
    await login_as(client, creator)
    html = await (await client.get(f"/studio/shows/{show.id}")).text()
    assert f"/shows/{show.id}/whip" in html
    assert show.stream_key in html
    assert _config(html, "studio-config")["csrf"] == csrf(client)

    viewer_html = await (await client.get(f"/shows/{show.id}")).text()
    assert show.stream_key not in viewer_html


async def test_regenerating_the_stream_key_refuses_the_old_one(client: AppClient) -> None:
    creator = await make_user(client.app, Role.CREATOR)
    _, store = await make_merchant(client.app)
    show = await make_show(client.app, store, [creator])
    await login_as(client, creator)
    resp = await client.post(
        f"/shows/{show.id}/stream/key",
        headers={"X-CSRF-Token": csrf(client), "Accept": "application/json"},
    )
    assert resp.status == 200
    new_key = (await resp.json())["stream_key"]
    assert new_key and new_key != show.stream_key
    old = await client.post(
        f"/shows/{show.id}/whip",
        data="v=0\r\n",
        headers={"Content-Type": "application/sdp", "Authorization": f"Bearer {show.stream_key}"},
    )
    assert old.status == 401


async def test_only_presenters_regenerate_the_key_or_end_the_show(client: AppClient) -> None:
    _, store = await make_merchant(client.app)
    show = await make_show(client.app, store)
    shopper = await make_user(client.app, Role.SHOPPER)
    await login_as(client, shopper)
    headers = {"X-CSRF-Token": csrf(client), "Accept": "application/json"}
    assert (await client.post(f"/shows/{show.id}/stream/key", headers=headers)).status == 403
    assert (await client.post(f"/shows/{show.id}/stream/end", headers=headers)).status == 403


def test_ice_servers_are_offered_to_whip_clients_as_link_headers() -> None:
    from streaming.views import ice_server_links

    links = ice_server_links([{"urls": ["stun:stun.example.kr:3478"]}, *ICE])
    assert links == [
        '<stun:stun.example.kr:3478>; rel="ice-server"',
        '<turn:turn.example.kr:3478>; rel="ice-server"; username="u"; credential="p"; '
        'credential-type="password"',
    ]
