"""Demo data for `make run`: every role, the two stores of the demo logins with their
upcoming shows, a demo show that goes live at start-up and a finished one with its
replay (`server/demo_showcase.py`), and a 90-day history of shows across more stores.
The pictures and videos are made by `server/demo_media.py` into DATA_DIR."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from checkout.demo import seed_products
from server.accounts import service as accounts
from server.accounts.models import AccountStatus, Role, Store, User
from server.db import utcnow
from server.demo_history import seed_history
from server.demo_showcase import (
    create_live_demo,
    finish_showcase,
    pin_on_live_demo,
    waiting_live_demo,
)
from server.errors import DomainError
from server.jobs.demo import seed_jobs
from server.markets.demo import seed_markets
from server.onboarding.demo import seed_slots
from server.shows import service as shows
from server.shows.models import Show
from server.trust.demo import give_identity

log = logging.getLogger("jangteo.demo")

DEMO_PASSWORD = "jangteo-demo"  # noqa: S105 - printed on purpose: these are demo logins


@dataclass(frozen=True)
class DemoLogin:
    role: str
    email: str


DEMO_LOGINS = (
    DemoLogin("operator", "operator@demo.jangteo.kr"),
    DemoLogin("merchant", "halmae@demo.jangteo.kr"),
    DemoLogin("merchant", "gongbang@demo.jangteo.kr"),
    DemoLogin("creator", "creator@demo.jangteo.kr"),
    DemoLogin("shopper", "shopper@demo.jangteo.kr"),
)


async def seed(session: AsyncSession) -> bool:
    """Create the demo accounts and shows; False if they exist already."""
    if await session.scalar(select(User.id).where(User.email == DEMO_LOGINS[0].email)):
        return False
    active = AccountStatus.ACTIVE
    operator = await accounts.create_user(
        session,
        email=DEMO_LOGINS[0].email,
        password=DEMO_PASSWORD,
        display_name="운영자",
        role=Role.OPERATOR,
        status=active,
    )
    halmae = await accounts.create_store(
        session,
        name="할매 반찬가게",
        slug="halmae-banchan",
        market="망원시장",
        region="서울 마포구",
        description="40년 손맛 그대로, 매일 아침 만드는 반찬.",
        refund_policy="신선식품 특성상 단순 변심 환불은 어렵습니다. "
        "상품 이상 시 수령 후 24시간 안에 연락 주세요.",
    )
    gongbang = await accounts.create_store(
        session,
        name="나무결 공방",
        slug="namugyeol",
        market="성수 수제화거리",
        region="서울 성동구",
        description="원목 도마와 수저를 손으로 깎습니다.",
        refund_policy="수령 후 7일 안에 미사용 상품은 환불해 드립니다.",
    )
    # Both sellers' business details, verified, so their shows can go public.
    give_identity(halmae, 1)
    give_identity(gongbang, 2)
    await accounts.create_user(
        session,
        email=DEMO_LOGINS[1].email,
        password=DEMO_PASSWORD,
        display_name="김순자 사장님",
        role=Role.MERCHANT,
        status=active,
        store_id=halmae.id,
    )
    await accounts.create_user(
        session,
        email=DEMO_LOGINS[2].email,
        password=DEMO_PASSWORD,
        display_name="박나무 공방장",
        role=Role.MERCHANT,
        status=active,
        store_id=gongbang.id,
    )
    creator = await accounts.create_user(
        session,
        email=DEMO_LOGINS[3].email,
        password=DEMO_PASSWORD,
        display_name="라이브 지은",
        role=Role.CREATOR,
        status=active,
    )
    await accounts.create_user(
        session,
        email=DEMO_LOGINS[4].email,
        password=DEMO_PASSWORD,
        display_name="장보기 민수",
        role=Role.SHOPPER,
        status=active,
    )
    await accounts.assign_creator(session, creator.id, halmae.id)
    await accounts.assign_creator(session, creator.id, gongbang.id)

    tomorrow_7pm = (utcnow() + dt.timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )  # 19:00 in Seoul
    await shows.create_show(
        session,
        operator,
        store_id=halmae.id,
        title="할매 반찬 라이브: 김장 김치 특가",
        description="갓 담근 김장 김치와 밑반찬을 라이브 특가로 만나보세요.",
        scheduled_start=tomorrow_7pm,
        creator_ids=[creator.id],
    )
    await shows.create_show(
        session,
        operator,
        store_id=gongbang.id,
        title="원목 도마 만들기 라이브",
        description="공방에서 도마를 깎는 과정을 보여드립니다.",
        scheduled_start=tomorrow_7pm + dt.timedelta(days=2),
        creator_ids=[creator.id],
    )
    # Live from the first `make run` on (the demo publisher sends it a looping clip).
    await create_live_demo(session, operator, halmae, creator)
    await session.flush()
    await seed_products(session, operator)
    await seed_markets(session, {"halmae-banchan": "망원시장"})
    await seed_jobs(session)
    await seed_slots(session, operator)
    # Ninety days of past shows over more stores, so that the insights have a history.
    await seed_history(session, creator.id, utcnow(), DEMO_PASSWORD)
    # A finished demo show with its replay (its recording is made by `seed_media`).
    await finish_showcase(session, operator, halmae, creator)
    return True


async def renew_live_demo(session: AsyncSession) -> Show | None:
    """A new live demo when the last one was ended (say, from the studio), so that every
    `make run` starts with a show live; None when one is waiting or the demo is absent."""
    if await waiting_live_demo(session) is not None:
        return None
    operator = await session.scalar(select(User).where(User.email == DEMO_LOGINS[0].email))
    creator = await session.scalar(select(User).where(User.email == DEMO_LOGINS[3].email))
    store = await session.scalar(select(Store).where(Store.slug == "halmae-banchan"))
    if operator is None or creator is None or store is None:
        return None
    try:
        show = await create_live_demo(session, operator, store, creator)
    except DomainError as exc:  # e.g. the demo creator was booked at this hour since
        log.warning("no new live demo show: %s", exc)
        return None
    await pin_on_live_demo(session, operator, show)
    return show
