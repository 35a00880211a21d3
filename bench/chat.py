"""Chat fan-out benchmark: N clients in one show room, M messages per second in.

    .venv/bin/python bench/chat.py                      # 1,000 clients, 20 msg/s, 15 s
    .venv/bin/python bench/chat.py --clients 300 --rate 50 --seconds 10 --modes one

For each mode it prints delivery latency p50/p99 (sender's send → reader's receive),
deliveries per second, lost messages, the server processes' CPU, and hearts in vs heart
broadcasts out. The modes, all measured in the same run with the same load client:

- baseline: a bare python-socketio server that re-emits every message to the room;
- one:      Jangteo's chat, one process, in-process manager;
- two:      Jangteo's chat, two processes sharing Redis (clients split between them).

The load client is deliberately light: plain WebSockets speaking just enough
Engine.IO/Socket.IO to connect, join and read (no python-socketio client), many
connections per process, so that the server is what gets measured. Everything runs on
this machine's loopback; the loaders share the CPU with the server, so figures are for
comparing modes within one run, not absolute capacity.

BENCH_PROFILE=/tmp/chat.prof writes a cProfile of each chat server process (for
finding where the time goes; it slows the server down). BENCH_GC=1 makes each chat
server print, when it stops, how many collections of each generation it ran and their
longest pause (a pause holds up every delivery behind it); BENCH_GC=off also turns
the collector off in the chat servers, to measure what its pauses cost.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from chat.hub import HEART_TICK_SECONDS  # noqa: E402
from server.events import ChatCommand, ChatEvent  # noqa: E402

JOINED_FRAME = f'42["{ChatEvent.JOINED}"'
REDIS_URL = "redis://127.0.0.1:6379/0"
SENDERS = 20
HEART_SOCKETS = 10
LOADERS = 2
LATE_SECONDS = 5.0
TAG = "bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --- servers -------------------------------------------------------------------------


def serve_baseline(port: int) -> None:
    """The baseline: stock python-socketio, every message re-emitted to the room."""
    import socketio
    from aiohttp import web

    sio = socketio.AsyncServer(async_mode="aiohttp")
    app = web.Application()
    sio.attach(app)

    async def join(sid: str, data: dict[str, Any]) -> None:
        await sio.enter_room(sid, f"show:{data['show_id']}")
        await sio.emit(ChatEvent.JOINED, {"show_id": data["show_id"]}, to=sid)

    async def send_message(sid: str, data: dict[str, Any]) -> None:
        await sio.emit("message", {"text": data["text"]}, room=f"show:{data['show_id']}")

    # Registered by call rather than as decorators: python-socketio is untyped, and its
    # decorator would hide the handlers' types.
    sio.on(ChatCommand.JOIN, join)
    sio.on(ChatCommand.SEND_MESSAGE, send_message)

    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def serve_app(port: int, database_url: str, redis_url: str, data_dir: str) -> None:
    from aiohttp import web

    from server.app import create_app
    from server.settings import Secret, Settings

    settings = Settings(
        environment="test",
        database_url=database_url,
        redis_url=redis_url,
        port=port,
        public_url=f"http://127.0.0.1:{port}",
        data_dir=Path(data_dir),
        stripe_secret_key=Secret("sk_test_x"),
        chat_redis_prefix=os.environ.get("CHAT_REDIS_PREFIX", "jangteo:chat:"),
        chat_batch_ms=int(os.environ.get("CHAT_BATCH_MS", "100")),
    )
    if os.environ.get("BENCH_GC"):
        _record_gc_pauses()
    if os.environ.get("BENCH_GC") == "off":
        import gc

        gc.disable()
    if os.environ.get("BENCH_PROFILE"):
        import cProfile

        with cProfile.Profile() as profile:
            web.run_app(
                create_app(settings), host="127.0.0.1", port=port, print=None, access_log=None
            )
        profile.dump_stats(os.environ["BENCH_PROFILE"])
        return
    web.run_app(create_app(settings), host="127.0.0.1", port=port, print=None, access_log=None)


def _record_gc_pauses() -> None:
    """Print, at exit, each generation's collections and the full ones' wall-clock times
    (compare them with the measured interval the bench prints)."""
    import atexit
    import gc

    started: list[float] = [0.0]
    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    full: list[str] = []

    def timed(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
            return
        pause = time.perf_counter() - started[0]
        pauses[info["generation"]].append(pause)
        if info["generation"] == 2:
            full.append(f"{time.time():.1f}:{pause * 1e3:.0f}ms")

    def report() -> None:
        counts = ", ".join(
            f"gen{g} n={len(p)} total={sum(p) * 1e3:.0f}ms max={max(p, default=0) * 1e3:.0f}ms"
            for g, p in pauses.items()
        )
        print(f"gc pauses (pid {os.getpid()}): {counts}; full at {' '.join(full)}", file=sys.stderr)

    gc.callbacks.append(timed)
    atexit.register(report)


async def prepare_database(database_url: str, data_dir: str, senders: int) -> tuple[int, list[str]]:
    """Migrate, then make a live show and signed-in senders; their session tokens."""
    from aiohttp import web

    from server import keys
    from server.accounts import service as accounts
    from server.accounts.models import AccountStatus, Role, User
    from server.app import create_app
    from server.db import utcnow
    from server.settings import Settings
    from server.shows import service as shows
    from server.trust.demo import give_identity

    app = create_app(
        Settings(environment="test", database_url=database_url, data_dir=Path(data_dir))
    )
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        async with app[keys.sessionmaker].begin() as session:
            store = await accounts.create_store(session, name="벤치 가게")
            give_identity(store, 1)  # a verified seller: its shows may go public
            operator = User(id=0, role=Role.OPERATOR, status=AccountStatus.ACTIVE)
            show = await shows.create_show(
                session, operator, store_id=store.id, title="벤치 라이브", scheduled_start=utcnow()
            )
            tokens = []
            for n in range(senders):
                user = await accounts.create_user(
                    session,
                    email=f"sender{n}@bench.kr",
                    password="bench-password-1",
                    display_name=f"sender {n}",
                    role=Role.SHOPPER,
                )
                tokens.append(await accounts.open_session(session, user, days=1))
        return show.id, tokens
    finally:
        await runner.cleanup()


# --- the light load client -----------------------------------------------------------


class Conn:
    """One WebSocket speaking the minimum of Engine.IO v4 / Socket.IO v5."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    @classmethod
    async def open(
        cls, http: aiohttp.ClientSession, url: str, show_id: int, cookie: str = ""
    ) -> Conn:
        ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        headers = {"Cookie": cookie} if cookie else {}
        ws = await http.ws_connect(ws_url, headers=headers, max_msg_size=0)
        opened = await ws.receive_str()  # 0{"sid":...}
        assert opened.startswith("0"), opened
        await ws.send_str("40")
        while not (await ws.receive_str()).startswith("40"):
            pass
        conn = cls(ws)
        await conn.emit(ChatCommand.JOIN, {"show_id": show_id})
        while True:
            frame = await ws.receive_str()
            if frame.startswith(JOINED_FRAME):
                return conn
            if frame == "2":
                await ws.send_str("3")

    async def emit(self, event: str, data: Any) -> None:
        await self.ws.send_str("42" + json.dumps([event, data], separators=(",", ":")))


