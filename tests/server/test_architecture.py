"""The shape of the code base that the other tests cannot see: one list of event names
shared with the pages, and no late lookups of the application."""

from __future__ import annotations

import re
from pathlib import Path

from server.events import ChatCommand, ChatEvent, LiveEvent

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("server", "chat", "checkout", "streaming")


def _js_enum(source: str, name: str) -> dict[str, str]:
    block = source.split(f"export const {name} = Object.freeze({{", 1)[1].split("});", 1)[0]
    return dict(re.findall(r'(\w+): "([^"]+)"', block))


def test_the_pages_use_the_servers_event_names() -> None:
    source = (ROOT / "static" / "js" / "events.js").read_text()
    for enum in (LiveEvent, ChatCommand, ChatEvent):
        assert _js_enum(source, enum.__name__) == {e.name: e.value for e in enum}


def test_every_event_name_has_one_style() -> None:
    for enum in (LiveEvent, ChatCommand, ChatEvent):
        for event in enum:
            assert re.fullmatch(r"[a-z_]+:[a-z_]+", event.value), event


def test_no_object_looks_the_application_up_later() -> None:
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text()
            assert "lambda: app[" not in text, path
            assert "def __getattr__" not in text, path
