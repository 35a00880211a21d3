"""`serve --workers N`: what it refuses, how many it starts by default, and the HAProxy
configuration it writes (checked by HAProxy itself)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from server.settings import Secret, Settings
from server.workers import (
    Topology,
    TopologyError,
    default_workers,
    render_haproxy,
    with_shared_webhook_secret,
    worker_environment,
)

ROOT = Path(__file__).resolve().parents[2]


def test_several_workers_without_redis_are_refused_with_what_to_do(tmp_path: Path) -> None:
    env = {**os.environ, "DATA_DIR": str(tmp_path), "JANGTEO_ENV": "development"}
    env.pop("REDIS_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "server", "serve", "--workers", "2"],
        cwd=ROOT,
        env=env,
        text=True,
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "--workers 2 needs REDIS_URL" in result.stderr
    assert not (tmp_path / "jangteo.db").exists()  # refused before touching anything


def test_one_worker_per_core_in_production_and_one_for_make_run() -> None:
    production = Settings(
        environment="production", secret_key=Secret("x" * 40), redis_url="redis://127.0.0.1"
    )
    assert default_workers(production) == (os.cpu_count() or 1)
    assert default_workers(production.with_(redis_url="")) == 1  # still starts, on one core
    assert default_workers(Settings()) == 1


def test_the_haproxy_configuration_written_for_the_workers_is_valid(tmp_path: Path) -> None:
    settings = Settings(host="127.0.0.1", port=18080)
    topology = Topology(workers=3, first_port=18081, balancer=True)
    config = tmp_path / "haproxy.cfg"
    config.write_text(render_haproxy(settings, topology.ports, 18090))
    text = config.read_text()
    assert "server w3 127.0.0.1:18083 cookie w3" in text
    assert "server w3 127.0.0.1:18083 track app/w3" in text
    checked = subprocess.run(
        ["haproxy", "-c", "-f", str(config)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_workers_share_the_sites_address_and_one_webhook_secret() -> None:
    settings = with_shared_webhook_secret(
        Settings(
            port=8080,
            public_url="https://market.example",
            stripe_secret_key=Secret("sk_test_localstripe"),
            stripe_api_base="http://127.0.0.1:8420",
        )
    )
    first, second = (worker_environment(settings, port) for port in (8081, 8082))
    assert first["STRIPE_WEBHOOK_SECRET"].startswith("whsec_")
    assert first["STRIPE_WEBHOOK_SECRET"] == second["STRIPE_WEBHOOK_SECRET"]
    assert first["PUBLIC_URL"] == second["PUBLIC_URL"] == "https://market.example"
    assert (first["PORT"], second["PORT"]) == ("8081", "8082")
    assert first["RUN_MIGRATIONS"] == "false"
    # Each worker tells the others where to pull its shows from: its own port.
    assert (first["INTERNAL_URL"], second["INTERNAL_URL"]) == (
        "http://127.0.0.1:8081",
        "http://127.0.0.1:8082",
    )
    machine = settings.with_(internal_url="http://10.0.0.5:8080")
    assert worker_environment(machine, 8083)["INTERNAL_URL"] == "http://10.0.0.5:8083"


def test_worker_ports_that_clash_with_the_sites_own_are_refused() -> None:
    settings = Settings(port=8080, redis_url="redis://127.0.0.1")
    with pytest.raises(TopologyError, match="include port 8080"):
        Topology(workers=2, first_port=8079, balancer=False).check(settings)
    # HAProxy's status page takes the port after the last worker's.
    with pytest.raises(TopologyError, match="include port 8080"):
        Topology(workers=2, first_port=8078, balancer=True).check(settings)
    Topology(workers=2, first_port=8081, balancer=False).check(settings)
