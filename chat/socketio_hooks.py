"""Where chat leans on python-socketio beyond its documented API. Nothing else in the
code base touches a private name of python-socketio or python-engineio."""

from __future__ import annotations

from typing import Any

import socketio

# Only the server dispatches this name (ChatServer refuses it from clients).
UNKNOWN_EVENT = "__unknown__"


class ChatServer(socketio.AsyncServer):  # type: ignore[misc]  # python-socketio is untyped
    """Refuses events named like the server's own (a client may not fake `connect`)."""

    async def _handle_event_internal(
        self, server: Any, sid: str, eio_sid: str, data: Any, namespace: str, id: Any
    ) -> None:
        if (
            not data
            or not isinstance(data[0], str)
            or data[0] in self.reserved_events
            or data[0] == UNKNOWN_EVENT
        ):
            name = str(data[0])[:40] if data else ""
            await server._trigger_event(UNKNOWN_EVENT, namespace, sid, name)
            return
        await super()._handle_event_internal(server, sid, eio_sid, data, namespace, id)
