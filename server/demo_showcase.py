"""The two demo shows a newcomer meets first, both marked as demos (`Show.is_demo`):

- a show that goes live as soon as `make run` serves: the demo publisher sends a
  looping clip to it over WHIP (`streaming/demo_publisher.py`), a product is pinned,
  and chat and buying work as in any live show;
- a short show that ended a few hours ago, with a recording (written by
  `server/demo_media.py`), products pinned one after another, a flash sale and chat,
  all at their moments, so its replay's timeline and chat play along, and its viewers
  for the show's numbers and who-stays.

The finished show's moments are journal rows shaped exactly like the ones the live
journal writes (`server/analytics/journal.py`) from checkout's own announcements.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from chat import messages as chat
from checkout import catalog, live
from checkout.models import FlashSale, Product
from server.accounts.models import Role, Store, User
from server.analytics.journal import offset_ms
from server.analytics.models import ShowEvent, ViewerSample, ViewerVisit
from server.analytics.presence import SAMPLE_SECONDS
from server.db import utcnow
from server.demo_shows import anonymous_key
from server.events import JOURNALED, LiveEvent
from server.shows import service as shows
from server.shows.models import Approval, Show, ShowCreator, ShowState

LIVE_TITLE = "할매 반찬 라이브: 오늘 담근 겉절이 (데모)"
LIVE_DESCRIPTION = (
    "데모 방송입니다. seed-demo가 만든 짧은 영상을 반복해서 내보냅니다. "
    "채팅, 상품 고정, 테스트 카드 결제는 실제 방송과 똑같이 동작합니다."
)
REPLAY_TITLE = "할매 반찬 라이브: 김장 김치 담그는 날 (데모)"
REPLAY_DESCRIPTION = (
    "데모 방송의 다시보기입니다. 고정된 상품, 타임 특가, 채팅이 그 순간에 맞춰 나옵니다."
)
REPLAY_SECONDS = 90
REPLAY_ENDED_AGO = dt.timedelta(hours=3)
LIVE_PINNED = "김장 김치 2kg"


@dataclass(frozen=True)
class Moment:
    """One thing that happened in the finished show, `at` seconds after its start."""

    at: float
    kind: LiveEvent
    product: str = ""


# Pins, a flash sale (40 s–70 s on 총각김치) and the end of the pin, as the studio made them.
REPLAY_MOMENTS = (
    Moment(4, LiveEvent.PRODUCT_PINNED, "김장 김치 2kg"),
    Moment(32, LiveEvent.PRODUCT_PINNED, "총각김치 1kg"),
    Moment(40, LiveEvent.SALE_STARTED, "총각김치 1kg"),
    Moment(70, LiveEvent.SALE_ENDED, "총각김치 1kg"),
    Moment(74, LiveEvent.PRODUCT_PINNED, "밑반찬 3종 세트"),
    Moment(86, LiveEvent.PRODUCT_UNPINNED),
)
SALE_PRICE = 14_000

# (seconds, who: "creator", "shopper" or a regular's number, text, is a question)
REPLAY_CHAT: tuple[tuple[float, str, str, bool], ...] = (
    (2, "creator", "안녕하세요! 할매 반찬가게에서 김장 김치 담그는 날이에요", False),
    (7, "3", "김치 색깔 진짜 좋네요", False),
    (11, "shopper", "2kg이면 몇 명이 먹을 수 있나요?", True),
    (16, "creator", "네 식구가 2주 정도 드실 수 있어요!", False),
    (22, "7", "작년에 사 먹었는데 맛있었어요", False),
    (27, "12", "배송은 언제 출발하나요?", True),
    (31, "creator", "오늘 주문하시면 내일 출발해요. 다음은 총각김치!", False),
    (41, "creator", "총각김치 타임 특가 시작! 30초 동안 14,000원", False),
    (44, "shopper", "특가로 바로 샀어요!", False),
    (51, "3", "아삭해 보여요", False),
    (58, "21", "매운맛도 있나요?", True),
    (66, "creator", "밑반찬 세트에 순한맛, 매운맛 둘 다 있어요", False),
    (77, "7", "밑반찬 세트도 담았어요", False),
    (84, "creator", "오늘도 감사합니다! 내일 저녁 7시에 또 만나요", False),
)


async def create_live_demo(
    session: AsyncSession, operator: User, store: Store, creator: User
) -> Show:
    """The show the demo publisher brings live; planned for now, so it is the store's
    next show and gets its products in the line-up with the others."""
    show = await shows.create_show(
        session,
        operator,
        store_id=store.id,
        title=LIVE_TITLE,
        description=LIVE_DESCRIPTION,
        scheduled_start=utcnow().replace(second=0, microsecond=0),
        duration_minutes=60,
        creator_ids=[creator.id],
        allow_past=True,
    )
    show.is_demo = True
    await session.flush()
    return show


async def finish_showcase(
    session: AsyncSession, operator: User, store: Store, creator: User
) -> None:
    """Once the store's products exist: pin one on the live demo, and make the finished
    demo show with its line-up, flash sale, journal and chat."""
    products = {p.name: p for p in await catalog.products_of_store(session, store.id)}
    live_demo = await session.scalar(
        select(Show).where(Show.store_id == store.id, Show.title == LIVE_TITLE)
    )
    if live_demo is not None:
        await pin_on_live_demo(session, operator, live_demo)
    replay = await _finished_show(session, store, creator)
    for name in dict.fromkeys(m.product for m in REPLAY_MOMENTS if m.product):
        await catalog.add_to_lineup(session, operator, replay, products[name].id)
    await _journal(session, replay, products)
    await _chat(session, replay)
    await _audience(session, replay)


async def pin_on_live_demo(session: AsyncSession, operator: User, live_demo: Show) -> None:
    """Every product of the store in the live demo's line-up, one of them pinned."""
    show = await shows.get_show(session, live_demo.id)
    for product in await catalog.products_of_store(session, show.store_id):
        await catalog.add_to_lineup(session, operator, show, product.id)
        if product.name == LIVE_PINNED:
            await catalog.pin(session, operator, show, product.id)


