"""The python-socketio hooks' start-up self-test (the project-wide import-cycle and
private-name checks are in tests/server/test_architecture.py)."""

from __future__ import annotations

import pytest
import socketio

from chat import socketio_hooks


def test_the_hooks_self_test_names_what_an_upgrade_removed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    socketio_hooks.self_test()  # the installed versions have everything
    monkeypatch.delattr(socketio.AsyncServer, "_send_eio_packet")
    with pytest.raises(socketio_hooks.SocketIOHooksBroken, match="_send_eio_packet"):
        socketio_hooks.self_test()
