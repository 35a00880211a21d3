"""Scheduling: slot requests and approval, conflicts, rescheduling and cancelling with a
reason, the calendar, the upcoming page, reminders (in-app and SMTP) and .ics files."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.header import decode_header, make_header

import pytest
from aiosmtpd.controller import Controller
from icalendar import Calendar
from sqlalchemy import select

from server import keys
from server.accounts import service as accounts
from server.accounts.models import Role
from server.app import create_app
from server.db import utcnow
from server.i18n import format_seoul
from server.notifications.models import Notification
from server.settings import Secret, Settings
from server.shows import service as shows
from tests.helpers import AppClient, csrf, login_as, make_merchant, make_show, make_user

SEOUL = dt.timezone(dt.timedelta(hours=9))


def _seoul_input(value: dt.datetime) -> str:
    return value.astimezone(SEOUL).strftime("%Y-%m-%dT%H:%M")


async def _notifications(client: AppClient, user_id: int) -> list[Notification]:
    async with client.app[keys.sessionmaker]() as session:
        rows = await session.scalars(select(Notification).where(Notification.user_id == user_id))
        return list(rows)


async def test_merchant_request_waits_for_approval_and_staff_are_told(client: AppClient) -> None:
    operator = await make_user(client.app, Role.OPERATOR)
    merchant, store = await make_merchant(client.app, "망원 떡집")
    await login_as(client, merchant)
    start = utcnow() + dt.timedelta(days=2)
    resp = await client.post(
        f"/stores/{store.id}/shows/new",
        data={
            "title": "떡 라이브",
            "scheduled_start": _seoul_input(start),
            "duration_minutes": "60",
            "_csrf": csrf(client),
        },
        allow_redirects=False,
    )
    show_id = int(resp.headers["Location"].split("/")[2].split("?")[0])
    assert [n.params["title"] for n in await _notifications(client, operator.id)] == ["떡 라이브"]
    assert "떡 라이브" not in await (await client.get("/upcoming")).text()

    await client.post("/logout", data={"_csrf": csrf(client)})
    assert (await client.get(f"/shows/{show_id}")).status == 404  # not public yet

    await login_as(client, operator)
    cal = await (await client.get(f"/calendar?date={start.astimezone(SEOUL).date()}")).text()
    assert 'data-testid="slot-requests"' in cal and "떡 라이브" in cal
    resp = await client.post(f"/shows/{show_id}/approve", data={"_csrf": csrf(client)})
    assert resp.status == 200
    texts = [n.template for n in await _notifications(client, merchant.id)]
    assert "Your show \u201c%(title)s\u201d was approved." in texts
    assert "떡 라이브" in await (await client.get("/upcoming")).text()


async def test_overlapping_bookings_are_refused_with_a_clear_message(client: AppClient) -> None:
    merchant, store = await make_merchant(client.app, "가게 A")
    _, other_store = await make_merchant(client.app, "가게 B")
    creator = await make_user(client.app, Role.CREATOR, name="지은")
    start = utcnow() + dt.timedelta(days=3)
    await make_show(client.app, store, [creator], title="첫 방송", start=start)
    await login_as(client, merchant)
    clash = await client.post(
        f"/stores/{store.id}/shows/new",
        data={
            "title": "겹치는 방송",
            "scheduled_start": _seoul_input(start + dt.timedelta(minutes=30)),
            "duration_minutes": "60",
            "_csrf": csrf(client),
        },
    )
    assert clash.status == 409
    assert "같은 가게의 “첫 방송” 방송과 시간이 겹칩니다" in await clash.text()

    async with client.app[keys.sessionmaker].begin() as session:
        await accounts.assign_creator(session, creator.id, other_store.id)
    operator = await make_user(client.app, Role.OPERATOR)
    await login_as(client, operator)
    double = await client.post(
        "/api/shows",
        json={
            "store_id": other_store.id,
            "title": "다른 가게 방송",
            "scheduled_start": (start + dt.timedelta(minutes=59)).isoformat(),
            "creator_ids": [creator.id],
        },
        headers={"X-CSRF-Token": csrf(client)},
    )
    assert double.status == 409
    assert (await double.json())["error"]["message"] == (
        "지은 님은 그 시간에 이미 “첫 방송” 방송을 진행합니다."
    )
    after = await client.post(
        "/api/shows",
        json={
            "store_id": other_store.id,
            "title": "끝나고 하는 방송",
            "scheduled_start": (start + dt.timedelta(minutes=60)).isoformat(),
            "creator_ids": [creator.id],
        },
        headers={"X-CSRF-Token": csrf(client)},
    )
    assert after.status == 201


async def test_reschedule_and_cancel_need_a_reason_and_tell_everyone(client: AppClient) -> None:
    operator = await make_user(client.app, Role.OPERATOR)
    merchant, store = await make_merchant(client.app)
    shopper = await make_user(client.app)
    show = await make_show(client.app, store)
    await login_as(client, shopper)
    await client.post(f"/shows/{show.id}/remind", data={"_csrf": csrf(client)})
    page = await (await client.get(f"/shows/{show.id}")).text()
    assert "시작 10분 전에 알려 드릴게요" in page

    await login_as(client, operator)
    new_start = utcnow() + dt.timedelta(days=5)
    no_reason = await client.post(
        f"/shows/{show.id}/reschedule",
        data={
            "scheduled_start": _seoul_input(new_start),
            "duration_minutes": "60",
            "reason": "",
            "_csrf": csrf(client),
        },
    )
    assert no_reason.status == 422 and "사유를 입력해 주세요" in await no_reason.text()
    past = await client.post(
        f"/shows/{show.id}/reschedule",
        data={
            "scheduled_start": "2001-01-01T10:00",
            "duration_minutes": "60",
            "reason": "x",
            "_csrf": csrf(client),
        },
    )
    assert past.status == 422 and "시작 시간이 이미 지났습니다" in await past.text()
    moved = await client.post(
        f"/shows/{show.id}/reschedule",
        data={
            "scheduled_start": _seoul_input(new_start),
            "duration_minutes": "45",
            "reason": "시장 행사",
            "_csrf": csrf(client),
        },
    )
    assert moved.status == 200 and "운영자가 일정을 옮겼습니다: 시장 행사" in await moved.text()
    for user in (merchant, shopper):
        assert any(
            n.params.get("reason") == "시장 행사" for n in await _notifications(client, user.id)
        )

    no_cancel_reason = await client.post(
        f"/api/shows/{show.id}/cancel", json={}, headers={"X-CSRF-Token": csrf(client)}
    )
    assert no_cancel_reason.status == 422
    cancelled = await client.post(
        f"/api/shows/{show.id}/cancel",
        json={"reason": "폭설"},
        headers={"X-CSRF-Token": csrf(client)},
    )
    assert cancelled.status == 200
    assert any(n.params.get("reason") == "폭설" for n in await _notifications(client, shopper.id))


async def test_merchant_cannot_approve_or_move_shows(client: AppClient) -> None:
    merchant, store = await make_merchant(client.app)
    show = await make_show(client.app, store)
    await login_as(client, merchant)
    resp = await client.post(
        f"/shows/{show.id}/reschedule",
        data={
            "scheduled_start": "2099-01-01T10:00",
            "duration_minutes": "60",
            "reason": "x",
            "_csrf": csrf(client),
        },
    )
    assert resp.status == 403
    async with client.app[keys.sessionmaker]() as session:
        assert (await shows.get_show(session, show.id)).scheduled_start == show.scheduled_start


async def test_calendar_shows_each_role_its_own_shows(client: AppClient) -> None:
    merchant, store = await make_merchant(client.app, "가게 A")
    _, other = await make_merchant(client.app, "가게 B")
    creator = await make_user(client.app, Role.CREATOR)
    start = dt.datetime.now(SEOUL).replace(hour=12, minute=0) + dt.timedelta(days=1)
    mine = await make_show(client.app, store, [creator], title="A 방송", start=start)
    theirs = await make_show(client.app, other, title="B 방송", start=start)
    day = start.date().isoformat()
    await login_as(client, merchant)
    week = await (await client.get(f"/calendar?view=week&date={day}")).text()
    assert f'data-testid="event-{mine.id}"' in week and "B 방송" not in week
    month = await (await client.get(f"/calendar?view=month&date={day}")).text()
    assert "A 방송" in month
    await login_as(client, creator)
    assert "B 방송" not in await (await client.get(f"/calendar?date={day}")).text()
    shopper = await make_user(client.app)
    await login_as(client, shopper)
    assert (await client.get("/calendar")).status == 403
    _ = theirs


async def test_ics_download_describes_the_show(client: AppClient) -> None:
    _, store = await make_merchant(client.app, "나무결 공방")
    start = dt.datetime(2099, 3, 1, 10, tzinfo=dt.UTC)
    show = await make_show(client.app, store, title="도마 라이브", start=start)
    resp = await client.get(f"/shows/{show.id}/calendar.ics")
    assert resp.status == 200 and resp.content_type == "text/calendar"
    event = next(iter(Calendar.from_ical(await resp.read()).walk("VEVENT")))
    assert str(event["summary"]) == "도마 라이브 · 나무결 공방"
    assert event.decoded("dtstart") == start
    assert event.decoded("dtend") == start + dt.timedelta(minutes=60)
    operator = await make_user(client.app, Role.OPERATOR)
    await login_as(client, operator)
    await client.post(
        f"/api/shows/{show.id}/cancel",
        json={"reason": "우천"},
        headers={"X-CSRF-Token": csrf(client)},
    )
    gone = await client.get(f"/shows/{show.id}/calendar.ics")
    assert gone.status == 409 and "취소된 방송" in await gone.text()


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


async def test_reminders_arrive_in_app_and_by_email(
    settings: Settings, smtp_server: tuple[int, _Inbox]
) -> None:
    port, inbox = smtp_server
    app = create_app(
        settings.with_(smtp_url=Secret(f"smtp://127.0.0.1:{port}?from=live@jangteo.kr"))
    )
    async with _started(app):
        _, store = await make_merchant(app)
        shopper = await make_user(app, email="minsu@example.kr")
        soon = await make_show(
            app, store, title="곧 시작", start=utcnow() + dt.timedelta(minutes=5)
        )
        later = await make_show(app, store, title="나중에", start=utcnow() + dt.timedelta(days=1))
        async with app[keys.sessionmaker].begin() as session:
            from server.notifications import service as notifications

            await notifications.remind_me(session, shopper, soon)
            await notifications.remind_me(session, shopper, later)
        assert await app[keys.reminders].send_due_reminders() == 1
        assert await app[keys.reminders].send_due_reminders() == 0  # never twice
        async with app[keys.sessionmaker]() as session:
            items = list(
                await session.scalars(
                    select(Notification).where(Notification.user_id == shopper.id)
                )
            )
        assert [n.params["title"] for n in items] == ["곧 시작"]
        for _ in range(400):  # up to 20 s: the machine may be busy
            if inbox.messages:
                break
            await asyncio.sleep(0.05)
        mail = message_from_bytes(inbox.messages[0])
        assert mail["To"] == "minsu@example.kr"
        subject = str(make_header(decode_header(mail["Subject"])))
        assert subject.startswith("“곧 시작” 방송이") and "시작합니다" in subject


class _started:
    """Run an app's start-up and clean-up without serving HTTP."""

    def __init__(self, app: object) -> None:
        from aiohttp.test_utils import TestServer

        self.server = TestServer(app)  # type: ignore[arg-type]

    async def __aenter__(self) -> None:
        await self.server.start_server()

    async def __aexit__(self, *exc: object) -> None:
        await self.server.close()