def _texts(frame: str) -> tuple[bool, list[str]]:
    """Whether a Socket.IO EVENT frame carries a heart count, and its message texts.
    (The chat may fold a heart update into a `messages` frame as a second argument.)"""
    event, *args = json.loads(frame[2:])
    if event == ChatEvent.MESSAGES:
        hearts = len(args) > 1 and ChatEvent.HEARTS in args[1]
        return hearts, [m["text"] for m in args[0]]
    if event == "message":
        return False, [args[0]["text"]]
    return event == ChatEvent.HEARTS, []


class LightSocket(asyncio.Protocol):
    """A reading client as light as it gets: an asyncio Protocol that parses WebSocket
    frames straight out of the receive buffer (no task, no message object per frame).
    Server frames are never masked nor fragmented by aiohttp, and we offer no
    compression, so a frame is a 2-10 byte header and the text."""

    def __init__(
        self, host: str, port: int, show_id: int, stats: dict[str, Any], count_hearts: bool
    ) -> None:
        self.request = (
            f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\n"
            f"Host: {host}:{port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}"
            f"\r\n\r\n"
        ).encode()
        self.show_id = show_id
        self.stats = stats
        self.count_hearts = count_hearts
        self.buffer = bytearray()
        self.upgraded = False
        self.joined: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.received = 0
        self.late = 0  # arrived after the drain, while the loader still listened
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)

    def send_text(self, text: str) -> None:
        payload = text.encode()
        mask = os.urandom(4)
        n = len(payload)
        header = bytes([0x81, 0x80 | n]) if n < 126 else bytes([0x81, 0xFE]) + n.to_bytes(2)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        assert self.transport is not None
        self.transport.write(header + mask + masked)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if not self.upgraded:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            assert self.buffer.startswith(b"HTTP/1.1 101"), bytes(self.buffer[:80])
            del self.buffer[: end + 4]
            self.upgraded = True
        buf, pos = self.buffer, 0
        while len(buf) - pos >= 2:
            opcode, length, start = buf[pos] & 0x0F, buf[pos + 1] & 0x7F, pos + 2
            if length == 126:
                if len(buf) - pos < 4:
                    break
                length, start = int.from_bytes(buf[pos + 2 : pos + 4]), pos + 4
            elif length == 127:
                if len(buf) - pos < 10:
                    break
                length, start = int.from_bytes(buf[pos + 2 : pos + 10]), pos + 10
            if len(buf) < start + length:
                break
            if opcode == 1:
                self.on_text(buf[start : start + length].decode())
            elif opcode == 8:
                assert self.transport is not None
                self.transport.close()
            pos = start + length
        del buf[:pos]

    def on_text(self, frame: str) -> None:
        if frame == "2":
            self.send_text("3")
        elif frame.startswith("0{"):
            self.send_text("40")
        elif frame.startswith("40"):
            self.send_text("42" + json.dumps([ChatCommand.JOIN, {"show_id": self.show_id}]))
        elif frame.startswith(JOINED_FRAME):
            self.joined.set_result(None)
        elif frame.startswith("42") and self.stats["listening"]:
            now = time.time()
            hearts, texts = _texts(frame)
            for text in texts:
                parts = text.split(" ")
                if parts[0] == TAG and not self.stats["measuring"]:
                    self.late += 1
                elif parts[0] == TAG:
                    self.received += 1
                    self.stats["latencies"].append(now - float(parts[2]))
            if self.count_hearts and hearts:
                self.stats["heart_broadcasts"] += 1


