"""Where a new merchant stands on the way to their first show: five steps, each done
when the data says so (nothing to tick by hand except the day-of checklist)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from server.accounts.models import Role, Store, User
from server.errors import N_, Forbidden
from server.jobs import postings
from server.jobs.models import Job
from server.markets import service as markets
from server.markets.interfaces import StoreProductsSource
from server.markets.models import Market
from server.onboarding.errors import BadGuideInput
from server.onboarding.models import ChecklistTick
from server.shows.models import Approval, Show, ShowState

PRODUCTS_WANTED = 3
# The day-of checklist, in the order it is shown.
CHECKLIST = ("light", "stand", "connection")
CHECKLIST_WORDS = {
    "light": N_("Light: face a window or a lamp, never with the light behind you."),
    "stand": N_("Phone on a stand, upright, at eye level, charger plugged in."),
    "connection": N_("Connection: Wi-Fi on, and a rehearsal below shows the picture."),
}


@dataclass
class Progress:
    store: Store
    market: Market | None
    products: int
    show: Show | None  # the store's next planned show
    job: Job | None
    ticked: set[str] = field(default_factory=set)

    @property
    def has_crew(self) -> bool:
        return bool(self.show and self.show.creators)

    @property
    def steps(self) -> dict[str, bool]:
        return {
            "store": True,
            "products": self.products >= PRODUCTS_WANTED,
            "slot": self.show is not None,
            "crew": self.has_crew or self.job is not None,
            "day": self.show is not None and set(CHECKLIST) <= self.ticked,
        }

    @property
    def next_step(self) -> str:
        return next((name for name, done in self.steps.items() if not done), "done")


async def next_show(session: AsyncSession, store_id: int) -> Show | None:
    return await session.scalar(
        select(Show)
        .where(
            Show.store_id == store_id,
            Show.state.in_((ShowState.SCHEDULED, ShowState.LIVE)),
            Show.approval != Approval.DECLINED,
        )
        .order_by(Show.scheduled_start)
        .limit(1)
        .options(selectinload(Show.store), selectinload(Show.creators))
    )


async def ticked(session: AsyncSession, show_id: int) -> set[str]:
    return set(
        await session.scalars(select(ChecklistTick.item).where(ChecklistTick.show_id == show_id))
    )


async def progress(
    session: AsyncSession, merchant: User, products: StoreProductsSource
) -> Progress:
    if merchant.role is not Role.MERCHANT or merchant.store_id is None:
        raise Forbidden(N_("The first-show guide is for merchants."))
    store = await session.get(Store, merchant.store_id)
    assert store is not None
    show = await next_show(session, store.id)
    found = Progress(
        store=store,
        market=await markets.market_of_store(session, store.id),
        products=len(await products(session, [store.id], PRODUCTS_WANTED)),
        show=show,
        job=await postings.job_of_show(session, show.id) if show else None,
    )
    if show is not None:
        found.ticked = await ticked(session, show.id)
    return found


async def tick(session: AsyncSession, merchant: User, show: Show, item: str, done: bool) -> None:
    if not (merchant.role is Role.MERCHANT and merchant.store_id == show.store_id):
        raise Forbidden(N_("You can only change shows of your own store."))
    if item not in CHECKLIST:
        raise BadGuideInput(N_("Unknown checklist item."), field="item")
    existing = await session.get(ChecklistTick, (show.id, item))
    if done and existing is None:
        session.add(ChecklistTick(show_id=show.id, item=item, ticked_by=merchant.id))
    elif not done and existing is not None:
        await session.delete(existing)
    await session.flush()