async def waiting_live_demo(session: AsyncSession) -> int | None:
    """The demo show that is live or about to be, if there is one."""
    return await session.scalar(
        select(Show.id).where(
            Show.is_demo.is_(True), Show.state.in_([ShowState.SCHEDULED, ShowState.LIVE])
        )
    )


async def _finished_show(session: AsyncSession, store: Store, creator: User) -> Show:
    started = (utcnow() - REPLAY_ENDED_AGO).replace(second=0, microsecond=0)
    show = Show(
        store_id=store.id,
        title=REPLAY_TITLE,
        description=REPLAY_DESCRIPTION,
        scheduled_start=started,
        duration_minutes=30,
        state=ShowState.ENDED,
        started_at=started,
        ended_at=started + dt.timedelta(seconds=REPLAY_SECONDS),
        approval=Approval.APPROVED,
        stream_key=shows.new_stream_key(),
        is_demo=True,
        created_at=started - dt.timedelta(days=2),
    )
    session.add(show)
    await session.flush()
    session.add(ShowCreator(show_id=show.id, creator_id=creator.id))
    await session.flush()
    return await shows.get_show_fresh(session, show.id)


def _at(show: Show, seconds: float) -> dt.datetime:
    assert show.started_at is not None
    return show.started_at + dt.timedelta(seconds=seconds)