async def loader(urls: list[str], clients: int, show_id: int, index: int) -> None:
    """A load process: open `clients` sockets, read until told to stop, report."""
    stats: dict[str, Any] = {
        "latencies": [],
        "heart_broadcasts": 0,
        "measuring": False,
        "listening": False,
    }
    loop = asyncio.get_running_loop()
    limit = asyncio.Semaphore(50)

    async def open_one(n: int) -> LightSocket:
        host, port = urls[n % len(urls)].removeprefix("http://").split(":")
        async with limit:
            _, sock = await loop.create_connection(
                lambda: LightSocket(host, int(port), show_id, stats, index == 0 and n == 0),
                host,
                int(port),
            )
            await sock.joined
            return sock

    socks = await asyncio.gather(*(open_one(n) for n in range(clients)))
    print("ready", flush=True)
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    assert (await stdin.readline()).strip() == b"go"
    stats["measuring"] = stats["listening"] = True
    assert (await stdin.readline()).strip() == b"stop"
    stats["measuring"] = False
    # Late is not lost: what still arrives in the next seconds is counted apart.
    await asyncio.sleep(LATE_SECONDS)
    stats["listening"] = False
    for sock in socks:
        if sock.transport is not None:
            sock.transport.close()
    print(
        json.dumps(
            {
                "latencies": stats["latencies"],
                "received": [s.received for s in socks],
                "late": sum(s.late for s in socks),
                "heart_broadcasts": stats["heart_broadcasts"],
            }
        ),
        flush=True,
    )


