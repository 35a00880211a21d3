"""What guards and carries a pull between nodes: the node token, the origin's refusals
(a forged token, a show not live, a rehearsal), and the frames put together from the
relayed packets without waiting for the next frame."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from server import keys
from server.i18n import LOCALE_COOKIE
from server.shows.models import Show
from streaming.assembler import SKIP_AFTER_FRAMES, FrameAssembler
from streaming.node_tokens import TOKEN_SECONDS, NodeTokens
from tests.helpers import AppClient, make_merchant, make_show
from tests.streaming.peers import SDP, Publisher, Viewer, eventually

SECRET = "a node secret of at least thirty-two characters"


def test_a_node_token_opens_one_show_for_a_minute() -> None:
    now = [1_000_000.0]
    tokens = NodeTokens(SECRET, clock=lambda: now[0])
    token = tokens.issue(7)
    assert tokens.valid(token, 7)
    assert not tokens.valid(token, 8)
    assert not NodeTokens("another secret key, also long enough!!").valid(token, 7)
    assert not tokens.valid(token[:-1] + ("0" if token[-1] != "0" else "1"), 7)
    assert not tokens.valid("", 7)
    assert not tokens.valid("not.a-token", 7)
    now[0] += TOKEN_SECONDS + 1
    assert not tokens.valid(token, 7)


class Frames:
    def __init__(self) -> None:
        self.frames: list[tuple[bytes, int]] = []
        self.losses = 0
        self.assembler = FrameAssembler(self.on_frame, self.on_loss)

    def on_frame(self, data: bytes, timestamp: int) -> None:
        self.frames.append((data, timestamp))

    def on_loss(self) -> None:
        self.losses += 1

    def add(self, seq: int, ts: int, marker: bool, data: bytes, starts: bool = False) -> None:
        self.assembler.add(seq & 0xFFFF, ts, marker, data, starts)


def test_a_frame_goes_on_as_soon_as_its_last_packet_is_in() -> None:
    got = Frames()
    got.add(99, 0, True, b"tail of a frame joined late")
    got.add(100, 3000, False, b"a")
    got.add(101, 3000, False, b"b")
    assert got.frames == []
    got.add(102, 3000, True, b"c")
    assert got.frames == [(b"abc", 3000)]  # not waiting for the next frame's first packet
    # The frame cut short may have been the keyframe viewers start on: one is asked for.
    assert got.losses == 1


def test_a_packet_known_to_start_a_frame_starts_at_once() -> None:
    got = Frames()
    got.add(100, 3000, False, b"a", starts=True)
    got.add(101, 3000, True, b"b")
    assert got.frames == [(b"ab", 3000)]
    assert got.losses == 0


def test_a_missing_packet_is_waited_for_then_the_frames_follow_in_order() -> None:
    got = Frames()
    got.add(65534, 0, True, b"x")  # the sequence numbers wrap past 65535
    got.add(65535, 10, False, b"a")
    got.add(1, 10, True, b"c")
    got.add(2, 20, True, b"d")
    assert got.frames == []
    got.add(0, 10, False, b"b")  # the retransmission arrives
    assert got.frames == [(b"abc", 10), (b"d", 20)]
    assert got.losses == 1  # only the keyframe asked for on joining


def test_a_gap_never_filled_is_given_up_and_a_keyframe_asked_for() -> None:
    got = Frames()
    got.add(0, 0, True, b"start")
    got.add(2, 10, True, b"lost its first packet")
    for n in range(SKIP_AFTER_FRAMES):
        got.add(3 + n, 20 + n, True, bytes([n]))
    assert got.losses == 2  # on joining, and for the gap
    assert [ts for _, ts in got.frames] == [20 + n for n in range(SKIP_AFTER_FRAMES)]


@pytest.fixture
async def peers() -> AsyncIterator[list[Any]]:
    made: list[Any] = []
    yield made
    for peer in made:
        await peer.close()


async def _show(client: AppClient) -> Show:
    _, store = await make_merchant(client.app)
    return await make_show(client.app, store)


async def _pull(client: AppClient, show: Show, token: str, peers: list[Any]) -> Any:
    viewer = Viewer()
    peers.append(viewer)
    client.session.cookie_jar.update_cookies({LOCALE_COOKIE: "en"})
    return await client.post(
        f"/shows/{show.id}/whep",
        data=await viewer.offer(),
        headers={"Content-Type": SDP, "Authorization": f"Bearer {token}"},
    )


async def _code(resp: Any) -> tuple[int, str]:
    body = await resp.json()
    return resp.status, body["error"]["code"]


async def test_a_pull_without_a_node_token_is_refused(client: AppClient, peers: list[Any]) -> None:
    show = await _show(client)
    publisher = Publisher()
    peers.append(publisher)
    assert (await publisher.publish(client, show.id, key=show.stream_key)).status == 201
    forged = NodeTokens("not the site's secret key, though long").issue(show.id)
    assert await _code(await _pull(client, show, forged, peers)) == (401, "wrong_node_token")
    # The stream key lets an encoder publish, not a viewer relay the show.
    assert await _code(await _pull(client, show, show.stream_key, peers)) == (
        401,
        "wrong_node_token",
    )
    other_show = await _show(client)
    token = client.app[keys.edge].tokens.issue(other_show.id)
    assert await _code(await _pull(client, show, token, peers)) == (401, "wrong_node_token")


async def test_a_show_not_on_the_air_is_not_relayed_and_a_rehearsal_only_to_a_node(
    client: AppClient, peers: list[Any]
) -> None:
    show = await _show(client)
    token = client.app[keys.edge].tokens.issue(show.id)
    assert await _code(await _pull(client, show, token, peers)) == (409, "show_not_live")
    publisher = Publisher()
    peers.append(publisher)
    rehearsal = await client.post(
        f"/shows/{show.id}/whip?rehearsal=1",
        data=await publisher.offer(),
        headers={"Content-Type": SDP, "Authorization": f"Bearer {show.stream_key}"},
    )
    assert rehearsal.status == 201
    # Without a node token nobody but staff watches the rehearsal ...
    outsider = Viewer()
    peers.append(outsider)
    assert await _code(await outsider.watch(client, show.id)) == (409, "show_not_live")
    # ... and a node asks for it only for the show's staff (its own check, which the
    # two-node test exercises), so the origin relays it to a node.
    assert (await _pull(client, show, token, peers)).status == 201
    # (The stream status tells only the show's staff about a rehearsal.)
    broadcast = client.app[keys.broadcasts].get(show.id)
    assert broadcast is not None
    status = broadcast.status()
    assert (status["publishing"], status["viewers"], status["edges"]) == (True, 0, 1)


async def test_a_node_pulls_a_live_show_as_one_edge_not_as_a_viewer(
    client: AppClient, peers: list[Any]
) -> None:
    show = await _show(client)
    publisher = Publisher()
    peers.append(publisher)
    assert (await publisher.publish(client, show.id, key=show.stream_key)).status == 201
    token = client.app[keys.edge].tokens.issue(show.id)
    assert (await _pull(client, show, token, peers)).status == 201

    async def status() -> dict[str, Any]:
        body: dict[str, Any] = await (await client.get(f"/shows/{show.id}/stream")).json()
        return body

    seen = await eventually(status, lambda s: s["edges"] == 1)
    assert seen["viewers"] == 0
