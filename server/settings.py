"""One validated settings object, read from the environment or a `.env` file.

Each setting is declared once, as a field of `Settings`: its environment variable, how
its text is read (and what it must look like), its default and one line of description.
`Settings.from_env` reads them all and names the variable and what was expected when a
value does not fit; the README's table is written from the same declarations
(`make settings-doc`, and a test fails while the README differs). Secrets are wrapped so
that they never end up in a log line or a traceback.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from types import MappingProxyType
from typing import Any, Generic, TypeVar

from server.i18n import LOCALES
from server.settings_casts import (
    BOOLEAN,
    DATABASE_URL,
    ICE_SERVER_LIST,
    LOG_LEVEL,
    NETWORK_LIST,
    PATH,
    SECRET,
    SMTP_URL,
    TEXT,
    TURN_URL_LIST,
    WEB_URL,
    Cast,
    Network,
    Secret,
    SettingsError,
    choice,
    describe,
    number,
    url,
    whole_number,
)
from server.trust.business_number import BUSINESS_NUMBER

__all__ = [
    "DEV_SECRET",
    "LOCALSTRIPE_PORT",
    "SETTINGS",
    "Secret",
    "Setting",
    "Settings",
    "SettingsError",
    "readme_table",
    "setting",
]

T = TypeVar("T")

DEV_SECRET = "dev-only-insecure-secret-key-change-me"  # noqa: S105 - refused outside development
ENVIRONMENTS = ("development", "test", "production")
LOCALSTRIPE_PORT = 8420
_SETTING = "setting"


@dataclass(frozen=True)
class Setting(Generic[T]):
    """One environment variable: its name, how it is read, its default and its meaning."""

    env: str
    cast: Cast[T]
    default: T
    doc: str
    # A default that depends on settings declared before it: how it is worked out from
    # their values when the variable is unset, and how the README states it.
    derive: Callable[[Mapping[str, Any]], T] | None = None
    default_doc: str = ""

    def read(self, raw: str) -> T:
        try:
            return self.cast.parse(raw)
        except ValueError:
            shown = f", not {raw!r}" if self.cast.may_show(raw) else ""
            raise SettingsError(f"{self.env} must be {self.cast.expected}{shown}") from None

    def documented_default(self) -> str:
        return self.default_doc or describe(self.default)


def setting(
    env: str,
    cast: Cast[T],
    default: T,
    doc: str,
    *,
    derive: Callable[[Mapping[str, Any]], T] | None = None,
    default_doc: str = "",
) -> T:
    """A field of `Settings` (its default for keyword construction) carrying its `Setting`."""
    declared = Setting(env, cast, default, doc, derive, default_doc)
    return dataclasses.field(default=default, metadata={_SETTING: declared})


def _database_in_data_dir(values: Mapping[str, Any]) -> str:
    return f"sqlite+aiosqlite:///{values['data_dir'] / 'jangteo.db'}"


def _url_of_port(values: Mapping[str, Any]) -> str:
    return f"http://127.0.0.1:{values['port']}"


def _on_in_development(values: Mapping[str, Any]) -> bool:
    return bool(values["environment"] == "development")


@dataclass(frozen=True)
class Settings:
    """The app's configuration; tests build it with keywords, `from_env` from variables.

    A field's default for keyword construction is its declared default; only reading
    the environment works out the defaults that depend on other settings."""

    environment: str = setting(
        "JANGTEO_ENV",
        choice(*ENVIRONMENTS),
        "development",
        "`production` refuses the development secret key",
    )
    host: str = setting("HOST", TEXT, "127.0.0.1", "address the web server listens on")
    port: int = setting("PORT", whole_number(1, 65535), 8080, "port the web server listens on")
    public_url: str = setting(
        "PUBLIC_URL",
        WEB_URL,
        "http://127.0.0.1:8080",
        "the address shoppers use: links in e-mails, the chat's allowed origin, webhooks",
        derive=_url_of_port,
        default_doc="`http://127.0.0.1:` and `PORT`",
    )
    internal_url: str = setting(
        "INTERNAL_URL",
        WEB_URL,
        "http://127.0.0.1:8080",
        "the address other server processes and machines reach this one at, to pull a "
        "show whose publisher is here (`serve --workers` sets it per worker)",
        derive=_url_of_port,
        default_doc="`http://127.0.0.1:` and `PORT`",
    )
    data_dir: Path = setting(
        "DATA_DIR", PATH, Path("var"), "folder of the SQLite database, uploads and recordings"
    )
    database_url: str = setting(
        "DATABASE_URL",
        DATABASE_URL,
        "sqlite+aiosqlite:///var/jangteo.db",
        "the database: SQLite (aiosqlite) or PostgreSQL (asyncpg)",
        derive=_database_in_data_dir,
        default_doc="SQLite file `jangteo.db` in `DATA_DIR`",
    )
    redis_url: str = setting(
        "REDIS_URL",
        url("redis", "rediss", "unix"),
        "",
        "Redis shared by several server processes (chat rooms, counters); "
        "empty: one process, chat fan-out in memory",
    )
    redis_max_connections: int = setting(
        "REDIS_MAX_CONNECTIONS",
        whole_number(2),
        20,
        "connections to Redis one server process keeps at most (one pool, shared); "
        "callers wait for a free one rather than fail",
    )
    redis_pool_timeout_seconds: float = setting(
        "REDIS_POOL_TIMEOUT_SECONDS",
        number(above=0),
        5.0,
        "how long a caller waits for a free Redis connection of the pool",
    )
    secret_key: Secret = setting(
        "SECRET_KEY",
        SECRET,
        Secret(DEV_SECRET),
        "signs sessions and CSRF tokens; at least 32 characters in production",
        default_doc="a development key, refused when `JANGTEO_ENV=production`",
    )
    default_locale: str = setting(
        "DEFAULT_LOCALE", choice(*LOCALES), "ko", "language of a visitor who chose none"
    )
    session_days: int = setting("SESSION_DAYS", whole_number(1), 14, "days a sign-in lasts")
    login_attempts: int = setting(
        "LOGIN_ATTEMPTS",
        whole_number(1),
        5,
        "sign-in attempts to one account from one address before it waits "
        "`LOGIN_WINDOW_SECONDS` (a success starts the count again)",
    )
    login_window_seconds: float = setting(
        "LOGIN_WINDOW_SECONDS",
        number(above=0),
        300.0,
        "the first wait after `LOGIN_ATTEMPTS`; each further failed attempt doubles it, "
        "up to a day",
    )
    trusted_proxies: tuple[Network, ...] = setting(
        "TRUSTED_PROXIES",
        NETWORK_LIST,
        (),
        "reverse proxies (addresses or networks) whose `X-Forwarded-For` names the "
        "client; empty: the connecting address is the client's",
    )
    run_migrations: bool = setting(
        "RUN_MIGRATIONS", BOOLEAN, True, "apply the database migrations at start-up"
    )
    smtp_url: Secret = setting(
        "SMTP_URL",
        SMTP_URL,
        Secret(""),
        "where reminder e-mails go (`from=` names the sender, `starttls=1` upgrades); "
        "empty: reminders only in the app",
    )
    stripe_secret_key: Secret = setting(
        "STRIPE_SECRET_KEY", SECRET, Secret(""), "Stripe's secret key; empty: localstripe"
    )
    stripe_publishable_key: str = setting(
        "STRIPE_PUBLISHABLE_KEY", TEXT, "", "Stripe's publishable key, used by the pages"
    )
    stripe_webhook_secret: Secret = setting(
        "STRIPE_WEBHOOK_SECRET",
        SECRET,
        Secret(""),
        "signing secret of Stripe's webhook; empty with localstripe (made up at start)",
    )
    localstripe_port: int = setting(
        "LOCALSTRIPE_PORT",
        whole_number(0, 65535),
        0,
        "port of the localstripe sandbox started beside the server (on 127.0.0.1 only, "
        "its data in `DATA_DIR`); 0: 8420 if free, else any free port",
        default_doc="`0`",
    )
    stripe_api_base: str = setting(
        "STRIPE_API_BASE",
        WEB_URL,
        "",
        "where the Stripe SDK and the pages' Stripe.js point: with `STRIPE_SECRET_KEY`, "
        "empty is Stripe itself; without, empty starts localstripe beside the server "
        "and a URL uses a localstripe you run yourself (none is started)",
    )
    ice_servers: tuple[dict[str, Any], ...] = setting(
        "ICE_SERVERS",
        ICE_SERVER_LIST,
        (),
        "STUN/TURN servers handed to the players (`urls`, `username`, `credential`)",
    )
    turn_urls: tuple[str, ...] = setting(
        "TURN_URLS",
        TURN_URL_LIST,
        (),
        "TURN relays (e.g. coturn) given to pages and encoders with time-limited credentials "
        "made from `TURN_SECRET` (deploy/turnserver.conf)",
    )
    turn_secret: Secret = setting(
        "TURN_SECRET",
        SECRET,
        Secret(""),
        "the TURN server's `static-auth-secret`; empty: no TURN credentials",
    )
    turn_credential_seconds: int = setting(
        "TURN_CREDENTIAL_SECONDS",
        whole_number(60, 7 * 24 * 3600),
        12 * 3600,
        "how long a TURN credential handed to a page or encoder stays valid",
    )
    max_viewers_per_show: int = setting(
        "MAX_VIEWERS_PER_SHOW", whole_number(1), 500, "WebRTC viewers one show accepts"
    )
    hls: bool = setting(
        "HLS",
        BOOLEAN,
        True,
        "write each live show once as HLS (`DATA_DIR/hls`) for players without WebRTC, "
        "past `MAX_VIEWERS_PER_SHOW`, or set to `hls`; one H.264 encode per show",
    )
    player_transport: str = setting(
        "PLAYER_TRANSPORT",
        choice("auto", "hls"),
        "auto",
        "`auto`: WebRTC, HLS when WebRTC fails or the show is full; `hls`: always HLS",
    )
    publisher_grace_seconds: float = setting(
        "PUBLISHER_GRACE_SECONDS",
        number(at_least=0),
        120.0,
        "how long a show whose publisher dropped stays live, waiting for it to return",
    )
    demo_publisher: bool = setting(
        "DEMO_PUBLISHER",
        BOOLEAN,
        False,
        "publish the demo's looping clip to the live demo show over WHIP at start-up "
        "(only where `seed-demo` made one)",
        derive=_on_in_development,
        default_doc="on when `JANGTEO_ENV=development` (`make run`), else off",
    )
    chat_redis_prefix: str = setting(
        "CHAT_REDIS_PREFIX",
        TEXT,
        "jangteo:chat:",
        "prefix of chat's Redis keys and channel (several deployments can share a Redis)",
    )
    log_level: str = setting("LOG_LEVEL", LOG_LEVEL, "INFO", "level of the server's own log lines")
    library_log_level: str = setting(
        "LIBRARY_LOG_LEVEL",
        LOG_LEVEL,
        "WARNING",
        "level of the libraries' log lines (aioice, aiortc, alembic, stripe, aiohttp…)",
    )
    chat_batch_ms: int = setting(
        "CHAT_BATCH_MS",
        whole_number(1),
        100,
        "shortest time between two chat frames to a busy room (messages arriving meanwhile "
        "share one frame per viewer); a quiet room's message is sent at once",
    )
    recording_retention_days: int = setting(
        "RECORDING_RETENTION_DAYS",
        whole_number(183),
        183,
        "days a show's recording (its advertising) is kept after it ends; the law asks "
        "for 6 months at least (orders, payments and withdrawals are kept 5 years)",
    )
    # The platform's own identity, shown in every page's footer (전자상거래법 제10조, 제20조).
    platform_business_name: str = setting(
        "PLATFORM_BUSINESS_NAME",
        TEXT,
        "",
        "the operating company's name (상호) in the footer; empty: the product's name",
    )
    platform_representative: str = setting(
        "PLATFORM_REPRESENTATIVE", TEXT, "", "the operating company's representative (대표자)"
    )
    platform_business_number: str = setting(
        "PLATFORM_BUSINESS_NUMBER",
        BUSINESS_NUMBER,
        "",
        "the operating company's business registration number (사업자등록번호)",
    )
    platform_mail_order_number: str = setting(
        "PLATFORM_MAIL_ORDER_NUMBER",
        TEXT,
        "",
        "the operating company's mail-order business report number (통신판매업 신고번호)",
    )
    platform_address: str = setting("PLATFORM_ADDRESS", TEXT, "", "the operating company's address")
    platform_phone: str = setting(
        "PLATFORM_PHONE", TEXT, "", "the customer-service phone number in the footer"
    )
    platform_email: str = setting(
        "PLATFORM_EMAIL", TEXT, "", "the customer-service e-mail address in the footer"
    )

    def __post_init__(self) -> None:
        if self.environment == "production" and (
            self.secret_key.reveal() == DEV_SECRET or len(self.secret_key.reveal()) < 32
        ):
            raise SettingsError(
                "SECRET_KEY must be set to a random value of at least 32 characters in production"
            )

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
        """The process environment over the `.env` file (if there is one)."""
        values: dict[str, str] = {}
        if env_file is not None and Path(env_file).is_file():
            values.update(_read_env_file(Path(env_file)))
        values.update(os.environ if environ is None else environ)
        return cls.from_mapping(values)

    @classmethod
    def from_mapping(cls, env: Mapping[str, str]) -> Settings:
        """Every declared variable; one that is unset or empty takes its default."""
        values: dict[str, Any] = {}
        for name, declared in SETTINGS.items():
            raw = env.get(declared.env, "").strip()
            if raw:
                values[name] = declared.read(raw)
            elif declared.derive is not None:
                values[name] = declared.derive(values)
            else:
                values[name] = declared.default
        return cls(**values)


def _declarations() -> dict[str, Setting[Any]]:
    found: dict[str, Setting[Any]] = {}
    for item in dataclasses.fields(Settings):
        declared = item.metadata.get(_SETTING)
        if not isinstance(declared, Setting):
            raise TypeError(f"Settings.{item.name} must be declared with setting(...)")
        found[item.name] = declared
    return found


# Field name → declaration, in declaration order (a derived default reads earlier ones).
SETTINGS: Mapping[str, Setting[Any]] = MappingProxyType(_declarations())


def readme_table() -> str:
    """The README's table of variables, written from the declarations."""
    rows = [
        "| variable | default | must be | what it sets |",
        "|---|---|---|---|",
        *(
            f"| `{s.env}` | {s.documented_default()} | {s.cast.expected} | {s.doc} |"
            for s in SETTINGS.values()
        ),
    ]
    return "\n".join(rows) + "\n"


def _read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        values[key.strip()] = value.strip().strip('"').strip("'")
    return values