# --- one measured mode ---------------------------------------------------------------


async def _wait_up(url: str) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            try:
                async with http.get(f"{url}/socket.io/?EIO=4&transport=polling") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


def _spawn(
    *args: str, env: dict[str, str] | None = None, pipe: bool = False
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, __file__, *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdin=subprocess.PIPE if pipe else subprocess.DEVNULL,
        stdout=subprocess.PIPE if pipe else subprocess.DEVNULL,
    )


async def _readline(proc: subprocess.Popen[bytes]) -> bytes:
    assert proc.stdout is not None
    return await asyncio.to_thread(proc.stdout.readline)


async def run_mode(mode: str, args: argparse.Namespace, workdir: Path) -> dict[str, Any]:
    prefix = f"bench-chat-{uuid.uuid4().hex[:8]}:"
    servers: list[subprocess.Popen[bytes]] = []
    urls: list[str] = []
    tokens: list[str] = []
    show_id = 1
    if mode == "baseline":
        port = free_port()
        servers.append(_spawn("--role", "serve-baseline", "--port", str(port)))
        urls.append(f"http://127.0.0.1:{port}")
    else:
        data_dir = workdir / mode
        database_url = f"sqlite+aiosqlite:///{data_dir / 'bench.db'}"
        show_id, tokens = await prepare_database(database_url, str(data_dir), SENDERS)
        for _ in range(1 if mode == "one" else 2):
            port = free_port()
            servers.append(
                _spawn(
                    "--role",
                    "serve-app",
                    "--port",
                    str(port),
                    "--db",
                    database_url,
                    "--redis",
                    REDIS_URL if mode == "two" else "",
                    "--data",
                    str(data_dir),
                    env={"CHAT_REDIS_PREFIX": prefix},
                )
            )
            urls.append(f"http://127.0.0.1:{port}")
    loaders: list[subprocess.Popen[bytes]] = []
    try:
        for url in urls:
            await _wait_up(url)
        per_loader = args.clients // LOADERS
        for index in range(LOADERS):
            loaders.append(
                _spawn(
                    "--role",
                    "load",
                    "--urls",
                    ",".join(urls),
                    "--show",
                    str(show_id),
                    "--clients",
                    str(per_loader),
                    "--index",
                    str(index),
                    pipe=True,
                )
            )
        for proc in loaders:
            line = await _readline(proc)
            if line.strip() != b"ready":
                raise RuntimeError(f"a load process failed to connect: {line!r}")
        return await _measure(mode, args, urls, show_id, tokens, servers, loaders)
    finally:
        for proc in loaders + servers:
            if proc.poll() is None:
                proc.terminate()
        for proc in loaders + servers:
            proc.wait(timeout=30)
        if mode == "two":
            await _forget_redis_keys(prefix)


async def _forget_redis_keys(prefix: str) -> None:
    import redis.asyncio as aioredis

    client = aioredis.Redis.from_url(REDIS_URL)
    found = [k async for k in client.scan_iter(match=f"{prefix}*")]
    if found:
        await client.delete(*found)
    await client.aclose()


