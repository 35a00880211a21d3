"""The chat package's shape: no import cycle among its modules (TYPE_CHECKING imports
count too), and python-socketio's private names only in the hooks module."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import socketio

from chat import socketio_hooks

CHAT = Path(__file__).resolve().parents[2] / "chat"


def _imports(path: Path) -> set[str]:
    """Modules of the chat package that `path` imports, anywhere in the file."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "chat":
                found |= {f"chat.{alias.name}" for alias in node.names}
            elif node.module.startswith("chat."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("chat.")}
    return found


def _graph() -> dict[str, set[str]]:
    modules = {f"chat.{p.stem}": p for p in CHAT.glob("*.py") if p.stem != "__init__"}
    return {name: _imports(path) & set(modules) for name, path in modules.items()}


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    visiting: list[str] = []
    done: set[str] = set()

    def visit(node: str) -> list[str] | None:
        if node in visiting:
            return [*visiting[visiting.index(node) :], node]
        if node in done:
            return None
        visiting.append(node)
        for nxt in sorted(graph[node]):
            if found := visit(nxt):
                return found
        visiting.pop()
        done.add(node)
        return None

    for start in sorted(graph):
        if found := visit(start):
            return found
    return None


def test_the_chat_package_has_no_import_cycle() -> None:
    graph = _graph()
    assert "chat.posting" in graph and "chat.rooms" in graph
    assert _cycle(graph) is None, " → ".join(_cycle(graph) or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_private_socketio_names_only_in_the_hooks_module() -> None:
    private = re.compile(r"\._(send_eio_packet|handle_emit|handle_event_internal|trigger_event)\b")
    offenders = [
        p.name
        for p in CHAT.glob("*.py")
        if p.name != "socketio_hooks.py" and private.search(p.read_text())
    ]
    assert offenders == []


def test_the_hooks_self_test_names_what_an_upgrade_removed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    socketio_hooks.self_test()  # the installed versions have everything
    monkeypatch.delattr(socketio.AsyncServer, "_send_eio_packet")
    with pytest.raises(socketio_hooks.SocketIOHooksBroken, match="_send_eio_packet"):
        socketio_hooks.self_test()
