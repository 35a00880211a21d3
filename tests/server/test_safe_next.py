"""Where a form sends the visitor afterwards (`next`) is a path on this site, never
another site (issue 16, item 6): every payload that a browser could read as another
host is replaced by "/"."""

from __future__ import annotations

import pytest

from server.http import safe_next
from tests.helpers import PASSWORD, AppClient, csrf, make_user

# Each of these, as a Location, takes a browser (or a lenient client) to another host,
# or is not a plain path at all.
UNSAFE = [
    "",
    "evil.example",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\/evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "\t//evil.example",
    " //evil.example",
    "/ /evil.example",
    "/\x00/evil.example",
    "/\x0b/evil.example",
    "/\x7f/evil.example",
    "/\u3000/evil.example",
    "/\u00a0/evil.example",
    "/%09/evil.example",
    "/%0a/evil.example",
    "/%5cevil.example",
    "/%5Cevil.example",
    "/%2f/evil.example",
    "/%2F%2Fevil.example",
    "https://evil.example",
    "http:evil.example",
    "https:/evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "/" + "a" * 3000,
]
SAFE = [
    "/",
    "/shows/12",
    "/shows/12?t=23",
    "/orders#receipt",
    "/markets/%EC%84%9C%EC%9A%B8",
    "/markets/서울-마포구-망원시장",
    "/search?q=a%20b&page=2",
]


@pytest.mark.parametrize("value", UNSAFE, ids=lambda v: repr(v)[:40])
def test_unsafe_next_becomes_the_home_page(value: str) -> None:
    assert safe_next(value) == "/"


@pytest.mark.parametrize("value", SAFE)
def test_a_path_on_this_site_is_kept(value: str) -> None:
    assert safe_next(value) == value


@pytest.mark.parametrize(
    "value", ["/\\evil.example", "/\t/evil.example", "//evil.example", "/%5Cevil.example"], ids=repr
)
async def test_signing_in_never_sends_the_browser_elsewhere(client: AppClient, value: str) -> None:
    user = await make_user(client.app)
    page = await (await client.get("/login", params={"next": value})).text()
    assert '<input type="hidden" name="next" value="/">' in page
    resp = await client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "_csrf": csrf(client), "next": value},
        allow_redirects=False,
    )
    assert resp.status == 303 and resp.headers["Location"] == "/"


async def test_signing_in_returns_to_the_page_asked_for(client: AppClient) -> None:
    user = await make_user(client.app)
    await client.get("/login")
    resp = await client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "_csrf": csrf(client), "next": "/orders"},
        allow_redirects=False,
    )
    assert resp.headers["Location"] == "/orders"


@pytest.mark.parametrize(
    ("path", "fields"),
    [("/lang", {"locale": "en"}), ("/markets/region", {"province": "서울"})],
)
async def test_other_forms_with_next_use_the_same_check(
    client: AppClient, path: str, fields: dict[str, str]
) -> None:
    await client.get("/login")
    resp = await client.post(
        path,
        data={**fields, "_csrf": csrf(client), "next": "/\\evil.example"},
        allow_redirects=False,
    )
    assert resp.status == 303 and resp.headers["Location"] == "/"


async def test_the_page_asked_for_comes_back_with_its_whole_query(client: AppClient) -> None:
    user = await make_user(client.app)
    sent = await client.get("/orders?page=2&sort=new", allow_redirects=False)
    assert sent.status == 303
    login_page = await (await client.get(sent.headers["Location"])).text()
    assert '<input type="hidden" name="next" value="/orders?page=2&amp;sort=new">' in login_page
    resp = await client.post(
        "/login",
        data={
            "email": user.email,
            "password": PASSWORD,
            "_csrf": csrf(client),
            "next": "/orders?page=2&sort=new",
        },
        allow_redirects=False,
    )
    assert resp.headers["Location"] == "/orders?page=2&sort=new"