async def _measure(
    mode: str,
    args: argparse.Namespace,
    urls: list[str],
    show_id: int,
    tokens: Sequence[str],
    servers: list[subprocess.Popen[bytes]],
    loaders: list[subprocess.Popen[bytes]],
) -> dict[str, Any]:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
        senders = [
            await Conn.open(
                http, urls[n % len(urls)], show_id, f"jt_session={tokens[n]}" if tokens else ""
            )
            for n in range(SENDERS)
        ]
        hearts = (
            []
            if mode == "baseline"
            else [await Conn.open(http, urls[n % len(urls)], show_id) for n in range(HEART_SOCKETS)]
        )
        drains = [asyncio.create_task(_drain(c)) for c in senders + hearts]
        for proc in loaders:
            assert proc.stdin is not None
            proc.stdin.write(b"go\n")
            proc.stdin.flush()
        cpu_before = [cpu_seconds(p.pid) for p in servers]
        loader_before = [cpu_seconds(p.pid) for p in loaders]
        started = time.time()
        sent, hearts_sent = await _send(args, show_id, senders, hearts, started)
        # Let the last messages arrive before the loaders stop counting.
        await asyncio.sleep(args.drain)
        elapsed = time.time() - started
        if os.environ.get("BENCH_GC"):
            print(f"measured {started:.1f}..{started + elapsed:.1f}", file=sys.stderr)
        cpu = sum(cpu_seconds(p.pid) for p in servers) - sum(cpu_before)
        loader_cpu = sum(cpu_seconds(p.pid) for p in loaders) - sum(loader_before)
        for proc in loaders:
            assert proc.stdin is not None
            proc.stdin.write(b"stop\n")
            proc.stdin.flush()
        reports = [json.loads(await _readline(proc)) for proc in loaders]
        for conn in senders + hearts:
            await conn.ws.close()
        for task in drains:
            task.cancel()
    latencies: list[float] = sorted(x for r in reports for x in r["latencies"])
    received = [n for r in reports for n in r["received"]]
    expected = sent * len(received)

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000

    return {
        "mode": mode,
        "sent": sent,
        "p50": pct(0.50) if latencies else float("nan"),
        "p99": pct(0.99) if latencies else float("nan"),
        "deliveries_per_s": len(latencies) / args.seconds,
        "late": sum(r["late"] for r in reports),
        "lost": expected - sum(received) - sum(r["late"] for r in reports),
        # Who missed deliveries: a few clients missing many, or many missing one?
        "short_clients": sum(1 for n in received if n < sent),
        "most_missed": max((sent - n for n in received), default=0),
        "expected": expected,
        "cpu_percent": 100 * cpu / elapsed,
        "loader_cpu_percent": 100 * loader_cpu / elapsed,
        "hearts_in": hearts_sent,
        "heart_broadcasts": reports[0]["heart_broadcasts"],
        # Over the sending time and the one tick after it in which the last hearts are
        # flushed (the drain after that has none to send).
        "heart_broadcasts_per_s": reports[0]["heart_broadcasts"]
        / (args.seconds + HEART_TICK_SECONDS),
    }


async def _drain(conn: Conn) -> None:
    async for msg in conn.ws:
        if msg.type is aiohttp.WSMsgType.TEXT and msg.data == "2":
            await conn.ws.send_str("3")


async def _send(
    args: argparse.Namespace, show_id: int, senders: list[Conn], hearts: list[Conn], started: float
) -> tuple[int, int]:
    """Messages at `rate`/s and hearts at `hearts`/s, on an absolute schedule."""
    sent = hearts_sent = 0
    loop_step = 0.01
    end = started + args.seconds
    while (now := time.time()) < end:
        due = int((now - started) * args.rate) + 1
        while sent < due:
            conn = senders[sent % len(senders)]
            await conn.emit(
                ChatCommand.SEND_MESSAGE,
                {"show_id": show_id, "text": f"{TAG} {sent} {time.time():.6f}"},
            )
            sent += 1
        if hearts:
            due_hearts = int((now - started) * args.hearts)
            while hearts_sent < due_hearts:
                await hearts[hearts_sent % len(hearts)].emit(
                    ChatCommand.HEART, {"show_id": show_id}
                )
                hearts_sent += 1
        await asyncio.sleep(loop_step)
    return sent, hearts_sent


