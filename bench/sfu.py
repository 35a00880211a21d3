"""Video fan-out benchmark: the forwarding unit against aiortc's MediaRelay, same run.

    .venv/bin/python bench/sfu.py [--viewers 20] [--naive-viewers 6] [--seconds 15]

Each design runs as a server in its own process: the real app (`create_app`) for
forwarding, and a small aiohttp WHIP/WHEP server built on `MediaRelay` (decode once,
encode per viewer) for the naive baseline. This process publishes a synthetic
640x360 30 fps VP8 stream of about 600 kbit/s over WHIP and connects light WHEP viewers
that reassemble frames but never decode them. The server's CPU time is read from
/proc: first with the publisher alone, then with every viewer connected; the per-viewer
figure is the difference divided by viewer-seconds. The last line is key=value figures.
"""

from __future__ import annotations

import argparse
import asyncio
import fractions
import os
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import av
from aiohttp import web
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription
from aiortc.jitterbuffer import JitterFrame
from aiortc.rtcrtpparameters import RTCRtpCodecParameters

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streaming import aiortc_hooks  # noqa: E402
from streaming.aiortc_hooks import tap_receiver  # noqa: E402
from streaming.fanout import is_keyframe  # noqa: E402

NO_ICE = RTCConfiguration(iceServers=[])  # loopback only, no STUN
WIDTH, HEIGHT, FPS, BITRATE = 640, 360, 30, 600_000
SDP = "application/sdp"
TICKS = os.sysconf("SC_CLK_TCK")


# --- the servers (child processes) ---------------------------------------------------------


async def serve_forwarding(data_dir: Path) -> None:
    from server.accounts import service as accounts
    from server.accounts.models import AccountStatus, Role, User
    from server.app import create_app
    from server.db import utcnow
    from server.keys import sessionmaker
    from server.settings import Settings
    from server.shows import service as shows

    settings = Settings(
        environment="test",
        data_dir=data_dir,
        database_url=f"sqlite+aiosqlite:///{data_dir / 'bench.db'}",
        max_viewers_per_show=10_000,
    )
    app = create_app(settings)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    async with app[sessionmaker].begin() as session:
        store = await accounts.create_store(session, name="bench", refund_policy="-")
        operator = User(role=Role.OPERATOR, status=AccountStatus.ACTIVE, id=0)
        show = await shows.create_show(
            session, operator, store_id=store.id, title="bench", scheduled_start=utcnow()
        )
    port = runner.addresses[0][1]
    print(f"READY http://127.0.0.1:{port}/shows/{show.id} {show.stream_key}", flush=True)
    await asyncio.Event().wait()


async def serve_naive() -> None:
    """The baseline: MediaRelay hands the decoded track to every viewer's sender, which
    encodes it again for each viewer."""
    from aiortc.contrib.media import MediaRelay

    relay = MediaRelay()
    sources: dict[str, MediaStreamTrack] = {}
    pcs: list[RTCPeerConnection] = []

    async def whip(request: web.Request) -> web.Response:
        pc = RTCPeerConnection(NO_ICE)
        pcs.append(pc)
        pc.on("track", lambda track: sources.__setitem__(track.kind, track))
        await pc.setRemoteDescription(RTCSessionDescription(await request.text(), "offer"))
        await pc.setLocalDescription(await pc.createAnswer())
        return web.Response(
            status=201,
            text=pc.localDescription.sdp,
            content_type=SDP,
            headers={"Location": "/whip/1"},
        )

    async def whep(request: web.Request) -> web.Response:
        pc = RTCPeerConnection(NO_ICE)
        pcs.append(pc)
        await pc.setRemoteDescription(RTCSessionDescription(await request.text(), "offer"))
        for kind in ("video", "audio"):
            if kind in sources:
                pc.addTrack(relay.subscribe(sources[kind], buffered=False))
        await pc.setLocalDescription(await pc.createAnswer())
        return web.Response(
            status=201,
            text=pc.localDescription.sdp,
            content_type=SDP,
            headers={"Location": f"/whep/{len(pcs)}"},
        )

    app = web.Application()
    app.router.add_post("/shows/1/whip", whip)
    app.router.add_post("/shows/1/whep", whep)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    print(f"READY http://127.0.0.1:{port}/shows/1 -", flush=True)
    await asyncio.Event().wait()