async def _journal(session: AsyncSession, show: Show, products: dict[str, Product]) -> None:
    sale = None
    for moment in REPLAY_MOMENTS:
        at = _at(show, moment.at)
        product = (
            await catalog.get_product(session, products[moment.product].id)
            if moment.product
            else None
        )
        payload: dict[str, Any]
        if moment.kind is LiveEvent.PRODUCT_PINNED and product is not None:
            payload = {"product": live.product_json(product), "sale": None}
        elif moment.kind is LiveEvent.SALE_STARTED and product is not None:
            sale = FlashSale(
                show_id=show.id,
                product_id=product.id,
                price=SALE_PRICE,
                cap=10,
                claimed=0,
                per_shopper=2,
                starts_at=at,
                ends_at=_at(show, _sale_end()),
            )
            session.add(sale)
            await session.flush()
            payload = {"sale": live.sale_json(sale)}
        elif moment.kind is LiveEvent.SALE_ENDED and sale is not None:
            payload = {"sale_id": sale.id, "product_id": sale.product_id}
        else:
            payload = {}
        assert moment.kind in JOURNALED
        # As checkout's announcer and the journal write them: the server's clock in the
        # payload, the offset from the show's start beside it.
        session.add(
            ShowEvent(
                show_id=show.id,
                kind=str(moment.kind),
                payload={"server_time": at.isoformat(), **payload},
                offset_ms=offset_ms(show.started_at, at),
                created_at=at,
            )
        )
    await session.flush()


def _sale_end() -> float:
    return next(m.at for m in REPLAY_MOMENTS if m.kind is LiveEvent.SALE_ENDED)


async def _chat(session: AsyncSession, show: Show) -> None:
    chatters = await _chatters(session, show)
    drafts = []
    for seconds, who, text, question in REPLAY_CHAT:
        user = chatters.get(who)
        if user is None:
            continue
        drafts.append(
            chat.Draft(
                key=secrets.token_urlsafe(12),
                show_id=show.id,
                user_id=user.id,
                author=user.display_name,
                badge=Role.CREATOR.value if user.role is Role.CREATOR else Role.SHOPPER.value,
                text=text,
                question=question,
                offset_ms=int(seconds * 1000),
                at=_at(show, seconds),
            )
        )
    await chat.insert_messages(session, drafts)


REPLAY_VIEWERS = 28


async def _audience(session: AsyncSession, show: Show) -> None:
    """Who watched, as the presence log and the sampler record it: most came early,
    some left at the change of pin, and the charts and who-stays have a show to read."""
    chatters = list((await _chatters(session, show)).values())
    visits = []
    for n in range(REPLAY_VIEWERS):
        user = chatters[n] if n < len(chatters) else None
        joined = (n * 7) % 45
        left = min(REPLAY_SECONDS, joined + 25 + (n * 13) % 70)
        visits.append(
            ViewerVisit(
                show_id=show.id,
                viewer_key=f"u{user.id}" if user else anonymous_key(f"demo-replay-{n}"),
                user_id=user.id if user else None,
                joined_at=_at(show, joined),
                left_at=_at(show, left),
            )
        )
    session.add_all(visits)
    hearts = 0
    for at in range(int(SAMPLE_SECONDS), REPLAY_SECONDS + 1, int(SAMPLE_SECONDS)):
        moment = _at(show, at)
        watching = sum(1 for v in visits if v.joined_at <= moment < (v.left_at or moment))
        hearts += watching // 2
        session.add(
            ViewerSample(
                show_id=show.id, at=moment, offset_ms=at * 1000, viewers=watching, hearts=hearts
            )
        )
    await session.flush()


async def _chatters(session: AsyncSession, show: Show) -> dict[str, User]:
    wanted = {"creator": show.creators[0].email if show.creators else ""}
    wanted["shopper"] = "shopper@demo.jangteo.kr"
    regulars: Sequence[str] = sorted({w for _, w, _, _ in REPLAY_CHAT if w.isdigit()})
    wanted.update({n: f"regular{n}@demo.jangteo.kr" for n in regulars})
    users = await session.scalars(select(User).where(User.email.in_(wanted.values())))
    by_email = {u.email: u for u in users}
    return {who: by_email[email] for who, email in wanted.items() if email in by_email}
