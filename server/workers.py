"""`serve --workers N`: N server processes on one machine, HAProxy in front of them.

The parent process does what must happen once: it applies the migrations, starts
localstripe (without Stripe keys) and makes up its webhook secret, then starts N workers
(`python -m server serve --worker I`, each on its own loopback port, sharing the
database, Redis and the payment gateway through the environment it hands them) and
HAProxy from `deploy/haproxy.cfg` on HOST:PORT. A worker that dies is started again.
Stopping the parent (Ctrl+C, SIGTERM) stops them all.

Why one port per worker rather than SO_REUSEPORT: Socket.IO's polling transport needs
every request of a connection on the same process, and a show's WHIP/WHEP requests on
the process that holds its video; the kernel's spreading of connections can do neither,
a balancer that can tell the processes apart can (deploy/haproxy.cfg).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import shutil
import string
import sys
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from server.settings import Secret, Settings

log = logging.getLogger("jangteo.workers")

ROOT = Path(__file__).resolve().parent.parent
HAPROXY_TEMPLATE = ROOT / "deploy" / "haproxy.cfg"
RESTART_DELAY_SECONDS = 1.0
STOP_PATIENCE_SECONDS = 20.0


class TopologyError(Exception):
    """A worker count or balancer that cannot work; the message says what to do."""


def default_workers(settings: Settings) -> int:
    """One per core in production with Redis; one elsewhere (`make run` on SQLite) and
    without Redis (asking for more than one without it is refused), unless asked."""
    if settings.environment == "production" and settings.redis_url:
        return os.cpu_count() or 1
    if settings.environment == "production":
        log.warning("one server process: set REDIS_URL to serve on every core")
    return 1


@dataclass(frozen=True)
class Topology:
    workers: int
    first_port: int  # worker i listens on first_port + i - 1
    balancer: bool  # start HAProxy on HOST:PORT

    @property
    def ports(self) -> list[int]:
        return [self.first_port + i for i in range(self.workers)]

    @property
    def stats_port(self) -> int:
        """HAProxy's status page, on loopback, after the last worker's port."""
        return self.first_port + self.workers

    def check(self, settings: Settings) -> None:
        if self.workers < 1:
            raise TopologyError("--workers must be at least 1")
        if self.workers > 1 and not settings.redis_url:
            raise TopologyError(
                f"--workers {self.workers} needs REDIS_URL: the workers share chat rooms, "
                "viewer counts and the background jobs' leader through Redis "
                "(or run one worker)"
            )
        if self.balancer and shutil.which("haproxy") is None:
            raise TopologyError(
                "haproxy is not installed (apt-get install haproxy); or pass --no-balancer "
                "and put your own in front of the workers (deploy/haproxy.cfg, deploy/nginx.conf)"
            )
        taken = set(self.ports) | ({self.stats_port} if self.balancer else set())
        clash = {settings.port, settings.localstripe_port} & taken
        if clash:
            raise TopologyError(
                f"worker ports {min(taken)}-{max(taken)} include port {min(clash)} "
                "already used: choose another --first-worker-port"
            )


def render_haproxy(settings: Settings, ports: Sequence[int], stats_port: int) -> str:
    servers = "\n".join(
        f"    server w{i} 127.0.0.1:{port} cookie w{i}" for i, port in enumerate(ports, start=1)
    )
    show_servers = "\n".join(
        f"    server w{i} 127.0.0.1:{port} track app/w{i}" for i, port in enumerate(ports, start=1)
    )
    template = string.Template(HAPROXY_TEMPLATE.read_text())
    return template.substitute(
        bind=f"{settings.host}:{settings.port}",
        servers=servers,
        show_servers=show_servers,
        stats=f"127.0.0.1:{stats_port}",
    )


def worker_environment(settings: Settings, port: int, host: str = "127.0.0.1") -> dict[str, str]:
    """What a worker reads instead of the parent's defaults: its own port, the public
    address and payment gateway of the site, no migrations of its own."""
    env = dict(os.environ)
    # Other workers (and machines) pull this worker's shows at the parent's internal
    # address with the worker's own port.
    internal = urllib.parse.urlsplit(settings.internal_url)
    env.update(
        HOST=host,
        PORT=str(port),
        INTERNAL_URL=f"{internal.scheme}://{internal.hostname}:{port}",
        PUBLIC_URL=settings.public_url,
        RUN_MIGRATIONS="false",
        DATABASE_URL=settings.database_url,
        DATA_DIR=str(settings.data_dir),
        STRIPE_SECRET_KEY=settings.stripe_secret_key.reveal(),
        STRIPE_PUBLISHABLE_KEY=settings.stripe_publishable_key,
        STRIPE_API_BASE=settings.stripe_api_base,
        STRIPE_WEBHOOK_SECRET=settings.stripe_webhook_secret.reveal(),
        # The balancer runs on this machine: its X-Forwarded-For names the shopper.
        TRUSTED_PROXIES=",".join(str(n) for n in settings.trusted_proxies) or "127.0.0.1,::1",
    )
    return env


def with_shared_webhook_secret(settings: Settings) -> Settings:
    """With localstripe every process would make up its own webhook secret and the last
    to register it would win; the parent makes up one for all."""
    if settings.stripe_webhook_secret or not settings.stripe_api_base:
        return settings
    return settings.with_(stripe_webhook_secret=Secret(f"whsec_{secrets.token_hex(16)}"))


class Supervisor:
    """Runs the workers (and HAProxy) until cancelled; restarts a worker that dies."""

    def __init__(self, settings: Settings, topology: Topology) -> None:
        self._settings = settings
        self._topology = topology
        self._procs: dict[int, asyncio.subprocess.Process] = {}
        self._haproxy: asyncio.subprocess.Process | None = None

    async def _start_worker(self, index: int) -> None:
        port = self._topology.ports[index - 1]
        self._procs[index] = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "server",
            "serve",
            "--worker",
            str(index),
            # Behind our HAProxy the workers listen on loopback only; behind your own
            # balancer (perhaps on another machine) on HOST.
            env=worker_environment(
                self._settings,
                port,
                "127.0.0.1" if self._topology.balancer else self._settings.host,
            ),
        )
        log.info("worker started", extra={"worker": index, "port": port})

    async def _start_haproxy(self) -> None:
        config = self._settings.data_dir / "haproxy.cfg"
        config.write_text(
            render_haproxy(self._settings, self._topology.ports, self._topology.stats_port)
        )
        self._haproxy = await asyncio.create_subprocess_exec("haproxy", "-f", str(config), "-db")

    async def wait_ready(self, patience: float = 120.0) -> None:
        """Until every worker answers /healthz (and the site does, behind HAProxy)."""
        urls = [f"http://127.0.0.1:{port}/healthz" for port in self._topology.ports]
        if self._topology.balancer:
            urls.append(f"http://127.0.0.1:{self._settings.port}/healthz")
        deadline = asyncio.get_running_loop().time() + patience
        async with aiohttp.ClientSession() as http:
            for url in urls:
                while True:
                    with contextlib.suppress(aiohttp.ClientError):
                        async with http.get(url) as resp:
                            if resp.status == 200:
                                break
                    if self._haproxy is not None and self._haproxy.returncode is not None:
                        raise TopologyError(f"haproxy exited ({self._haproxy.returncode})")
                    if asyncio.get_running_loop().time() > deadline:
                        raise TopologyError(f"{url} did not answer in {patience:.0f} s")
                    await asyncio.sleep(0.2)

    async def run(self, on_ready: Callable[[], None] = lambda: None) -> None:
        try:
            for index in range(1, self._topology.workers + 1):
                await self._start_worker(index)
            if self._topology.balancer:
                await self._start_haproxy()
            await self.wait_ready()
            print(
                f"\n{self._topology.workers} workers on ports "
                f"{self._topology.ports[0]}-{self._topology.ports[-1]}"
                + (
                    f", HAProxy on {self._settings.host}:{self._settings.port}"
                    if self._topology.balancer
                    else " (put a balancer in front: deploy/haproxy.cfg)"
                ),
                flush=True,
            )
            on_ready()
            await self._watch()
        finally:
            await self._stop()

    async def _watch(self) -> None:
        while True:
            waits = {
                asyncio.ensure_future(proc.wait()): index for index, proc in self._procs.items()
            }
            if self._haproxy is not None:
                waits[asyncio.ensure_future(self._haproxy.wait())] = 0
            try:
                done, _ = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for future in waits:
                    future.cancel()
            for future in done:
                index = waits[future]
                if index == 0:
                    raise TopologyError(f"haproxy exited ({future.result()})")
                log.error(
                    "worker exited; starting it again",
                    extra={"worker": index, "returncode": future.result()},
                )
                await asyncio.sleep(RESTART_DELAY_SECONDS)
                await self._start_worker(index)

    async def _stop(self) -> None:
        procs = list(self._procs.values())
        if self._haproxy is not None:
            procs.append(self._haproxy)
        for proc in procs:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.terminate()
        for proc in procs:
            try:
                await asyncio.wait_for(proc.wait(), STOP_PATIENCE_SECONDS)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
