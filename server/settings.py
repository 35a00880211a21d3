"""One validated settings object, read from the environment or a `.env` file.

Secrets are wrapped so that they never end up in a log line or a traceback.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

DEV_SECRET = "dev-only-insecure-secret-key-change-me"  # noqa: S105 - refused outside development
ENVIRONMENTS = ("development", "test", "production")
LOCALSTRIPE_PORT = 8420


class SettingsError(ValueError):
    """The configuration cannot be used; the message names the variable."""


class Secret:
    """A string that prints as stars."""

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret('**********')" if self._value else "Secret('')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Settings:
    environment: str = "development"
    database_url: str = "sqlite+aiosqlite:///var/jangteo.db"
    redis_url: str = ""
    secret_key: Secret = field(default_factory=lambda: Secret(DEV_SECRET))
    public_url: str = "http://127.0.0.1:8080"
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path = Path("var")
    default_locale: str = "ko"
    stripe_secret_key: Secret = field(default_factory=lambda: Secret(""))
    stripe_publishable_key: str = ""
    stripe_webhook_secret: Secret = field(default_factory=lambda: Secret(""))
    # Where the Stripe SDK and the pages' Stripe.js point. Empty means Stripe itself.
    stripe_api_base: str = ""
    ice_servers: tuple[dict[str, Any], ...] = ()
    max_viewers_per_show: int = 500
    publisher_grace_seconds: float = 120.0
    login_attempts: int = 5
    login_window_seconds: float = 300.0
    session_days: int = 14
    run_migrations: bool = True
    smtp_url: str = ""
    # Chat: the key and channel prefix in Redis (several deployments can share one Redis)
    # and the window in which messages are gathered into one frame per viewer.
    chat_redis_prefix: str = "jangteo:chat:"
    chat_batch_ms: int = 100

    @property
    def uses_localstripe(self) -> bool:
        return not self.stripe_secret_key

    @property
    def secure_cookies(self) -> bool:
        return self.public_url.startswith("https://")

    def with_(self, **changes: Any) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, env_file: str | Path | None = ".env"
    ) -> Settings:
        values: dict[str, str] = {}
        if env_file is not None and Path(env_file).is_file():
            values.update(_read_env_file(Path(env_file)))
        values.update(os.environ if environ is None else environ)
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> Settings:
        def get(name: str, default: str = "") -> str:
            return env.get(name, default).strip()

        environment = get("JANGTEO_ENV", "development")
        if environment not in ENVIRONMENTS:
            raise SettingsError(f"JANGTEO_ENV must be one of {ENVIRONMENTS}, not {environment!r}")
        secret = get("SECRET_KEY", DEV_SECRET)
        if environment == "production" and (secret == DEV_SECRET or len(secret) < 32):
            raise SettingsError(
                "SECRET_KEY must be set to a random value of at least 32 characters in production"
            )
        data_dir = Path(get("DATA_DIR", "var"))
        database_url = get("DATABASE_URL") or f"sqlite+aiosqlite:///{data_dir / 'jangteo.db'}"
        database_url = _async_driver(database_url)
        port = _int(get("PORT", "8080"), "PORT")
        ice_raw = get("ICE_SERVERS", "[]")
        try:
            ice = json.loads(ice_raw)
        except json.JSONDecodeError as exc:
            raise SettingsError(f"ICE_SERVERS must be a JSON list: {exc}") from exc
        if not isinstance(ice, list) or not all(isinstance(s, dict) and "urls" in s for s in ice):
            raise SettingsError('ICE_SERVERS must be a JSON list of {"urls": ...} objects')
        stripe_key = get("STRIPE_SECRET_KEY")
        return cls(
            environment=environment,
            database_url=database_url,
            redis_url=get("REDIS_URL"),
            secret_key=Secret(secret),
            public_url=get("PUBLIC_URL", f"http://127.0.0.1:{port}").rstrip("/"),
            host=get("HOST", "127.0.0.1"),
            port=port,
            data_dir=data_dir,
            default_locale=get("DEFAULT_LOCALE", "ko"),
            stripe_secret_key=Secret(stripe_key),
            stripe_publishable_key=get("STRIPE_PUBLISHABLE_KEY"),
            stripe_webhook_secret=Secret(get("STRIPE_WEBHOOK_SECRET")),
            stripe_api_base=get(
                "STRIPE_API_BASE", "" if stripe_key else f"http://127.0.0.1:{LOCALSTRIPE_PORT}"
            ),
            ice_servers=tuple(ice),
            max_viewers_per_show=_int(get("MAX_VIEWERS_PER_SHOW", "500"), "MAX_VIEWERS_PER_SHOW"),
            publisher_grace_seconds=float(get("PUBLISHER_GRACE_SECONDS", "120")),
            smtp_url=get("SMTP_URL"),
            chat_redis_prefix=get("CHAT_REDIS_PREFIX", "jangteo:chat:"),
            chat_batch_ms=_int(get("CHAT_BATCH_MS", "100"), "CHAT_BATCH_MS"),
        )


def _int(raw: str, name: str) -> int:
    try:
        return int(raw)
    except ValueError as exc:
        raise SettingsError(f"{name} must be an integer, not {raw!r}") from exc


def _async_driver(url: str) -> str:
    """Accept the usual URL spellings and pick the async driver for them."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+asyncpg://" + url.split("://", 1)[1]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url.split(":///", 1)[1]
    return url


def _read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip('"').strip("'")
    return values