# --- entry point ---------------------------------------------------------------------

# The mode names of the RESULT lines (issue #10).
RESULT_MODES = {"baseline": "baseline", "one": "1proc", "two": "2proc_redis"}

LABELS = {
    "baseline": "baseline: bare python-socketio re-emit",
    "one": "jangteo chat, 1 process",
    "two": "jangteo chat, 2 processes + Redis",
}


def print_table(args: argparse.Namespace, results: list[dict[str, Any]]) -> None:
    print(
        f"\nchat fan-out: {args.clients} clients in one room, {args.rate} msg/s in for "
        f"{args.seconds} s, hearts {args.hearts}/s in (cpu count {os.cpu_count()})"
    )
    head = (
        f"{'mode':<40} {'p50 ms':>8} {'p99 ms':>8} {'deliv/s':>9} {'lost':>11} "
        f"{'srv CPU':>8} {'load CPU':>9} {'hearts in→out':>14}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        hearts = "n/a" if r["mode"] == "baseline" else f"{r['hearts_in']}→{r['heart_broadcasts']}"
        lost = f"{r['lost']}/{r['expected']}"
        print(
            f"{LABELS[r['mode']]:<40} {r['p50']:>8.1f} {r['p99']:>8.1f} "
            f"{r['deliveries_per_s']:>9.0f} {lost:>11} {r['cpu_percent']:>7.0f}% "
            f"{r['loader_cpu_percent']:>8.0f}% {hearts:>14}"
        )
    for r in results:
        if r["lost"] or r["late"]:
            print(
                f"{LABELS[r['mode']]}: {r['short_clients']} clients missed deliveries in "
                f"the drain, at most {r['most_missed']} each; {r['late']} arrived in the "
                f"{LATE_SECONDS:g} s after it (late), {r['lost']} never (lost)"
            )
    print(f"load average (1/5/15 min): {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    for r in results:
        print(
            f"RESULT chat mode={RESULT_MODES[r['mode']]} clients={args.clients} rate={args.rate:g} "
            f"p50_ms={r['p50']:.1f} p99_ms={r['p99']:.1f} lost={r['lost']} "
            f"heart_broadcasts_per_s={r['heart_broadcasts_per_s']:.1f}"
        )


async def main_async(args: argparse.Namespace) -> None:
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-chat-") as tmp:
        for mode in args.modes.split(","):
            print(f"running {LABELS[mode]} ...", flush=True)
            results.append(await run_mode(mode, args, Path(tmp)))
    print_table(args, results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=20.0, help="messages per second in")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--hearts", type=float, default=200.0, help="hearts per second in")
    parser.add_argument("--drain", type=float, default=2.0)
    parser.add_argument("--modes", default="baseline,one,two")
    # Internal: the same file runs the servers and the load processes.
    parser.add_argument(
        "--role", default="main", choices=["main", "serve-baseline", "serve-app", "load"]
    )
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--db", default="")
    parser.add_argument("--redis", default="")
    parser.add_argument("--data", default="")
    parser.add_argument("--urls", default="")
    parser.add_argument("--show", type=int, default=1)
    parser.add_argument("--index", type=int, default=0)
    args = parser.parse_args()
    if args.role == "serve-baseline":
        serve_baseline(args.port)
    elif args.role == "serve-app":
        serve_app(args.port, args.db, args.redis, args.data)
    elif args.role == "load":
        asyncio.run(loader(args.urls.split(","), args.clients, args.show, args.index))
    else:
        asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
