"""Video fan-out benchmark: the forwarding unit against aiortc's MediaRelay, same run.

    .venv/bin/python bench/sfu.py [--viewers 20,100,200,400] [--naive-viewers 6] [--seconds 15]

Each design runs as a server in its own process: the real app (`create_app`) for
forwarding, and a small aiohttp WHIP/WHEP server built on `MediaRelay` (decode once,
encode per viewer) for the naive baseline. This process publishes a synthetic
640x360 30 fps VP8 stream of about 600 kbit/s plus 48 kHz Opus (20 ms frames, ~50
packets/s) over WHIP. Viewers run in separate processes (`--viewer-procs`, many viewers
each) and are much cheaper than the server per viewer: after the DTLS handshake they
count RTP packets from their headers (sequence numbers for loss, the marker bit for
frames) without decrypting, reassembling or decoding anything.

For each viewer count of the sweep the server's CPU time is read from /proc: first with
the publisher alone, then with every viewer connected; the per-viewer figure is the
difference divided by viewer-seconds. A count where the server could not keep up
(under 90 % of the frames delivered, or over 1 % loss) is reported as such and never
counted as capacity. The last line is `RESULT sfu …` for the largest count that kept up.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fractions
import json
import math
import os
import random
import statistics
import struct
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import av
from aiohttp import web
from aiortc import MediaStreamTrack, RTCConfiguration, RTCPeerConnection, RTCSessionDescription

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from streaming import aiortc_hooks  # noqa: E402

NO_ICE = RTCConfiguration(iceServers=[])  # loopback only, no STUN
WIDTH, HEIGHT, FPS, BITRATE = 640, 360, 30, 600_000
AUDIO_RATE, AUDIO_PACKETS_PER_S = 48_000, 50
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
    from server.trust.demo import give_identity

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
        give_identity(store, 1)  # a verified seller: its shows may go public
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


def encode_audio_clip(seconds: int = 4) -> list[bytes]:
    """Opus, 48 kHz, 20 ms per packet: a tone with some noise, as a voice would cost."""
    encoder = av.CodecContext.create("libopus", "w")
    encoder.sample_rate = AUDIO_RATE
    encoder.layout = "stereo"
    encoder.format = "s16"
    encoder.bit_rate = 64_000
    rng = random.Random(11)
    packets: list[bytes] = []
    samples = AUDIO_RATE // AUDIO_PACKETS_PER_S
    for i in range(seconds * AUDIO_PACKETS_PER_S):
        frame = av.AudioFrame(format="s16", layout="stereo", samples=samples)
        wave = bytearray()
        for n in range(samples):
            value = int(8000 * math.sin(2 * math.pi * 220 * (i * samples + n) / AUDIO_RATE))
            value += rng.randint(-800, 800)
            wave += struct.pack("<hh", value, value)
        frame.planes[0].update(bytes(wave))
        frame.sample_rate = AUDIO_RATE
        frame.pts = i * samples
        packets += [bytes(p) for p in encoder.encode(frame)]
    packets += [bytes(p) for p in encoder.encode(None)]
    return packets


class ClipTrack(MediaStreamTrack):
    """Sends a pre-encoded clip in a loop at its real pace. For video, a keyframe
    request restarts it (its first frame is the only keyframe)."""

    def __init__(self, kind: str, clip: list[bytes]) -> None:
        super().__init__()
        self.kind = kind
        self.clip = clip
        self.index = 0
        self.pts = 0
        self.started = 0.0
        self.rate, self.clock = (FPS, 90_000) if kind == "video" else (AUDIO_PACKETS_PER_S, 48_000)

    def restart(self) -> None:
        self.index = 0

    async def recv(self) -> av.Packet[av.stream.Stream]:
        if not self.started:
            self.started = time.monotonic()
        self.pts += 1
        await asyncio.sleep(max(0.0, self.started + self.pts / self.rate - time.monotonic()))
        packet = av.Packet(self.clip[self.index])
        self.index = (self.index + 1) % len(self.clip)
        packet.pts = self.pts * (self.clock // self.rate)
        packet.time_base = fractions.Fraction(1, self.clock)
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
    http: aiohttp.ClientSession, base: str, key: str, clips: dict[str, list[bytes]]
) -> RTCPeerConnection:
    pc = RTCPeerConnection(NO_ICE)
    video = ClipTrack("video", clips["video"])
    sender = pc.addTrack(video)
    aiortc_hooks.intercept_keyframe_requests(sender, video.restart)
    if clips.get("audio"):
        pc.addTrack(ClipTrack("audio", clips["audio"]))
    headers = {"Authorization": f"Bearer {key}"} if key != "-" else {}
    await post_offer(http, f"{base}/whip", pc, headers)
    return pc


# --- counting viewers (child processes) -----------------------------------------------------


@dataclass
class Stream:
    """What one viewer received of one RTP stream, read from the clear RTP header."""

    first: int = -1
    highest: int = -1  # extended sequence number
    received: int = 0
    frames: int = 0

    def add(self, sequence: int, marker: bool) -> None:
        if self.first < 0:
            self.first = self.highest = sequence
        else:
            delta = (sequence - (self.highest & 0xFFFF) + 0x8000) % 0x10000 - 0x8000
            if delta > 0:
                self.highest += delta
        self.received += 1
        self.frames += marker

    @property
    def lost(self) -> int:
        return max(0, self.highest - self.first + 1 - self.received) if self.first >= 0 else 0


@dataclass
class CountingViewer:
    """A WHEP viewer that counts packets instead of receiving them: after the DTLS
    handshake, SRTP packets are read from their unencrypted RTP headers only."""

    pc: RTCPeerConnection = field(default_factory=lambda: RTCPeerConnection(NO_ICE))
    audio_types: set[int] = field(default_factory=set)
    video: dict[bytes, Stream] = field(default_factory=dict)
    audio: dict[bytes, Stream] = field(default_factory=dict)
    asked_at: float = 0.0
    first_frame_at: float | None = None

    def on_packet(self, data: bytes) -> None:
        if len(data) < 12 or 192 <= data[1] <= 208:
            return  # RTCP
        payload_type, marker = data[1] & 0x7F, bool(data[1] & 0x80)
        sequence = (data[2] << 8) | data[3]
        streams = self.audio if payload_type in self.audio_types else self.video
        stream = streams.setdefault(data[8:12], Stream())
        stream.add(sequence, marker and streams is self.video)
        if marker and streams is self.video and self.first_frame_at is None:
            self.first_frame_at = time.monotonic()

    async def watch(self, http: aiohttp.ClientSession, base: str) -> None:
        self.pc.addTransceiver("video", direction="recvonly")
        self.pc.addTransceiver("audio", direction="recvonly")
        aiortc_hooks.count_rtp_instead_of_receiving(self.pc, self.on_packet)
        self.asked_at = time.monotonic()
        await post_offer(http, f"{base}/whep", self.pc)
        section = ""
        for line in self.pc.remoteDescription.sdp.splitlines():
            if line.startswith("m="):
                section = line[2:].split()[0]
            elif line.startswith("a=rtpmap:") and section == "audio":
                self.audio_types.add(int(line[9:].split()[0]))

    def totals(self) -> dict[str, int]:
        video, audio = list(self.video.values()), list(self.audio.values())
        return {
            "frames": sum(s.frames for s in video),
            "video_packets": sum(s.received for s in video),
            "audio_packets": sum(s.received for s in audio),
            "lost": sum(s.lost for s in video + audio),
        }


async def run_viewers(base: str, count: int) -> None:
    """A child process: `count` viewers; answers MARK and REPORT lines on stdin with
    what arrived since the last MARK, as JSON."""
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    crowd = [CountingViewer() for _ in range(count)]
    async with aiohttp.ClientSession() as http:
        for start in range(0, count, 5):
            await asyncio.gather(*(v.watch(http, base) for v in crowd[start : start + 5]))
        print("READY", flush=True)
        marked = [v.totals() for v in crowd]
        while line := (await reader.readline()).decode().strip():
            now = [v.totals() for v in crowd]
            if line == "REPORT":
                delta = {
                    k: sum(n[k] - m[k] for n, m in zip(now, marked, strict=True)) for k in now[0]
                }
                ttff = [(v.first_frame_at - v.asked_at) * 1000 for v in crowd if v.first_frame_at]
                print(json.dumps({**delta, "ttff_ms": ttff}), flush=True)
            marked = now
            if line == "STOP":
                break
        await asyncio.gather(*(v.pc.close() for v in crowd))


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
    audio_pps: float
    loss_pct: float
    ttff_ms: list[float]

    @property
    def kept_up(self) -> bool:
        return self.fps >= 0.9 * FPS and self.loss_pct <= 1.0


async def child(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        __file__,
        *args,
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
    )


async def ask(process: asyncio.subprocess.Process, line: str = "") -> str:
    assert process.stdin is not None and process.stdout is not None
    if line:
        process.stdin.write(f"{line}\n".encode())
        await process.stdin.drain()
    return (await process.stdout.readline()).decode().strip()


async def measure(
    design: str, viewers: int, procs: int, seconds: float, clips: dict[str, list[bytes]]
) -> Result:
    with tempfile.TemporaryDirectory(prefix="jt-bench-") as tmp:
        server = await child("--serve", design, "--data-dir", tmp)
        try:
            line = await ask(server)
            if not line.startswith("READY"):
                raise RuntimeError(f"{design} server did not start: {line!r}")
            _, base, key = line.split()
            return await _measure(design, server.pid, base, key, viewers, procs, seconds, clips)
        finally:
            server.terminate()
            await server.wait()


async def _measure(
    design: str,
    pid: int,
    base: str,
    key: str,
    viewers: int,
    procs: int,
    seconds: float,
    clips: dict[str, list[bytes]],
) -> Result:
    async with aiohttp.ClientSession() as http:
        publisher = await publish(http, base, key, clips)
        await asyncio.sleep(2)
        cpu0, t0 = cpu_seconds(pid), time.monotonic()
        await asyncio.sleep(min(seconds, 5))
        publisher_rate = (cpu_seconds(pid) - cpu0) / (time.monotonic() - t0)

        shares = [viewers // procs + (i < viewers % procs) for i in range(procs)]
        groups = [await child("--watch", base, "--count", str(n)) for n in shares if n]
        try:
            for group in groups:
                if await ask(group) != "READY":
                    raise RuntimeError("a viewer process could not connect")
            await asyncio.sleep(3)  # every viewer connected and receiving
            for group in groups:
                await ask_nothing(group, "MARK")
            cpu0, t0 = cpu_seconds(pid), time.monotonic()
            await asyncio.sleep(seconds)
            cpu1, elapsed = cpu_seconds(pid), time.monotonic() - t0
            reports = [json.loads(await ask(group, "REPORT")) for group in groups]
            for group in groups:
                await ask_nothing(group, "STOP")
        finally:
            for group in groups:
                with contextlib.suppress(ProcessLookupError):
                    group.terminate()
                await group.wait()
        await publisher.close()
    cpu_rate = (cpu1 - cpu0) / elapsed
    per_viewer = max(cpu_rate - publisher_rate, 0.0) * 1000 / viewers
    received = sum(r["video_packets"] + r["audio_packets"] for r in reports)
    lost = sum(r["lost"] for r in reports)
    return Result(
        design,
        viewers,
        publisher_rate * 1000,
        per_viewer,
        cpu_rate * 1000,
        sum(r["frames"] for r in reports) / viewers / elapsed,
        sum(r["audio_packets"] for r in reports) / viewers / elapsed,
        100 * lost / max(received + lost, 1),
        [t for r in reports for t in r["ttff_ms"]],
    )


async def ask_nothing(process: asyncio.subprocess.Process, line: str) -> None:
    """Send a line that needs no answer."""
    assert process.stdin is not None
    process.stdin.write(f"{line}\n".encode())
    await process.stdin.drain()


def p50(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def report(result: Result) -> None:
    verdict = "" if result.kept_up else "  << could not keep up: not capacity"
    print(
        f"{result.design:10} viewers={result.viewers:<4} "
        f"server CPU {result.total_cpu_ms_per_s:7.1f} ms/s "
        f"(publisher alone {result.publisher_cpu_ms_per_s:6.1f}) "
        f"-> {result.cpu_ms_per_viewer_s:5.2f} ms per viewer-second; "
        f"{result.fps:4.1f} fps, audio {result.audio_pps:4.1f} pkt/s, "
        f"loss {result.loss_pct:5.2f} %, first frame p50 {p50(result.ttff_ms):4.0f} ms "
        f"({len(result.ttff_ms)}/{result.viewers} got a frame){verdict}",
        flush=True,
    )


async def main(args: argparse.Namespace) -> None:
    clips = {"video": encode_clip(), "audio": encode_audio_clip() if args.audio else []}
    kbps = sum(len(p) for p in clips["video"]) * 8 / (len(clips["video"]) / FPS) / 1000
    print(
        f"clip: {len(clips['video'])} VP8 frames {WIDTH}x{HEIGHT} @ {FPS} fps, {kbps:.0f} "
        f"kbit/s; audio: {'Opus 48 kHz, 50 packets/s' if args.audio else 'none'}; "
        f"{os.cpu_count()} CPUs; viewers in {args.viewer_procs} processes",
        flush=True,
    )
    naive = await measure("naive", args.naive_viewers, 1, args.seconds, clips)
    report(naive)
    sweep = []
    for count in args.viewers:
        result = await measure("forwarding", count, args.viewer_procs, args.seconds, clips)
        report(result)
        sweep.append(result)
        print(
            f"RESULT sfu_point viewers={count} cpu_ms_per_viewer_s="
            f"{result.cpu_ms_per_viewer_s:.2f} fps={result.fps:.1f} "
            f"loss_pct={result.loss_pct:.2f} kept_up={int(result.kept_up)}",
            flush=True,
        )
    kept = [r for r in sweep if r.kept_up]
    best = max(kept, key=lambda r: r.viewers) if kept else max(sweep, key=lambda r: r.viewers)
    if not kept:
        print("note: no viewer count kept up; the figures below are not capacity", flush=True)
    ratio = naive.cpu_ms_per_viewer_s / max(best.cpu_ms_per_viewer_s, 1e-9)
    print(
        f"RESULT sfu viewers={best.viewers} audio={int(bool(args.audio))} "
        f"cpu_ms_per_viewer_s={best.cpu_ms_per_viewer_s:.2f} "
        f"viewers_per_core={1000 / max(best.cpu_ms_per_viewer_s, 1e-9):.0f} "
        f"ratio={ratio:.1f} naive_cpu_ms_per_viewer_s={naive.cpu_ms_per_viewer_s:.2f} "
        f"loss_pct={best.loss_pct:.2f} fps={best.fps:.1f} "
        f"ttff_ms_p50={p50(best.ttff_ms):.0f} kept_up={int(best.kept_up)}",
        flush=True,
    )


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--viewers",
        type=lambda raw: [int(n) for n in raw.split(",")],
        default=[20, 100, 200, 400],
        help="viewer counts of the sweep (default 20,100,200,400)",
    )
    parser.add_argument(
        "--naive-viewers",
        type=int,
        default=6,
        help="viewers of the MediaRelay baseline (default 6: each costs an "
        "encoder, more would saturate a 2-core machine)",
    )
    parser.add_argument("--viewer-procs", type=int, default=2, help="viewer processes")
    parser.add_argument("--no-audio", dest="audio", action="store_false", help="video only")
    parser.add_argument("--seconds", type=float, default=15.0, help="measured window")
    parser.add_argument("--serve", choices=("forwarding", "naive"), help=argparse.SUPPRESS)
    parser.add_argument("--data-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--watch", help=argparse.SUPPRESS)
    parser.add_argument("--count", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve == "forwarding":
        asyncio.run(serve_forwarding(args.data_dir))
    elif args.serve == "naive":
        asyncio.run(serve_naive())
    elif args.watch:
        asyncio.run(run_viewers(args.watch, args.count))
    else:
        asyncio.run(main(args))


if __name__ == "__main__":
    cli()
