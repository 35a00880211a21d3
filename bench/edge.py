"""Edge node benchmark: the delay a show pulled from its origin adds, against aiortc's
jitter buffer at the edge, same run.

    .venv/bin/python bench/edge.py [--seconds 10]

Two server processes (the real app, `create_app`) share a SQLite file and Redis
(127.0.0.1:6379, or REDIS_URL): the origin, which this process publishes a 30 fps VP8
picture to over WHIP, and an edge. One viewer watches on each; both decode in this
process and note when each picture arrives (pictures are told apart by brightness). For
each picture the edge's viewer saw, the added delay is how much later it arrived there.
The edge puts frames together as their last packet arrives (streaming/assembler.py);
the baseline edge instead takes the frames aiortc's jitter buffer hands on, which waits
for the next frame's first packet. Both on this machine, in the same run. The last line
is `RESULT edge …`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from aiortc import RTCSessionDescription
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streaming import aiortc_hooks  # noqa: E402
from streaming.pull import OriginPull  # noqa: E402
from tests.streaming.peers import SDP, Publisher, Viewer, added_delays, until  # noqa: E402

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def jitter_buffer_frames(pull: OriginPull, track: MediaStreamTrack) -> None:
    """The baseline edge: frames as aiortc's jitter buffer hands them on."""
    receiver = next(t.receiver for t in pull.pc.getTransceivers() if t.receiver.track is track)
    fanout = pull.broadcast.video if track.kind == "video" else pull.broadcast.audio
    if track.kind == "video":
        pull._video_receiver = receiver

    def on_frame(codec: RTCRtpCodecParameters, frame: JitterFrame) -> None:
        if pull.broadcast.upstream is pull:
            fanout.publish(pull, codec.name, frame.data, frame.timestamp)

    aiortc_hooks.tap_receiver(receiver, on_frame)


async def serve(role: str, data_dir: Path, prefix: str, baseline: bool) -> None:
    from server.accounts import service as accounts
    from server.accounts.models import AccountStatus, Role, User
    from server.app import create_app
    from server.db import utcnow
    from server.keys import sessionmaker
    from server.settings import Settings
    from server.shows import service as shows
    from server.trust.demo import give_identity

    if baseline:
        OriginPull._on_track = jitter_buffer_frames  # type: ignore[assignment,method-assign]
    port = free_port()
    settings = Settings(
        environment="test",
        data_dir=data_dir / role,
        database_url=f"sqlite+aiosqlite:///{data_dir / 'bench.db'}",
        run_migrations=role == "origin",
        redis_url=REDIS_URL,
        chat_redis_prefix=prefix,
        port=port,
        internal_url=f"http://127.0.0.1:{port}",
        hls=False,
    )
    app = create_app(settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    ready = f"READY http://127.0.0.1:{port}"
    if role == "origin":
        async with app[sessionmaker].begin() as session:
            store = await accounts.create_store(session, name="bench", refund_policy="-")
            give_identity(store, 1)  # a verified seller: its shows may go public
            operator = User(role=Role.OPERATOR, status=AccountStatus.ACTIVE, id=0)
            show = await shows.create_show(
                session, operator, store_id=store.id, title="bench", scheduled_start=utcnow()
            )
        ready += f" {show.id} {show.stream_key}"
    print(ready, flush=True)
    await asyncio.Event().wait()


async def child(*args: str) -> tuple[asyncio.subprocess.Process, list[str]]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, *args, stdout=asyncio.subprocess.PIPE, cwd=ROOT
    )
    assert process.stdout is not None
    while True:
        line = (await process.stdout.readline()).decode()
        if not line:
            raise RuntimeError(f"{args[1]} server exited")
        if line.startswith("READY "):
            return process, line.split()[1:]


async def offer_answer(http: aiohttp.ClientSession, url: str, peer: Any, **headers: str) -> None:
    async with http.post(
        url, data=await peer.offer(), headers={"Content-Type": SDP, **headers}
    ) as resp:
        assert resp.status == 201, await resp.text()
        answer = await resp.text()
    await peer.pc.setRemoteDescription(RTCSessionDescription(sdp=answer, type="answer"))


async def measure(baseline: bool, seconds: float) -> list[float]:
    prefix = f"bench-edge-{uuid.uuid4().hex[:8]}:"
    with tempfile.TemporaryDirectory() as tmp:
        flags = ["--baseline"] if baseline else []
        origin, (origin_url, show_id, key) = await child("--serve", "origin", tmp, prefix)
        edge, (edge_url,) = await child("--serve", "edge", tmp, prefix, *flags)
        publisher, near, far = Publisher(), Viewer(), Viewer()
        try:
            async with aiohttp.ClientSession() as http:
                whip = f"{origin_url}/shows/{show_id}/whip"
                await offer_answer(http, whip, publisher, Authorization=f"Bearer {key}")
                await offer_answer(http, f"{origin_url}/shows/{show_id}/whep", near)
                await offer_answer(http, f"{edge_url}/shows/{show_id}/whep", far)
                await until(lambda: len(far.frames) >= 10, within=60)
                near.arrivals.clear()
                far.arrivals.clear()
                await asyncio.sleep(seconds)
            return added_delays(near, far)
        finally:
            for peer in (publisher, near, far):
                await peer.close()
            for process in (origin, edge):
                process.terminate()
                await process.wait()


def summary(delays: list[float]) -> tuple[float, float]:
    ordered = sorted(delays)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.9)]


async def main(seconds: float) -> None:
    results = {}
    for name, baseline in (("jitter buffer (baseline)", True), ("assembled at marker", False)):
        delays = await measure(baseline, seconds)
        p50, p90 = summary(delays)
        results[baseline] = (p50, p90, len(delays))
        print(f"{name:26} added delay p50 {p50:6.1f} ms  p90 {p90:6.1f} ms  ({len(delays)} frames)")
    p50, p90, frames = results[False]
    base50, base90, _ = results[True]
    print(
        f"RESULT edge added_ms_p50={p50:.1f} added_ms_p90={p90:.1f} frames={frames} "
        f"baseline_ms_p50={base50:.1f} baseline_ms_p90={base90:.1f} goal_ms=30"
    )


def cli() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured window")
    parser.add_argument("--serve", choices=("origin", "edge"), help=argparse.SUPPRESS)
    parser.add_argument("data_dir", nargs="?", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("prefix", nargs="?", help=argparse.SUPPRESS)
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(serve(args.serve, args.data_dir, args.prefix, args.baseline))
    else:
        asyncio.run(main(args.seconds))


if __name__ == "__main__":
    cli()
