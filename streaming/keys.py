"""The streaming package's application keys."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from streaming.registry import BroadcastRegistry

registry: web.AppKey[BroadcastRegistry] = web.AppKey("streaming_registry")
