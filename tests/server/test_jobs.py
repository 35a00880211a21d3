"""Show jobs through the real pages: post → apply → hire → show → review, with who may
do what at every step; bad input answered clearly with nothing saved; operators taking
a job or a review down; notifications in the app and by e-mail."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.header import decode_header, make_header
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from server import keys
from server.accounts.models import Role, Store, User
from server.db import utcnow
from server.jobs.models import Application, Job, Review
from server.notifications.models import Notification
from server.settings import Secret, Settings
from server.shows import service as shows
from tests.helpers import AppClient, csrf, login_as, make_merchant, make_show, make_user

JOB_FORM = {
    "role_host": "1",
    "pay_host": "150,000",
    "role_camera": "1",
    "pay_camera": "80000원",
    "region": "서울",
    "place": "망원시장 12",
    "prepare": "편한 신발",
}


async def _as(client: AppClient, user: User) -> None:
    await client.post(
        "/logout", data={"_csrf": csrf(client)}
    ) if client.session.cookie_jar else None
    await login_as(client, user)


@pytest.fixture
async def db_client(any_db_settings: Settings, aiohttp_client: Any) -> AppClient:
    """A client of the app on SQLite, then on PostgreSQL."""
    from server.app import create_app

    client: AppClient = await aiohttp_client(create_app(any_db_settings))
    return client


async def _post(client: AppClient, path: str, data: dict[str, Any]) -> Any:
    return await client.post(path, data={**data, "_csrf": csrf(client)}, allow_redirects=False)


async def _count(client: AppClient, model: Any) -> int:
    async with client.app[keys.sessionmaker]() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _texts(client: AppClient, user: User) -> list[str]:
    async with client.app[keys.sessionmaker]() as session:
        rows = await session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
        korean = client.app[keys.catalogs].get("ko")
        return [korean.gettext(n.template) % n.params for n in rows]


async def test_posting_a_job_checks_who_asks_and_what_they_wrote(client: AppClient) -> None:
    merchant, store = await make_merchant(client.app, "할매 반찬")
    other, _ = await make_merchant(client.app, "남의 가게")
    creator = await make_user(client.app, Role.CREATOR)
    show = await make_show(client.app, store, title="김장 라이브")
    past = await make_show(
        client.app, store, title="지난 방송", start=utcnow() - dt.timedelta(hours=1)
    )

    await _as(client, other)
    assert (await _post(client, f"/shows/{show.id}/job", JOB_FORM)).status == 403
    await _as(client, creator)
    assert (await _post(client, f"/shows/{show.id}/job", JOB_FORM)).status == 403
    await _as(client, merchant)
    for bad, message in (
        ({**JOB_FORM, "pay_host": "0"}, "0보다 커야"),
        ({**JOB_FORM, "pay_host": "-5000"}, "원 단위 숫자"),
        ({**JOB_FORM, "pay_camera": "팔만원"}, "원 단위 숫자"),
        ({"region": "서울", "place": "가게"}, "역할을 하나 이상"),
        ({**JOB_FORM, "region": "", "place": ""}, "원격으로 표시"),
    ):
        resp = await _post(client, f"/shows/{show.id}/job", bad)
        assert resp.status == 422 and message in await resp.text(), bad
    resp = await _post(client, f"/shows/{past.id}/job", JOB_FORM)
    assert resp.status == 422 and "시작 시간이 지났습니다" in await resp.text()
    assert await _count(client, Job) == 0

    resp = await _post(client, f"/shows/{show.id}/job", JOB_FORM)
    assert resp.status == 303
    job_id = int(resp.headers["Location"].split("/")[2].split("?")[0])
    again = await _post(client, f"/shows/{show.id}/job", JOB_FORM)
    assert again.status == 409 and "이미 일자리가 있습니다" in await again.text()
    page = await (await client.get(f"/jobs/{job_id}")).text()
    assert "₩150,000" in page and "₩80,000" in page and "진행" in page and "촬영" in page

    # Only the merchant edits their job.
    await _as(client, other)
    assert (await client.get(f"/jobs/{job_id}/edit")).status == 403
    assert (await _post(client, f"/jobs/{job_id}/edit", JOB_FORM)).status == 403
    assert (await _post(client, f"/jobs/{job_id}/close", {})).status == 403
    await _as(client, merchant)
    edited = await _post(client, f"/jobs/{job_id}/edit", {**JOB_FORM, "pay_host": "170000"})
    assert edited.status == 303
    assert "₩170,000" in await (await client.get(f"/jobs/{job_id}")).text()


async def test_creators_browse_by_role_region_and_day(client: AppClient) -> None:
    merchant, store = await make_merchant(client.app)
    seoul = dt.timezone(dt.timedelta(hours=9))
    start = (dt.datetime.now(seoul) + dt.timedelta(days=3)).replace(hour=19, minute=0)
    show = await make_show(client.app, store, title="저녁 라이브", start=start)
    await _as(client, merchant)
    await _post(client, f"/shows/{show.id}/job", {**JOB_FORM, "role_camera": ""})

    async def titles(**query: str) -> bool:
        page = await (await client.get("/jobs", params=query)).text()
        return "저녁 라이브" in page

    assert await titles()
    assert await titles(role="host") and not await titles(role="camera")
    assert await titles(region="서울") and not await titles(region="부산")
    assert await titles(date=start.date().isoformat())
    assert not await titles(date=(start.date() + dt.timedelta(days=1)).isoformat())


async def test_the_job_lifecycle_from_posting_to_reviews(db_client: AppClient) -> None:
    client = db_client
    operator = await make_user(client.app, Role.OPERATOR)
    merchant, store = await make_merchant(client.app, "할매 반찬")
    other, _ = await make_merchant(client.app, "남의 가게")
    jieun = await make_user(client.app, Role.CREATOR, name="라이브 지은")
    minjae = await make_user(client.app, Role.CREATOR, name="촬영 민재")
    shopper = await make_user(client.app)
    show = await make_show(client.app, store, title="김장 라이브")

    # The creators write their profiles; the job reaches those it fits.
    for creator, roles in ((jieun, ["host"]), (minjae, ["camera"])):
        await _as(client, creator)
        form = {"roles": roles, "regions": ["서울"], "languages": "한국어", "bio": "시장 좋아요"}
        resp = await client.post(
            "/profile", data={**form, "_csrf": csrf(client)}, allow_redirects=False
        )
        assert resp.status == 303
    await _as(client, merchant)
    job_id = int(
        (await _post(client, f"/shows/{show.id}/job", JOB_FORM))
        .headers["Location"]
        .split("/")[2]
        .split("?")[0]
    )
    assert any("새 일자리" in t for t in await _texts(client, jieun))

    # Apply: creators only, once each.
    await _as(client, jieun)
    resp = await _post(client, f"/jobs/{job_id}/apply", {"role": "host", "message": ""})
    assert resp.status == 422 and "짧은 메시지" in await resp.text()
    assert await _count(client, Application) == 0
    ok = await _post(client, f"/jobs/{job_id}/apply", {"role": "host", "message": "진행 3년"})
    assert ok.status == 303
    twice = await _post(client, f"/jobs/{job_id}/apply", {"role": "host", "message": "또"})
    assert twice.status == 409 and "이미 이 일자리에 지원" in await twice.text()
    await _as(client, minjae)
    await _post(client, f"/jobs/{job_id}/apply", {"role": "camera", "message": "짐벌 있어요"})
    for outsider in (merchant, shopper):
        await _as(client, outsider)
        refused = await _post(client, f"/jobs/{job_id}/apply", {"role": "host", "message": "저도"})
        assert refused.status == 403
    assert any("라이브 지은 님이" in t for t in await _texts(client, merchant))

    # A creator sees only their own applications.
    await _as(client, minjae)
    assert (await client.get(f"/jobs/{job_id}/applicants")).status == 403
    mine = await (await client.get("/jobs/mine")).text()
    assert mine.count('data-testid="application"') == 1 and "진행 3년" not in mine
    async with client.app[keys.sessionmaker]() as session:
        apps = {a.creator_id: a for a in await session.scalars(select(Application))}

    # Hire: only the merchant of the store; the hire puts them on the show.
    await _as(client, other)
    assert (await _post(client, f"/applications/{apps[jieun.id].id}/hire", {})).status == 403
    await _as(client, merchant)
    compare = await (await client.get(f"/jobs/{job_id}/applicants")).text()
    assert "진행 3년" in compare and "짐벌 있어요" in compare and "지난 방송 0회" in compare
    hired = await _post(client, f"/applications/{apps[jieun.id].id}/hire", {"role": "host"})
    assert hired.status == 303
    async with client.app[keys.sessionmaker]() as session:
        on_show = await shows.get_show(session, show.id)
        record = await session.get(Application, apps[jieun.id].id)
    assert [c.display_name for c in on_show.creators] == ["라이브 지은"]
    assert record is not None and record.hired_role == "host"
    assert any(
        "“김장 라이브” 방송을 진행합니다 (₩150,000)" in t for t in await _texts(client, jieun)
    )
    await _as(client, jieun)
    assert (await client.get(f"/studio/shows/{show.id}")).status == 200

    # Reviews wait for the end of the show.
    early = await _post(
        client, f"/shows/{show.id}/reviews", {"subject_id": merchant.id, "stars": "5"}
    )
    assert early.status == 422 and "방송이 끝난 뒤" in await early.text()
    async with client.app[keys.sessionmaker].begin() as session:
        live = await shows.get_show(session, show.id)
        await shows.transition(session, jieun, live, "start")
    ended = await _post(client, f"/shows/{show.id}/end", {})
    assert ended.status == 303
    assert any("방송이 끝났습니다" in t for t in await _texts(client, merchant))

    # Someone who was not on the show cannot review it.
    for outsider in (minjae, shopper, other):
        await _as(client, outsider)
        refused = await _post(
            client, f"/shows/{show.id}/reviews", {"subject_id": jieun.id, "stars": "1"}
        )
        assert refused.status == 403, outsider.display_name
    await _as(client, merchant)
    bad = await _post(client, f"/shows/{show.id}/reviews", {"subject_id": jieun.id, "stars": "9"})
    assert bad.status == 422 and "별점은 1~5개" in await bad.text()
    first = await _post(
        client,
        f"/shows/{show.id}/reviews",
        {"subject_id": jieun.id, "stars": "5", "comment": "손님 질문을 잘 받아 줬어요"},
    )
    assert first.status == 303
    second = await _post(
        client, f"/shows/{show.id}/reviews", {"subject_id": jieun.id, "stars": "1"}
    )
    assert second.status == 409 and "이미 후기를" in await second.text()
    assert await _count(client, Review) == 1

    # Blind until both sides wrote.
    profile = await (await client.get(f"/creators/{jieun.id}")).text()
    assert "손님 질문을 잘 받아 줬어요" not in profile
    await _as(client, jieun)
    written = await _post(
        client, f"/shows/{show.id}/reviews", {"subject_id": merchant.id, "stars": "4"}
    )
    assert written.status == 303
    profile = await (await client.get(f"/creators/{jieun.id}")).text()
    assert "손님 질문을 잘 받아 줬어요" in profile and "★ 5.0 (후기 1개)" in profile

    # Operators take a review or a job down, with a reason.
    async with client.app[keys.sessionmaker]() as session:
        review_id = await session.scalar(select(Review.id).where(Review.author_id == merchant.id))
    await _as(client, merchant)
    assert (await _post(client, f"/ops/reviews/{review_id}/remove", {"reason": "x"})).status == 403
    await _as(client, operator)
    nothing = await _post(client, f"/ops/reviews/{review_id}/remove", {"reason": " "})
    assert nothing.status == 422
    await _post(client, f"/ops/reviews/{review_id}/remove", {"reason": "개인정보"})
    assert "손님 질문을" not in await (await client.get(f"/creators/{jieun.id}")).text()
    assert any("개인정보" in t for t in await _texts(client, merchant))
    await _post(client, f"/ops/jobs/{job_id}/remove", {"reason": "중복 게시"})
    assert "운영자가 내렸습니다: 중복 게시" in await (await client.get(f"/jobs/{job_id}")).text()


async def test_filling_every_role_closes_the_job_and_tells_the_others(client: AppClient) -> None:
    merchant, store = await make_merchant(client.app)
    show = await make_show(client.app, store, title="단독 진행")
    applicants = [await make_user(client.app, Role.CREATOR) for _ in range(2)]
    await _as(client, merchant)
    form = {"role_host": "1", "pay_host": "100000", "region": "서울", "place": "가게"}
    await _post(client, f"/shows/{show.id}/job", form)
    async with client.app[keys.sessionmaker]() as session:
        job_id = await session.scalar(select(Job.id))
    for creator in applicants:
        await _as(client, creator)
        await _post(client, f"/jobs/{job_id}/apply", {"role": "host", "message": "지원합니다"})
    async with client.app[keys.sessionmaker]() as session:
        first, second = list(await session.scalars(select(Application).order_by(Application.id)))
    await _as(client, merchant)
    await _post(client, f"/applications/{first.id}/hire", {})
    late = await _post(client, f"/applications/{second.id}/hire", {})
    assert late.status == 409 and "모집이 끝났습니다" in await late.text()
    assert any("모집이 끝났습니다" in t for t in await _texts(client, applicants[1]))
    assert "모집 완료" in await (await client.get(f"/jobs/{job_id}")).text()


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(envelope.content)  # type: ignore[attr-defined]
        return "250 OK"


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, _Inbox]]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, inbox
    controller.stop()


@pytest.fixture
def settings_with_mail(settings: Settings, smtp_server: tuple[int, _Inbox]) -> Settings:
    return settings.with_(
        smtp_url=Secret(f"smtp://127.0.0.1:{smtp_server[0]}?from=jobs@jangteo.kr")
    )


async def test_an_application_reaches_the_merchant_by_email(
    settings_with_mail: Settings,
    smtp_server: tuple[int, _Inbox],
    aiohttp_client: Any,
) -> None:
    from server.app import create_app

    client: AppClient = await aiohttp_client(create_app(settings_with_mail))
    merchant, store = await make_merchant(client.app)
    creator = await make_user(client.app, Role.CREATOR, name="라이브 지은")
    show = await make_show(client.app, store, title="김장 라이브")
    await _as(client, merchant)
    await _post(client, f"/shows/{show.id}/job", JOB_FORM)
    async with client.app[keys.sessionmaker]() as session:
        job_id = await session.scalar(select(Job.id))
    await _as(client, creator)
    await _post(client, f"/jobs/{job_id}/apply", {"role": "host", "message": "지원합니다"})
    inbox = smtp_server[1]
    for _ in range(400):  # up to 20 s: the machine may be busy
        if inbox.messages:
            break
        await asyncio.sleep(0.05)
    mail = message_from_bytes(inbox.messages[0])
    assert mail["To"] == merchant.email
    subject = str(make_header(decode_header(mail["Subject"])))
    assert subject == "라이브 지은 님이 “김장 라이브” 방송 진행에 지원했습니다."


async def test_profiles_refuse_bad_input(client: AppClient) -> None:
    creator = await make_user(client.app, Role.CREATOR)
    merchant, _ = await make_merchant(client.app)
    await _as(client, merchant)
    assert (await client.get("/profile")).status == 403
    await _as(client, creator)
    for form, message in (
        ({"regions": ["서울"], "languages": "한국어", "bio": "안녕"}, "역할을 하나 이상"),
        ({"roles": ["host"], "regions": ["화성"], "languages": "한국어", "bio": "안녕"}, "시/도"),
        ({"roles": ["host"], "languages": "", "bio": "안녕"}, "언어"),
        ({"roles": ["host"], "languages": "한국어", "bio": "가" * 601}, "600자"),
    ):
        resp = await client.post("/profile", data={**form, "_csrf": csrf(client)})
        assert resp.status == 422 and message in await resp.text(), form
    assert (await client.get(f"/creators/{creator.id}")).status == 404
    _ = Store
