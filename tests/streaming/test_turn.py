"""TURN: pages and encoders get time-limited credentials for the configured relay, and a
viewer whose network allows only relayed traffic still gets the picture through a real
coturn on loopback."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiortc import RTCConfiguration, RTCIceServer
from aiortc.rtcconfiguration import RTCIceTransportPolicy
from pytest_aiohttp import AiohttpClient

from server.accounts.models import Role
from server.settings import Secret, Settings
from streaming.turn import IceServers, turn_password
from tests.helpers import AppClient, make_merchant, make_show, make_user
from tests.streaming.conftest import streaming_client
from tests.streaming.peers import Publisher, Viewer, until

SECRET = "turn-test-secret"


def test_credentials_follow_the_turn_rest_api_scheme() -> None:
    servers = IceServers(
        fixed=({"urls": "stun:stun.example:3478"},),
        turn_urls=("turn:turn.example:3478",),
        turn_secret=SECRET,
        credential_seconds=600,
    )
    stun, turn = servers.for_peer("user7", now=1_700_000_000)
    assert stun == {"urls": "stun:stun.example:3478"}
    assert turn["urls"] == ["turn:turn.example:3478"]
    assert turn["username"] == "1700000600:user7"
    # What coturn computes with `use-auth-secret`: base64(HMAC-SHA1(secret, username)).
    assert turn["credential"] == turn_password(SECRET, "1700000600:user7")
    assert turn["credential"] != turn_password("another secret", "1700000600:user7")


def test_no_secret_no_turn_credentials() -> None:
    assert IceServers(turn_urls=("turn:turn.example:3478",)).for_peer("guest") == []


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def coturn(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("turnserver")
    assert binary, "coturn is installed by .ci/run (scripts/install-coturn.sh)"
    port = _free_udp_port()
    log = tmp_path / "turnserver.log"
    process = subprocess.Popen(
        [
            binary,
            "-n",
            f"--listening-port={port}",
            "--listening-ip=127.0.0.1",
            "--relay-ip=127.0.0.1",
            "--min-port=49160",
            "--max-port=49200",
            "--use-auth-secret",
            f"--static-auth-secret={SECRET}",
            "--realm=jangteo.test",
            "--allow-loopback-peers",
            "--fingerprint",
            "--no-cli",
            "--no-tls",
            "--no-dtls",
            f"--log-file={log}",
            "--simple-log",
            f"--pidfile={tmp_path / 'turnserver.pid'}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield f"turn:127.0.0.1:{port}?transport=udp"
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
async def turn_client(settings: Settings, coturn: str, aiohttp_client: AiohttpClient) -> AppClient:
    configured = dataclasses.replace(settings, turn_urls=(coturn,), turn_secret=Secret(SECRET))
    return await streaming_client(aiohttp_client, configured)


def _player_config(page: str) -> dict[str, Any]:
    found = re.search(
        r'<script type="application/json" class="player-config">(.*?)</script>', page, re.S
    )
    assert found, "the show page has a player"
    config: dict[str, Any] = json.loads(found.group(1))
    return config


@pytest.fixture
async def peers() -> AsyncIterator[list[Any]]:
    made: list[Any] = []
    yield made
    await asyncio.gather(*(peer.close() for peer in made), return_exceptions=True)


async def test_a_relay_only_viewer_gets_the_picture_through_coturn(
    turn_client: AppClient, peers: list[Any]
) -> None:
    creator = await make_user(turn_client.app, Role.CREATOR)
    _, store = await make_merchant(turn_client.app)
    show = await make_show(turn_client.app, store, [creator])
    publisher = Publisher()
    peers.append(publisher)
    assert (await publisher.publish(turn_client, show.id, key=show.stream_key)).status == 201

    page = await turn_client.get(f"/shows/{show.id}")
    servers = _player_config(await page.text())["iceServers"]
    (turn,) = [s for s in servers if s.get("username")]
    relay_only = RTCConfiguration(
        iceServers=[RTCIceServer(turn["urls"], turn["username"], turn["credential"])],
        iceTransportPolicy=RTCIceTransportPolicy.RELAY,
    )
    viewer = Viewer(relay_only)
    peers.append(viewer)
    answer = await viewer.watch(turn_client, show.id)
    assert answer.status == 201
    # Encoders read the same relay from the WHEP/WHIP answer (RFC 9725 section 4.6).
    assert any(
        "turn:127.0.0.1" in link and "username=" in link for link in answer.headers.getall("Link")
    )
    await until(lambda: len(viewer.frames) >= 10, within=30)
    gatherers = {t.receiver.transport.transport.iceGatherer for t in viewer.pc.getTransceivers()}
    kinds = {c.type for g in gatherers for c in g.getLocalCandidates()}
    assert kinds == {"relay"}
