"""The chat package's application keys (kept here so server/keys.py stays untouched)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    from chat.hub import ChatHub

hub: web.AppKey[ChatHub] = web.AppKey("chat_hub")
