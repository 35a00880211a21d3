"""Socket.IO client managers that send a room's frame to each member in one pass.

python-socketio's managers start one asyncio task per recipient for every emit; at a
thousand viewers that is a thousand tasks per frame, most of the server's work. Here a
room's event is encoded once, as a complete WebSocket frame, and written straight to
each member's transport in one synchronous pass: one `write` per recipient, no task, no
queue, no writer task woken, no object made per recipient. A member that is not a plain
websocket at that moment (still on long-polling, packets queued ahead, far behind) gets
the frame through its Engine.IO queue as before, which keeps its order. Emits that need
acknowledgements or carry binary data keep the library's own path. The private names
this needs live in `chat.socketio_hooks`.
"""

from __future__ import annotations

from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet

from chat.socketio_hooks import DirectSockets, RedisEmitHook, send_eio_packet


def websocket_text_frame(text: str) -> bytes:
    """One unmasked, unfragmented, uncompressed WebSocket text frame (RFC 6455 5.2), as a
    server sends it."""
    data = text.encode()
    n = len(data)
    if n < 126:
        header = bytes((0x81, n))
    elif n < 1 << 16:
        header = bytes((0x81, 126)) + n.to_bytes(2, "big")
    else:
        header = bytes((0x81, 127)) + n.to_bytes(8, "big")
    return header + data


async def _send_to_room(
    manager: Any, event: str, data: Any, namespace: str | None, room: str | None, skip_sid: Any
) -> None:
    namespace = namespace or "/"
    if namespace not in manager.rooms:
        return
    if isinstance(data, tuple):
        args = list(data)
    elif data is not None:
        args = [data]
    else:
        args = []
    skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
    encoded = manager.server.packet_class(
        packet.EVENT, namespace=namespace, data=[event, *args]
    ).encode()
    if not isinstance(encoded, str):  # binary attachments: several packets, queued
        await _queue_to_room(manager, encoded, namespace, room, skip)
        return
    frame = eio_packet.Packet(eio_packet.MESSAGE, encoded)
    wire = websocket_text_frame(frame.encode())
    direct: DirectSockets | None = getattr(manager.server, "direct_sockets", None)
    queued: list[str] = []
    # One synchronous pass: nobody can join or leave the room while it runs.
    for sid, eio_sid in manager.get_participants(namespace, room):
        if sid in skip:
            continue
        if direct is None or not direct.write(eio_sid, wire):
            queued.append(eio_sid)
    for eio_sid in queued:
        await send_eio_packet(manager.server, eio_sid, frame)


async def _queue_to_room(
    manager: Any, encoded: list[Any], namespace: str, room: str | None, skip: list[Any]
) -> None:
    frames = [eio_packet.Packet(eio_packet.MESSAGE, p) for p in encoded]
    # A copy: a socket may leave the room while we are sending.
    for sid, eio_sid in list(manager.get_participants(namespace, room)):
        if sid not in skip:
            for frame in frames:
                await send_eio_packet(manager.server, eio_sid, frame)


class FanoutManager(socketio.AsyncManager):  # type: ignore[misc]  # python-socketio is untyped
    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str | None,
        room: str | None = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: str | None = None,
        **kwargs: Any,
    ) -> None:
        if callback is not None:
            await super().emit(
                event,
                data,
                namespace,
                room=room,
                skip_sid=skip_sid,
                callback=callback,
                to=to,
                **kwargs,
            )
            return
        await _send_to_room(self, event, data, namespace, to or room, skip_sid)


class RedisFanoutManager(RedisEmitHook):
    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str | None = None,
        room: str | None = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: str | None = None,
        **kwargs: Any,
    ) -> None:
        room = to or room
        if isinstance(room, str) and self.is_connected(room, namespace or "/"):
            # To one socket of this process (`joined`, `message:stored`, an error): no
            # other process could deliver it, so it does not go through Redis. This
            # spares every other process decoding it, and the publishing pool the
            # burst of concurrent publishes a thousand viewers joining at once made.
            kwargs["ignore_queue"] = True
        await super().emit(
            event,
            data,
            namespace=namespace,
            room=room,
            skip_sid=skip_sid,
            callback=callback,
            **kwargs,
        )

    async def emit_here(self, message: dict[str, Any]) -> None:
        data = message["data"]
        if isinstance(data, list):
            data = data[0] if len(data) == 1 else tuple(data)
        await _send_to_room(
            self,
            message["event"],
            data,
            message.get("namespace"),
            message.get("room"),
            message.get("skip_sid"),
        )
