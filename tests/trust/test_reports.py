"""Item 14: a viewer reports a show from the player or the replay, the moment attached;
operators work through the queue and resolve each report with a note."""

from __future__ import annotations

import datetime as dt

from pytest_aiohttp import AiohttpClient
from sqlalchemy import select

from server import keys
from server.accounts.models import Role
from server.app import create_app
from server.db import utcnow
from server.notifications.models import Notification
from server.settings import Settings
from server.shows import service as shows
from server.shows.models import Approval, ShowState
from server.trust.models import ShowReport
from tests.helpers import (
    AppClient,
    ServerClient,
    app_of,
    csrf,
    login_as,
    make_show,
    make_store,
    make_user,
)


async def test_reports_from_the_player_and_the_replay_reach_the_operators_queue(
    client: AppClient, aiohttp_client: AiohttpClient
) -> None:
    app = app_of(client)
    store = await make_store(app, "망원 반찬")
    live = await make_show(app, store, title="김장 라이브")
    ended = await make_show(app, store, title="지난 방송")
    upcoming = await make_show(app, store, title="다음 방송")
    started = utcnow() - dt.timedelta(minutes=5)
    async with app[keys.sessionmaker].begin() as session:
        for show_id, state in ((live.id, ShowState.LIVE), (ended.id, ShowState.ENDED)):
            show = await shows.get_show(session, show_id)
            show.state, show.started_at = state, started
            if state is ShowState.ENDED:
                show.ended_at = utcnow()
    operator = await make_user(app, Role.OPERATOR)
    viewer = await make_user(app, name="시청자")

    anonymous_page = await (await client.get(f"/shows/{live.id}")).text()
    assert 'data-testid="report-show"' in anonymous_page and "/login?next=" in anonymous_page
    refused = await client.post(
        f"/shows/{live.id}/reports", data={"kind": "abuse"}, allow_redirects=False
    )
    assert refused.status in (303, 401, 403)

    await login_as(client, viewer)
    for show_id in (live.id, ended.id):
        page = await (await client.get(f"/shows/{show_id}")).text()
        assert 'data-testid="send-report"' in page and "거짓·과장 광고" in page
    assert (
        'data-testid="report-show"' not in await (await client.get(f"/shows/{upcoming.id}")).text()
    )

    async def send(show_id: int, **form: str) -> tuple[int, str]:
        resp = await client.post(
            f"/shows/{show_id}/reports",
            data={"_csrf": csrf(client), **form},
            allow_redirects=False,
        )
        return resp.status, await resp.text()

    assert (await send(live.id, kind="spam"))[0] == 422
    status, text = await send(live.id, kind="other", details="")
    assert status == 422 and "최소 5자" in text
    assert (await send(live.id, kind="abuse", offset_seconds="inf"))[0] == 422
    assert (await send(upcoming.id, kind="abuse"))[0] == 422

    # From the live player: the moment is "now" in the show (about 5 minutes in).
    status, _ = await send(live.id, kind="false_advertising", details="당일 수확이라더니 아님")
    assert status == 303
    # From the replay: the moment the player had reached.
    status, _ = await send(ended.id, kind="prohibited_goods", offset_seconds="754", during="replay")
    assert status == 303
    async with app[keys.sessionmaker]() as session:
        made = list(await session.scalars(select(ShowReport).order_by(ShowReport.id)))
        told = list(
            await session.scalars(
                select(Notification.user_id).where(Notification.link == "/ops/reports")
            )
        )
    assert [r.kind.value for r in made] == ["false_advertising", "prohibited_goods"]
    assert made[0].offset_seconds is not None and 290 <= made[0].offset_seconds <= 330
    assert not made[0].during_replay
    assert made[1].offset_seconds == 754 and made[1].during_replay
    assert told == [operator.id, operator.id]
    assert (await client.get("/ops/reports")).status == 403

    ops: ServerClient = await aiohttp_client(client.server)
    await login_as(ops, operator)
    queue = await (await ops.get("/ops/reports")).text()
    assert f'href="/shows/{ended.id}?t=754"' in queue and "방송 시작 후 12분 34초" in queue
    assert "당일 수확이라더니 아님" in queue and "판매 금지 상품" in queue
    no_note = await ops.post(
        f"/ops/reports/{made[0].id}/resolve", data={"note": "", "_csrf": csrf(ops)}
    )
    assert no_note.status == 422
    done = await ops.post(
        f"/ops/reports/{made[0].id}/resolve",
        data={"note": "판매자에게 경고, 해당 문구 삭제", "_csrf": csrf(ops)},
        allow_redirects=False,
    )
    assert done.status == 303
    still_open = await (await ops.get("/ops/reports")).text()
    assert f'data-testid="report-{made[0].id}"' not in still_open
    assert f'data-testid="report-{made[1].id}"' in still_open
    closed = await (await ops.get("/ops/reports?resolved=1")).text()
    assert "판매자에게 경고, 해당 문구 삭제" in closed


async def test_a_show_the_viewer_may_not_see_cannot_be_reported(client: AppClient) -> None:
    app = app_of(client)
    store = await make_store(app)
    merchant = await make_user(app, Role.MERCHANT, store_id=store.id)
    async with app[keys.sessionmaker].begin() as session:
        request = await shows.create_show(
            session,
            merchant,
            store_id=store.id,
            title="비공개 요청",
            scheduled_start=utcnow() + dt.timedelta(days=1),
        )
        request.state = ShowState.LIVE
    assert request.approval is Approval.REQUESTED
    await login_as(client, await make_user(app))
    resp = await client.post(
        f"/shows/{request.id}/reports", data={"kind": "abuse", "_csrf": csrf(client)}
    )
    assert resp.status == 404


async def test_ids_past_a_database_integer_are_not_found(
    any_db_settings: Settings, aiohttp_client: AiohttpClient
) -> None:
    """PostgreSQL's integer ids stop at 2**31 - 1: a longer number is no page, not a 500."""
    app = create_app(any_db_settings)
    client = await aiohttp_client(app)
    await login_as(client, await make_user(app, Role.OPERATOR))
    huge = str(2**63)
    for path in (
        f"/orders/{huge}/withdrawal",
        f"/orders/{huge}/evidence.zip",
        f"/withdrawals/{huge}/photos/0",
    ):
        assert (await client.get(path)).status == 404, path
    for path in (
        f"/shows/{huge}/reports",
        f"/ops/reports/{huge}/resolve",
        f"/withdrawals/{huge}/accept",
        f"/ops/sellers/{huge}/verify",
    ):
        resp = await client.post(path, data={"_csrf": csrf(client), "note": "확인"})
        assert resp.status == 404, path
