"""After signing in, Chromium stays on this site whatever `next` says (issue 16, item 6:
`/\\evil.example` and `/%09/evil.example` used to take it to evil.example)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.async_api import Page, Route, expect

from tests.e2e.conftest import LiveServer
from tests.helpers import PASSWORD, make_user

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("next_query", ["/\\evil.example", "/%09/evil.example", "//evil.example"])
async def test_signing_in_never_lands_on_another_site(
    live_server: LiveServer, page: Page, next_query: str
) -> None:
    user = await make_user(live_server.app, name="민수")
    visited: list[str] = []

    async def evil(route: Route) -> None:
        visited.append(route.request.url)
        await route.fulfill(status=200, content_type="text/html", body="<p>evil</p>")

    await page.context.route("http://evil.example/**", evil)
    await page.goto(f"{live_server.url}/login?next={next_query}")
    await page.get_by_label("이메일").fill(user.email)
    await page.get_by_label("비밀번호").fill(PASSWORD)
    await page.get_by_role("button", name="로그인").click()
    await expect(page.get_by_test_id("who")).to_have_text("민수")
    assert urlsplit(page.url).netloc == urlsplit(live_server.url).netloc
    assert visited == []
