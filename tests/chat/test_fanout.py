"""The fan-out writes a room's frame straight to each websocket, and falls back to the
socket's Engine.IO queue whenever writing directly could reorder or flood it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web

from chat.fanout import websocket_text_frame
from chat.socketio_hooks import BACKLOG_BYTES, DirectSockets
from server import keys
from server.accounts.models import Role
from server.events import ChatCommand
from tests.chat.conftest import ChatClient, Connect
from tests.helpers import AppClient, make_merchant, make_show, make_user


class _Socket:
    """The Engine.IO socket state `DirectSockets.write` reads."""

    def __init__(self, sid: str) -> None:
        self.sid = sid
        self.queue: asyncio.Queue[Any] = asyncio.Queue()
        self.upgraded = True
        self.upgrading = self.closing = self.closed = False


class _Transport(asyncio.WriteTransport):
    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.backlog = 0
        self.closing = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closing

    def get_write_buffer_size(self) -> int:
        return self.backlog


def _open(direct: DirectSockets, sid: str = "a") -> tuple[_Socket, _Transport]:
    sock, transport = _Socket(sid), _Transport()
    direct.opened(sock, transport)
    return sock, transport


async def test_a_quiet_websocket_gets_the_frame_written_directly() -> None:
    direct = DirectSockets()
    _, transport = _open(direct)
    assert direct.write("a", b"frame")
    assert transport.written == [b"frame"]


async def test_a_socket_with_packets_queued_ahead_keeps_its_order() -> None:
    direct = DirectSockets()
    sock, transport = _open(direct)
    sock.queue.put_nowait("joined")
    assert not direct.write("a", b"frame")
    assert transport.written == []


@pytest.mark.parametrize("state", ["upgrading", "closing", "closed", "not upgraded", "behind"])
async def test_sockets_not_plainly_open_go_through_their_queue(state: str) -> None:
    direct = DirectSockets()
    sock, transport = _open(direct)
    if state == "not upgraded":
        sock.upgraded = False
    elif state == "behind":
        transport.backlog = BACKLOG_BYTES + 1
    else:
        setattr(sock, state, True)
    assert not direct.write("a", b"frame")
    assert transport.written == []


async def test_a_closed_socket_is_forgotten_but_not_its_successor() -> None:
    direct = DirectSockets()
    old, _ = _open(direct)
    _, transport = _open(direct)  # same sid, a new socket
    direct.closed(old)
    assert direct.write("a", b"frame") and transport.written == [b"frame"]
    assert not direct.write("unknown", b"frame")


@pytest.mark.parametrize(("size", "header"), [(5, b"\x81\x05"), (126, b"\x81\x7e\x00\x7e")])
def test_frames_are_unmasked_text_frames(size: int, header: bytes) -> None:
    frame = websocket_text_frame("x" * size)
    assert frame == header + b"x" * size
    assert websocket_text_frame("x" * 70000)[:10] == b"\x81\x7f" + (70000).to_bytes(8, "big")


async def test_websocket_and_polling_viewers_both_get_the_frame(
    app: web.Application,
    connect: Connect,
    served: AppClient,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _merchant, store = await make_merchant(app)
    show = await make_show(app, store)
    direct = app[keys.chat_server].direct_sockets
    writes: list[bool] = []
    write = direct.write

    def counting(eio_sid: str, frame: bytes) -> bool:
        writes.append(write(eio_sid, frame))
        return writes[-1]

    monkeypatch.setattr(direct, "write", counting)
    sender = await connect(await make_user(app, Role.SHOPPER, name="지민"))
    on_websocket = await connect()
    on_polling = ChatClient(str(served.make_url("/")), transports=("polling",))
    await on_polling.connect()
    try:
        for client in (sender, on_websocket, on_polling):
            await client.join(show.id)
        assert len(direct) == 2  # the polling client has no websocket

        await sender.emit(ChatCommand.SEND_MESSAGE, {"show_id": show.id, "text": "한 번에"})
        for client in (sender, on_websocket, on_polling):
            assert (await client.wait_text("한 번에"))["author"] == "지민"
        assert writes.count(True) >= 2  # the websockets were written to directly
    finally:
        await on_polling.close()
    await sender.close()
    await on_websocket.close()
    for _ in range(100):
        if not len(direct):
            break
        await asyncio.sleep(0.05)
    assert len(direct) == 0
