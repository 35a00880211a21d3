"""Sign-up, sign-in, sessions, CSRF and roles, through the real app."""

from __future__ import annotations

from sqlalchemy import func, select

from server import keys
from server.accounts.models import AccountStatus, Role, User
from server.security import SESSION_COOKIE
from tests.helpers import PASSWORD, AppClient, csrf, login, login_as, make_user


async def _user_count(client: AppClient) -> int:
    async with client.app[keys.sessionmaker]() as session:
        return int(await session.scalar(select(func.count(User.id))) or 0)


async def test_shopper_signs_up_and_is_signed_in(client: AppClient) -> None:
    await client.get("/signup")
    resp = await client.post(
        "/signup",
        data={
            "kind": "shopper",
            "email": "Minsu@Example.kr",
            "password": PASSWORD,
            "display_name": "민수",
            "_csrf": csrf(client),
        },
    )
    assert resp.status == 200  # followed the redirect home
    page = await resp.text()
    assert "민수" in page and "로그아웃" in page
    me = await (await client.get("/api/me")).json()
    assert me["email"] == "minsu@example.kr" and me["role"] == "shopper"


async def test_duplicate_email_is_refused_in_korean_and_keeps_the_form(client: AppClient) -> None:
    await make_user(client.app, email="taken@example.kr")
    before = await _user_count(client)
    await client.get("/signup")
    resp = await client.post(
        "/signup",
        data={
            "kind": "shopper",
            "email": "taken@example.kr",
            "password": PASSWORD,
            "display_name": "둘째",
            "_csrf": csrf(client),
        },
    )
    assert resp.status == 409
    page = await resp.text()
    assert "이미 가입된 이메일입니다" in page
    assert 'value="둘째"' in page  # nothing the user typed is lost
    assert await _user_count(client) == before


async def test_wrong_password_gets_a_clear_message_and_no_session(client: AppClient) -> None:
    user = await make_user(client.app)
    resp = await login(client, user.email, "wrong-password")
    assert resp.status == 401
    assert "이메일 또는 비밀번호가 올바르지 않습니다" in await resp.text()
    assert not any(c.key == SESSION_COOKIE for c in client.session.cookie_jar)


async def test_english_is_selectable(client: AppClient) -> None:
    user = await make_user(client.app)
    await client.get("/login")
    await client.post("/lang", data={"locale": "en", "_csrf": csrf(client), "next": "/login"})
    resp = await login(client, user.email, "wrong-password")
    assert "The e-mail or password is wrong." in await resp.text()


async def test_missing_csrf_token_changes_nothing(client: AppClient) -> None:
    await client.get("/signup")
    before = await _user_count(client)
    resp = await client.post(
        "/signup",
        data={
            "kind": "shopper",
            "email": "nocsrf@example.kr",
            "password": PASSWORD,
            "display_name": "x",
        },
    )
    assert resp.status == 403
    assert "페이지를 새로고침" in await resp.text()
    assert await _user_count(client) == before


async def test_session_is_rotated_at_login_and_cookie_is_httponly_lax(client: AppClient) -> None:
    user = await make_user(client.app)
    first = await login(client, user.email)
    second = await login(client, user.email)
    a, b = first.cookies[SESSION_COOKIE], second.cookies[SESSION_COOKIE]
    assert a.value != b.value
    assert a["httponly"] and a["samesite"] == "Lax"


async def test_sign_out_ends_the_session(client: AppClient) -> None:
    user = await make_user(client.app)
    await login_as(client, user)
    assert (await client.get("/api/me")).status == 200
    await client.post("/logout", data={"_csrf": csrf(client)})
    assert (await client.get("/api/me")).status == 401


async def test_login_is_rate_limited(client: AppClient) -> None:
    user = await make_user(client.app)
    for _ in range(5):
        await login(client, user.email, "wrong")
    resp = await login(client, user.email)  # even the right password waits now
    assert resp.status == 429
    assert "로그인 시도가 너무 많습니다" in await resp.text()


async def test_merchant_application_waits_for_operator_approval(client: AppClient) -> None:
    await client.get("/signup?as=merchant")
    resp = await client.post(
        "/signup",
        data={
            "kind": "merchant",
            "email": "shop@example.kr",
            "password": PASSWORD,
            "display_name": "사장님",
            "store_name": "망원 떡집",
            "_csrf": csrf(client),
        },
    )
    assert "운영자가 계정을 검토합니다" in await resp.text()
    resp = await login(client, "shop@example.kr")
    assert resp.status == 403 and "승인" in await resp.text()

    operator = await make_user(client.app, Role.OPERATOR)
    await login_as(client, operator)
    async with client.app[keys.sessionmaker]() as session:
        merchant = await session.scalar(select(User).where(User.email == "shop@example.kr"))
    assert merchant is not None and merchant.status is AccountStatus.PENDING
    resp = await client.post(f"/ops/accounts/{merchant.id}/approve", data={"_csrf": csrf(client)})
    assert resp.status == 200
    await client.post("/logout", data={"_csrf": csrf(client)})
    assert (await login(client, "shop@example.kr")).status == 303


async def test_shopper_cannot_open_the_operator_console(client: AppClient) -> None:
    shopper = await make_user(client.app)
    await login_as(client, shopper)
    resp = await client.get("/ops")
    assert resp.status == 403
    assert "전용 페이지입니다" in await resp.text()
    pending = await make_user(client.app, Role.CREATOR, status=AccountStatus.PENDING)
    resp = await client.post(f"/ops/accounts/{pending.id}/approve", data={"_csrf": csrf(client)})
    assert resp.status == 403
    async with client.app[keys.sessionmaker]() as session:
        still_pending = await session.get(User, pending.id)
        assert still_pending is not None and still_pending.status is AccountStatus.PENDING


async def test_anonymous_visitor_is_sent_to_sign_in(client: AppClient) -> None:
    resp = await client.get("/ops", allow_redirects=False)
    assert resp.status == 303 and resp.headers["Location"] == "/login?next=/ops"