async def test_upcoming_page_groups_shows_by_seoul_day(client: AppClient) -> None:
    _, store = await make_merchant(client.app)
    tomorrow_noon = (dt.datetime.now(SEOUL) + dt.timedelta(days=1)).replace(hour=12, minute=0)
    show = await make_show(client.app, store, title="내일 점심 라이브", start=tomorrow_noon)
    page = await (await client.get("/upcoming")).text()
    day_section = page.split(f'data-testid="day-{tomorrow_noon.date().isoformat()}"')[1]
    assert "내일 점심 라이브" in day_section.split("</section>")[0]
    assert "12:00" in day_section.split("</section>")[0]
    _ = show


async def test_a_show_that_went_live_early_is_shown_at_its_actual_start(
    client: AppClient,
) -> None:
    """Scheduled three days from now, live since a moment ago: the merchant's console
    says when it actually started, and the calendar puts it on today, not on its slot."""
    merchant, store = await make_merchant(client.app, "망원 떡집")
    planned = utcnow() + dt.timedelta(days=3)
    show = await make_show(client.app, store, title="깜짝 라이브", start=planned)
    async with client.app[keys.sessionmaker].begin() as session:
        started = await shows.system_transition(session, show.id, "start")
    actual = started.started_at
    assert actual is not None
    await login_as(client, merchant)

    console = await (await client.get("/merchant")).text()
    table = console.split("<table")[1]
    row = table.split("깜짝 라이브")[1].split("</tr>")[0]
    assert format_seoul(actual, "ko") in row
    assert format_seoul(planned, "ko") not in row

    today = actual.astimezone(SEOUL).date()
    week = await (await client.get(f"/calendar?view=week&date={today}")).text()
    cell = week.split(f'data-day="{today.isoformat()}"')[1].split("data-day=")[0]
    assert f'data-testid="event-{show.id}"' in cell
    assert actual.astimezone(SEOUL).strftime("%H:%M") in cell
    slot_day = planned.astimezone(SEOUL).date()
    slot_week = await (await client.get(f"/calendar?view=week&date={slot_day}")).text()
    if slot_day - dt.timedelta(days=slot_day.weekday()) != today - dt.timedelta(
        days=today.weekday()
    ):
        assert f'data-testid="event-{show.id}"' not in slot_week
    else:  # the same week: it is on today's cell only
        slot_cell = slot_week.split(f'data-day="{slot_day.isoformat()}"')[1]
        assert f'data-testid="event-{show.id}"' not in slot_cell.split("data-day=")[0]
