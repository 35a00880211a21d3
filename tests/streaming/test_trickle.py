"""Trickle ICE (RFC 9725 4.3): a publisher or viewer that sends its offer before its
candidates adds them with PATCH; only the session's owner may; restarts are refused."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiortc import RTCSessionDescription

from server.accounts.models import Role
from server.shows.models import Show
from streaming.trickle import SDPFRAG_TYPE, parse_fragment
from tests.helpers import AppClient, make_merchant, make_show, make_user
from tests.streaming.peers import SDP, Publisher, Viewer, until


def _split(sdp: str) -> tuple[str, str]:
    """An offer without its candidates, and those candidates as an SDP fragment."""
    lines = sdp.splitlines()
    kept = [x for x in lines if not x.startswith(("a=candidate:", "a=end-of-candidates"))]
    ufrag = next(x for x in lines if x.startswith("a=ice-ufrag:"))
    pwd = next(x for x in lines if x.startswith("a=ice-pwd:"))
    mid = next(x for x in lines if x.startswith("a=mid:"))
    candidates = list(dict.fromkeys(x for x in lines if x.startswith("a=candidate:")))
    fragment = [ufrag, pwd, "m=audio 9 UDP/TLS/RTP/SAVPF 0", mid, *candidates]
    return "\r\n".join(kept) + "\r\n", "\r\n".join([*fragment, "a=end-of-candidates"]) + "\r\n"


@pytest.fixture
async def peers() -> AsyncIterator[list[Any]]:
    made: list[Any] = []
    yield made
    await asyncio.gather(*(peer.close() for peer in made), return_exceptions=True)


async def _show(client: AppClient) -> Show:
    creator = await make_user(client.app, Role.CREATOR)
    _, store = await make_merchant(client.app)
    return await make_show(client.app, store, [creator])


async def _trickle_publish(client: AppClient, show: Show, publisher: Publisher) -> tuple[str, str]:
    offer, fragment = _split(await publisher.offer())
    assert "a=candidate:" not in offer
    auth = {"Authorization": f"Bearer {show.stream_key}"}
    resp = await client.post(
        f"/shows/{show.id}/whip", data=offer, headers={"Content-Type": SDP, **auth}
    )
    assert resp.status == 201
    assert resp.headers["Accept-Patch"] == SDPFRAG_TYPE
    answer = RTCSessionDescription(sdp=await resp.text(), type="answer")
    await publisher.pc.setRemoteDescription(answer)
    return resp.headers["Location"], fragment


async def test_a_publisher_that_trickles_its_candidates_goes_live(
    client: AppClient, peers: list[Any]
) -> None:
    show = await _show(client)
    publisher, viewer = Publisher(), Viewer()
    peers.extend([publisher, viewer])
    location, fragment = await _trickle_publish(client, show, publisher)
    patched = await client.patch(
        location,
        data=fragment,
        headers={"Content-Type": SDPFRAG_TYPE, "Authorization": f"Bearer {show.stream_key}"},
    )
    assert patched.status == 204
    assert (await viewer.watch(client, show.id)).status == 201
    await until(lambda: len(viewer.frames) >= 10)


async def test_a_viewer_that_trickles_its_candidates_gets_the_picture(
    client: AppClient, peers: list[Any]
) -> None:
    show = await _show(client)
    publisher, viewer = Publisher(), Viewer()
    peers.extend([publisher, viewer])
    assert (await publisher.publish(client, show.id, key=show.stream_key)).status == 201
    offer, fragment = _split(await viewer.offer())
    resp = await client.post(f"/shows/{show.id}/whep", data=offer, headers={"Content-Type": SDP})
    assert resp.status == 201
    await viewer.pc.setRemoteDescription(RTCSessionDescription(await resp.text(), "answer"))
    patched = await client.patch(
        resp.headers["Location"], data=fragment, headers={"Content-Type": SDPFRAG_TYPE}
    )
    assert patched.status == 204
    await until(lambda: len(viewer.frames) >= 10)


async def test_only_the_publisher_may_trickle_and_restarts_are_refused(
    client: AppClient, peers: list[Any]
) -> None:
    show = await _show(client)
    publisher = Publisher()
    peers.append(publisher)
    location, fragment = await _trickle_publish(client, show, publisher)
    frag = {"Content-Type": SDPFRAG_TYPE}
    key = {"Authorization": f"Bearer {show.stream_key}"}

    stranger = await client.patch(
        location, data=fragment, headers={**frag, "Authorization": "Bearer wrong"}
    )
    assert stranger.status == 401
    assert stranger.headers.get("WWW-Authenticate", "").startswith("Bearer")
    anonymous = await client.patch(location, data=fragment, headers=frag)
    assert anonymous.status in (401, 403)

    wrong_type = await client.patch(location, data=fragment, headers={**key, "Content-Type": SDP})
    assert wrong_type.status == 415
    restart = await client.patch(location, data=fragment, headers={**frag, **key, "If-Match": "*"})
    assert restart.status == 422
    new_ufrag = fragment.replace("a=ice-ufrag:", "a=ice-ufrag:x", 1)
    assert (await client.patch(location, data=new_ufrag, headers={**frag, **key})).status == 422
    garbage = "a=ice-ufrag:zz\r\na=candidate:not a candidate\r\n"
    bad = await client.patch(location, data=garbage, headers={**frag, **key})
    assert bad.status in (400, 422)
    assert "error" in await bad.json()
    unknown = await client.patch(
        f"/shows/{show.id}/whip/nope", data=fragment, headers={**frag, **key}
    )
    assert unknown.status == 404
    # Nothing the stranger sent was applied: the publisher's own candidates still work.
    assert (await client.patch(location, data=fragment, headers={**frag, **key})).status == 204


def test_a_fragment_names_its_candidates_media_section() -> None:
    fragment = parse_fragment(
        "a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\n"
        "m=audio 9 RTP/AVP 0\r\na=mid:0\r\n"
        "a=candidate:1387637174 1 udp 2122260223 192.0.2.1 61764 typ host generation 0\r\n"
        "a=end-of-candidates\r\n",
        default_mid=None,
    )
    assert fragment.ufrag == "EsAw"
    (candidate,) = fragment.candidates
    assert (candidate.ip, candidate.port, candidate.type, candidate.sdpMid) == (
        "192.0.2.1",
        61764,
        "host",
        "0",
    )
    assert fragment.end_of_candidates
