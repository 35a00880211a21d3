"""Socket.IO client managers that send a room's frame to each member in one loop.

python-socketio's managers start one asyncio task per recipient for every emit; at a
thousand viewers that is a thousand tasks per frame, most of the server's work. Handing
a packet to a socket only puts it on that socket's queue (its writer task does the
sending), so doing it in a plain loop is safe and several times cheaper. Emits that
need acknowledgements or carry binary data keep the library's own path. The one private
call this needs lives in `chat.socketio_hooks`.
"""

from __future__ import annotations

from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet

from chat.socketio_hooks import RedisEmitHook, send_eio_packet


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
    frames = [
        eio_packet.Packet(eio_packet.MESSAGE, p)
        for p in (encoded if isinstance(encoded, list) else [encoded])
    ]
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