# --- the publisher ----------------------------------------------------------------------


def encode_clip(seconds: int = 4) -> list[bytes]:
    """A VP8 clip whose first frame is the only keyframe: a moving gradient with a
    noisy band so the encoder spends its ~600 kbit/s."""
    encoder = av.CodecContext.create("libvpx", "w")
    encoder.width, encoder.height, encoder.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    encoder.time_base = fractions.Fraction(1, FPS)
    encoder.bit_rate = BITRATE
    encoder.gop_size = 100_000  # one keyframe, at the start
    encoder.qmin, encoder.qmax = 2, 56
    # minrate = maxrate = bit_rate makes libvpx rate control constant (as aiortc does).
    encoder.options = {
        "deadline": "realtime",
        "cpu-used": "8",
        "lag-in-frames": "0",
        "bufsize": str(BITRATE),
        "minrate": str(BITRATE),
        "maxrate": str(BITRATE),
        "undershoot-pct": "100",
    }
    gradient = bytes(range(256)) * ((WIDTH * HEIGHT) // 256 + WIDTH * 2)
    rng = random.Random(7)
    band = WIDTH * (HEIGHT // 60)
    packets: list[bytes] = []
    for i in range(seconds * FPS):
        frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
        shift = (i * 4) % 256
        luma = bytearray(gradient[shift : shift + WIDTH * HEIGHT])
        luma[:band] = rng.randbytes(band)
        frame.planes[0].update(bytes(luma))
        frame.planes[1].update(bytes([(i * 3) % 256]) * frame.planes[1].buffer_size)
        frame.planes[2].update(bytes([128]) * frame.planes[2].buffer_size)
        frame.pts = i
        packets += [bytes(p) for p in encoder.encode(frame)]
    packets += [bytes(p) for p in encoder.encode(None)]
    return packets


class ClipTrack(MediaStreamTrack):
    """Sends the pre-encoded clip in a loop at 30 fps; a keyframe request restarts it
    (its first frame is a keyframe)."""

    kind = "video"

    def __init__(self, clip: list[bytes]) -> None:
        super().__init__()
        self.clip = clip
        self.index = 0
        self.pts = 0
        self.started = 0.0

    def restart(self) -> None:
        self.index = 0

    async def recv(self) -> av.Packet[av.stream.Stream]:
        if not self.started:
            self.started = time.monotonic()
        self.pts += 1
        await asyncio.sleep(max(0.0, self.started + self.pts / FPS - time.monotonic()))
        packet = av.Packet(self.clip[self.index])
        self.index = (self.index + 1) % len(self.clip)
        packet.pts = self.pts * (90_000 // FPS)
        packet.time_base = fractions.Fraction(1, 90_000)
        return packet


async def post_offer(
    http: aiohttp.ClientSession,
    url: str,
    pc: RTCPeerConnection,
    headers: dict[str, str] | None = None,
) -> None:
    await pc.setLocalDescription(await pc.createOffer())
    async with http.post(
        url, data=pc.localDescription.sdp, headers={"Content-Type": SDP, **(headers or {})}
    ) as resp:
        if resp.status != 201:
            raise RuntimeError(f"{url}: {resp.status} {await resp.text()}")
        answer = await resp.text()
    await pc.setRemoteDescription(RTCSessionDescription(answer, "answer"))


async def publish(
    http: aiohttp.ClientSession, base: str, key: str, clip: list[bytes]
) -> RTCPeerConnection:
    pc = RTCPeerConnection(NO_ICE)
    track = ClipTrack(clip)
    sender = pc.addTrack(track)
    aiortc_hooks.intercept_keyframe_requests(sender, track.restart)
    headers = {"Authorization": f"Bearer {key}"} if key != "-" else {}
    await post_offer(http, f"{base}/whip", pc, headers)
    return pc


# --- light viewers ------------------------------------------------------------------------


@dataclass
class LightViewer:
    """Reassembles frames (so it knows what arrived) but never decodes them."""

    pc: RTCPeerConnection = field(default_factory=lambda: RTCPeerConnection(NO_ICE))
    frames: int = 0
    keyframes: int = 0
    asked_at: float = 0.0
    first_frame_at: float | None = None

    def on_frame(self, codec: RTCRtpCodecParameters, frame: JitterFrame) -> None:
        self.frames += 1
        if self.first_frame_at is None:
            self.first_frame_at = time.monotonic()
        if is_keyframe(codec.name, frame.data):
            self.keyframes += 1

    async def watch(self, http: aiohttp.ClientSession, base: str) -> None:
        self.pc.addTransceiver("video", direction="recvonly")

        def on_track(track: MediaStreamTrack) -> None:
            for transceiver in self.pc.getTransceivers():
                if transceiver.receiver.track is track:
                    tap_receiver(transceiver.receiver, self.on_frame)

        self.pc.on("track", on_track)
        self.asked_at = time.monotonic()
        await post_offer(http, f"{base}/whep", self.pc)

    async def packets(self) -> tuple[int, int]:
        received = lost = 0
        for transceiver in self.pc.getTransceivers():
            for stat in (await transceiver.receiver.getStats()).values():
                if stat.type == "inbound-rtp":
                    received += stat.packetsReceived
                    lost += max(stat.packetsLost, 0)
        return received, lost


# --- one measured run ------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


@dataclass
class Result:
    design: str
    viewers: int
    publisher_cpu_ms_per_s: float
    cpu_ms_per_viewer_s: float
    total_cpu_ms_per_s: float
    fps: float
    loss_pct: float
    ttff_ms: list[float]


async def measure(design: str, viewers: int, seconds: float, clip: list[bytes]) -> Result:
    with tempfile.TemporaryDirectory(prefix="jt-bench-") as tmp:
        mode = ["--serve", design, "--data-dir", tmp]
        server = await asyncio.create_subprocess_exec(
            sys.executable, __file__, *mode, stdout=asyncio.subprocess.PIPE, cwd=ROOT
        )
        try:
            assert server.stdout is not None
            line = (await server.stdout.readline()).decode()
            if not line.startswith("READY"):
                raise RuntimeError(f"{design} server did not start: {line!r}")
            _, base, key = line.split()
            return await _measure(design, server.pid, base, key, viewers, seconds, clip)
        finally:
            server.terminate()
            await server.wait()


async def _measure(
    design: str, pid: int, base: str, key: str, viewers: int, seconds: float, clip: list[bytes]
) -> Result:
    async with aiohttp.ClientSession() as http:
        publisher = await publish(http, base, key, clip)
        await asyncio.sleep(2)
        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        await asyncio.sleep(min(seconds, 5))
        publisher_rate = (cpu_seconds(pid) - cpu0) / (time.monotonic() - t0)

        crowd = [LightViewer() for _ in range(viewers)]
        for start in range(0, len(crowd), 5):
            await asyncio.gather(*(v.watch(http, base) for v in crowd[start : start + 5]))
        await asyncio.sleep(3)  # every viewer connected and receiving
        frames0 = sum(v.frames for v in crowd)
        packets0 = [await v.packets() for v in crowd]
        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        await asyncio.sleep(seconds)
        elapsed = time.monotonic() - t0
        cpu_rate = (cpu_seconds(pid) - cpu0) / elapsed
        frames = sum(v.frames for v in crowd) - frames0
        packets1 = [await v.packets() for v in crowd]
        received = sum(b[0] - a[0] for a, b in zip(packets0, packets1, strict=True))
        lost = sum(b[1] - a[1] for a, b in zip(packets0, packets1, strict=True))
        ttff = [(v.first_frame_at - v.asked_at) * 1000 for v in crowd if v.first_frame_at]
        await asyncio.gather(*(v.pc.close() for v in crowd), publisher.close())
    per_viewer = max(cpu_rate - publisher_rate, 0.0) * 1000 / viewers
    return Result(
        design,
        viewers,
        publisher_rate * 1000,
        per_viewer,
        cpu_rate * 1000,
        frames / viewers / elapsed,
        100 * lost / max(received + lost, 1),
        ttff,
    )


def report(result: Result) -> None:
    ttff = sorted(result.ttff_ms)
    print(
        f"{result.design:10} viewers={result.viewers:<4} "
        f"server CPU {result.total_cpu_ms_per_s:7.1f} ms/s "
        f"(publisher alone {result.publisher_cpu_ms_per_s:6.1f} ms/s) "
        f"-> {result.cpu_ms_per_viewer_s:6.2f} ms per viewer-second; "
        f"{result.fps:5.1f} fps delivered, loss {result.loss_pct:.2f} %, "
        f"first frame p50 {statistics.median(ttff) if ttff else float('nan'):.0f} ms "
        f"max {max(ttff) if ttff else float('nan'):.0f} ms "
        f"({len(ttff)}/{result.viewers} got a frame)",
        flush=True,
    )


async def main(args: argparse.Namespace) -> None:
    clip = encode_clip()
    kbps = sum(len(p) for p in clip) * 8 / (len(clip) / FPS) / 1000
    print(
        f"clip: {len(clip)} VP8 frames {WIDTH}x{HEIGHT} @ {FPS} fps, {kbps:.0f} kbit/s, "
        f"{os.cpu_count()} CPUs on this machine",
        flush=True,
    )
    forwarding = await measure("forwarding", args.viewers, args.seconds, clip)
    report(forwarding)
    naive = await measure("naive", args.naive_viewers, args.seconds, clip)
    report(naive)
    for result in (forwarding, naive):
        if result.fps < 0.9 * FPS:
            print(
                f"note: the {result.design} server delivered only {result.fps:.1f} fps: it "
                "could not keep up (or the machine is busy), so its CPU per viewer-second "
                "is an underestimate",
                flush=True,
            )
    ratio = naive.cpu_ms_per_viewer_s / max(forwarding.cpu_ms_per_viewer_s, 1e-9)
    per_core = 1000 / max(forwarding.cpu_ms_per_viewer_s, 1e-9)
    ttff = sorted(forwarding.ttff_ms) or [float("nan")]
    print(
        f"viewers={forwarding.viewers} "
        f"server_cpu_ms_per_viewer_s={forwarding.cpu_ms_per_viewer_s:.2f} "
        f"naive_viewers={naive.viewers} "
        f"naive_cpu_ms_per_viewer_s={naive.cpu_ms_per_viewer_s:.2f} "
        f"ratio={ratio:.1f} fps={forwarding.fps:.1f} naive_fps={naive.fps:.1f} "
        f"loss_pct={forwarding.loss_pct:.2f} ttff_ms_p50={statistics.median(ttff):.0f} "
        f"viewers_per_core={per_core:.0f} clip_kbps={kbps:.0f}",
        flush=True,
    )


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--viewers", type=int, default=20, help="viewers of the forwarding server (default 20)"
    )
    parser.add_argument(
        "--naive-viewers",
        type=int,
        default=6,
        help="viewers of the MediaRelay baseline (default 6: each costs an "
        "encoder, more would saturate a 2-core machine)",
    )
    parser.add_argument("--seconds", type=float, default=15.0, help="measured window")
    parser.add_argument("--serve", choices=("forwarding", "naive"), help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve == "forwarding":
        asyncio.run(serve_forwarding(args.data_dir))
    elif args.serve == "naive":
        asyncio.run(serve_naive())
    else:
        asyncio.run(main(args))


if __name__ == "__main__":
    cli()
