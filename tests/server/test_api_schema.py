"""Schemathesis against the API's own OpenAPI document (/api/openapi.json): for every
operation, generated valid and invalid requests, anonymous and signed in as a shopper
and as a merchant, must get no server error and no status the document does not name.

The app comes from the real factory and is served on loopback by a thread of its own
(schemathesis speaks ASGI, WSGI or HTTP; aiohttp is none of the first two), with a
session-wide localstripe behind it, so paying reaches a real (sandbox) gateway.
"""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from collections.abc import Awaitable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
import requests
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import status_code_conformance

from checkout import catalog
from server import keys
from server.accounts.models import Role
from server.app import create_app
from server.localstripe_process import localstripe_settings
from server.security import CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE, csrf_token_for
from server.settings import Settings
from server.shows import service as shows
from tests.conftest import base_settings
from tests.helpers import PASSWORD, make_merchant, make_show, make_user
from tests.localstripe import free_port, localstripe_url

__all__ = ["localstripe_url"]

T = TypeVar("T")
# Examples per operation, role and mode: about 30 operations x 3 roles x 2 modes keeps
# the whole run near a minute on a loaded machine, deterministic (derandomize) in CI.
EXAMPLES = 6
CHECKS = [not_a_server_error, status_code_conformance]


class LiveApp:
    """The app of `create_app`, served on 127.0.0.1 from an event loop in a thread."""

    def __init__(self, settings: Settings, port: int) -> None:
        self.settings = settings
        self.base_url = f"http://127.0.0.1:{port}"
        self._port = port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.app = create_app(settings)

    def run(self, work: Awaitable[T]) -> T:
        async def wrapped() -> T:
            return await work

        return asyncio.run_coroutine_threadsafe(wrapped(), self._loop).result(timeout=120)

    def start(self) -> None:
        self._thread.start()
        self.run(self._start())

    async def _start(self) -> None:
        self._runner = web.AppRunner(self.app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self._port).start()

    def stop(self) -> None:
        if self._runner is not None:
            self.run(self._runner.cleanup())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()

    def browser(self, email: str | None = None) -> requests.Session:
        """A requests session with the CSRF header pages send, signed in if `email`."""
        session = requests.Session()
        session.get(f"{self.base_url}/login", timeout=30)
        seed = session.cookies.get(CSRF_COOKIE)
        assert seed
        token = csrf_token_for(self.settings.secret_key.reveal(), seed)
        if email is not None:
            signed_in = session.post(
                f"{self.base_url}/login",
                data={"email": email, "password": PASSWORD, "_csrf": token},
                allow_redirects=False,
                timeout=30,
            )
            assert signed_in.status_code == 303, signed_in.text
            # Signing in issues a new CSRF seed.
            seed = session.cookies.get(CSRF_COOKIE)
            assert seed
            token = csrf_token_for(self.settings.secret_key.reveal(), seed)
        session.headers[CSRF_HEADER] = token
        return session

    @staticmethod
    def session_token(http: requests.Session) -> str | None:
        """The session cookie, taken out of the jar: each case sends it itself."""
        token = http.cookies.get(SESSION_COOKIE)
        if token is not None:
            del http.cookies[SESSION_COOKIE]
        return token


async def _seed(live: LiveApp) -> dict[str, str]:
    """A merchant with a live show and a pinned product, and a shopper."""
    app = live.app
    merchant, store = await make_merchant(app, "망원 반찬")
    shopper = await make_user(app, Role.SHOPPER)
    show = await make_show(app, store)
    async with app[keys.sessionmaker].begin() as session:
        product = await catalog.create_product(
            session,
            merchant,
            store.id,
            catalog.ProductInput(name="김장 김치 2kg", price=15000, stock=50, per_order_limit=5),
        )
        live_show = await shows.get_show(session, show.id)
        await shows.transition(session, merchant, live_show, "start")
        await catalog.add_to_lineup(session, merchant, live_show, product.id)
        await catalog.pin(session, merchant, live_show, product.id)
    return {"merchant": merchant.email, "shopper": shopper.email}


@pytest.fixture(scope="module")
def live_app(
    tmp_path_factory: pytest.TempPathFactory, localstripe_url: str
) -> Iterator[tuple[LiveApp, dict[str, str]]]:
    tmp: Path = tmp_path_factory.mktemp("schemathesis")
    port = free_port()
    settings = localstripe_settings(
        base_settings(tmp, f"sqlite+aiosqlite:///{tmp / 'api.db'}"), localstripe_url
    ).with_(public_url=f"http://127.0.0.1:{port}")
    live = LiveApp(settings, port)
    live.start()
    try:
        emails = live.run(_seed(live))
        yield live, emails
    finally:
        live.stop()


def _exercise(
    operation: Any,
    mode: GenerationMode,
    live: LiveApp,
    http: requests.Session,
    session_token: str | None,
    seen: Counter[int],
) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        if session_token:
            # The document's security scheme is the session cookie, which schemathesis
            # fills with made-up values: a signed-in role sends its real one instead.
            case.cookies = {**(case.cookies or {}), SESSION_COOKIE: session_token}
        response = case.call_and_validate(
            base_url=live.base_url, session=http, checks=CHECKS, timeout=60
        )
        seen[response.status_code] += 1

    run()


@pytest.mark.parametrize("role", ["anonymous", "shopper", "merchant"])
def test_api_answers_what_its_document_says(
    live_app: tuple[LiveApp, dict[str, str]], role: str
) -> None:
    live, emails = live_app
    http = live.browser(emails.get(role))
    session_token = live.session_token(http)
    schema = schemathesis.openapi.from_url(f"{live.base_url}/api/openapi.json", timeout=30)
    results = list(schema.get_all_operations())
    # A route the document describes badly (an Err) is a failure of its own.
    assert all(isinstance(result, Ok) for result in results), results
    operations = [result.ok() for result in results if isinstance(result, Ok)]
    assert len(operations) > 25
    failures: list[str] = []
    seen: Counter[int] = Counter()
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _exercise(operation, mode, live, http, session_token, seen)
            except Unsatisfiable:
                continue  # no parameters and no body: nothing to make invalid
            except (Exception, FailureGroup) as exc:  # every operation's faults in one run
                failures.append(f"{operation.label} [{mode.value}]: {exc}"[:1500])
    assert not failures, "\n\n".join(failures)
    # The run reached the handlers as this role, not only the edge's refusals.
    print(role, sorted(seen.items()))
    assert seen[200] > 0 and sum(seen.values()) > 200
    if role == "anonymous":
        assert seen[401] > 0
    else:
        assert seen[401] == 0  # every case was sent signed in
