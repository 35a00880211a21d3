"""The demo's past: 90 days of shows across the demo markets and stores, so that `make
run` shows every insight filled in. More stores than the two demo logins own, because
comparisons need at least five other stores; their merchants and creators share the demo
password. Everything is inserted in bulk (a few hundred shows, tens of thousands of
rows, a few seconds on SQLite); the random numbers have a fixed seed, so every demo
database tells the same story.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from checkout.models import Product
from server.accounts import service as accounts
from server.accounts.models import AccountStatus, Role, Store, User
from server.accounts.passwords import hash_password
from server.analytics.insights.forecast.synthetic import WorldStore, favourite_slots, generate
from server.analytics.insights.records import PastShow
from server.db import utcnow
from server.demo_rows import write_details
from server.demo_shows import DemoProduct, ShowDetail, anonymous_key, build_detail
from server.trust.demo import give_identity

SEED = 15
DAYS = 90
SHOWS_PER_WEEK = 2.0
SHOPPERS = 80
SIGNED_IN_SHARE = 0.4


@dataclass(frozen=True)
class DemoStore:
    name: str
    slug: str
    market: str
    region: str
    category: str
    following: float  # typical peak viewers
    products: tuple[tuple[str, int], ...] = ()  # (name, price) for the stores made here


# The two stores of the demo logins come first; their products come from checkout's demo.
DEMO_STORES = (
    DemoStore("할매 반찬가게", "halmae-banchan", "망원시장", "서울 마포구", "food", 70),
    DemoStore("나무결 공방", "namugyeol", "성수 수제화거리", "서울 성동구", "crafts", 35),
    DemoStore("망원 떡방앗간", "mangwon-tteok", "망원시장", "서울 마포구", "food", 55,
              (("가래떡 1kg", 9000), ("모둠 찰떡", 15000), ("쑥인절미", 12000))),
    DemoStore("망원 청과", "mangwon-fruit", "망원시장", "서울 마포구", "produce", 45,
              (("제철 사과 5kg", 32000), ("샤인머스캣 2송이", 25000), ("감귤 3kg", 18000))),
    DemoStore("바삭 닭강정", "basak-chicken", "망원시장", "서울 마포구", "food", 80,
              (("닭강정 대", 22000), ("닭강정 소", 14000))),
    DemoStore("망원 참기름집", "mangwon-oil", "망원시장", "서울 마포구", "produce", 30,
              (("저온압착 참기름", 19000), ("들기름 350ml", 17000), ("볶음 참깨", 9000))),
    DemoStore("망원 손만두", "mangwon-mandu", "망원시장", "서울 마포구", "food", 50,
              (("고기만두 20개", 16000), ("김치만두 20개", 16000))),
    DemoStore("망원 수산", "mangwon-fish", "망원시장", "서울 마포구", "produce", 40,
              (("손질 고등어 4손", 21000), ("제주 갈치", 39000))),
    DemoStore("성수 가죽공방", "seongsu-leather", "성수 수제화거리", "서울 성동구", "crafts", 30,
              (("가죽 카드지갑", 38000), ("키링 만들기 키트", 24000))),
    DemoStore("성수 수제화", "seongsu-shoes", "성수 수제화거리", "서울 성동구", "fashion", 40,
              (("수제 로퍼", 129000), ("가죽 슬링백", 98000))),
    DemoStore("통인 도자기", "tongin-pottery", "통인시장", "서울 종로구", "crafts", 25,
              (("분청 찻잔", 28000), ("백자 접시", 35000), ("머그컵", 22000))),
    DemoStore("통인 기름떡볶이", "tongin-tteokbokki", "통인시장", "서울 종로구", "food", 65,
              (("기름떡볶이 밀키트", 12000), ("간장떡볶이 밀키트", 12000))),
    DemoStore("남부 한지공방", "nambu-hanji", "남부시장", "전북 전주시", "crafts", 20,
              (("한지 조명", 45000), ("한지 부채", 15000))),
    DemoStore("청년몰 라탄", "nambu-rattan", "남부시장", "전북 전주시", "crafts", 25,
              (("라탄 바구니", 33000), ("라탄 티코스터", 12000))),
    DemoStore("국제 자개공방", "gukje-najeon", "국제시장", "부산 중구", "crafts", 30,
              (("자개 손거울", 42000), ("자개 명함지갑", 36000))),
    DemoStore("국제 빈티지", "gukje-vintage", "국제시장", "부산 중구", "fashion", 45,
              (("빈티지 데님 재킷", 59000), ("울 머플러", 29000))),
    DemoStore("국제 어묵", "gukje-eomuk", "국제시장", "부산 중구", "food", 60,
              (("수제 어묵 세트", 19000), ("어묵탕 밀키트", 14000))),
    DemoStore("광장 빈대떡", "gwangjang-bindae", "광장시장", "서울 종로구", "food", 90,
              (("녹두빈대떡 4장", 20000), ("고기완자 10개", 12000))),
    DemoStore("광장 꼬마김밥", "gwangjang-gimbap", "광장시장", "서울 종로구", "food", 75,
              (("꼬마김밥 30줄", 15000), ("겨자소스 세트", 5000))),
    DemoStore("광장 누비공방", "gwangjang-nubi", "광장시장", "서울 종로구", "crafts", 30,
              (("누비 파우치", 26000), ("누비 방석", 39000))),
)  # fmt: skip
DEMO_CREATORS = ("라이브 민지", "쇼호스트 준호", "촬영 서연", "라이브 하늘", "쇼호스트 도윤")
SHOW_TITLES = {
    "food": ("오늘의 반찬 라이브", "시장 먹거리 특가", "저녁 찬거리 라이브"),
    "produce": ("산지 직송 라이브", "제철 장보기", "오늘 들어온 물건"),
    "crafts": ("공방 작업 라이브", "손으로 만든 선물", "공방 신상 소개"),
    "fashion": ("시장 패션 라이브", "오늘의 코디", "신상 입어보기"),
}


async def _stores(session: AsyncSession) -> list[tuple[DemoStore, Store, list[DemoProduct]]]:
    made = []
    for n, demo in enumerate(DEMO_STORES):
        store = await session.scalar(select(Store).where(Store.slug == demo.slug))
        if store is None:
            store = await accounts.create_store(
                session,
                name=demo.name,
                slug=demo.slug,
                market=demo.market,
                region=demo.region,
                refund_policy="수령 후 7일 안에 미사용 상품은 환불해 드립니다.",
            )
            give_identity(store, 100 + n)
            session.add_all(
                Product(store_id=store.id, name=n, price=p, stock=50, category=demo.category)
                for n, p in demo.products
            )
            await session.flush()
        products = await session.scalars(select(Product).where(Product.store_id == store.id))
        made.append((demo, store, [DemoProduct(p.id, p.name, p.price) for p in products]))
    return made


async def _users(
    session: AsyncSession,
    role: Role,
    people: Sequence[tuple[str, str, int | None]],
    password_hash: str,
) -> list[int]:
    """(e-mail, name, store) of each; one INSERT for all of them."""
    rows = [
        {
            "email": email,
            "password_hash": password_hash,
            "display_name": name,
            "role": role,
            "status": AccountStatus.ACTIVE,
            "locale": "ko",
            "store_id": store_id,
            "created_at": utcnow() - dt.timedelta(days=DAYS + 30),
        }
        for email, name, store_id in people
    ]
    result = await session.execute(
        insert(User).returning(User.id, sort_by_parameter_order=True), rows
    )
    return list(result.scalars())


async def seed_history(
    session: AsyncSession, creator_id: int, now: dt.datetime, password: str
) -> int:
    """Stores, people and 90 days of ended shows; returns how many shows were made."""
    rng = np.random.default_rng(SEED)
    password_hash = hash_password(password)  # once: every demo account shares it
    stores = await _stores(session)
    await _users(
        session,
        Role.MERCHANT,
        [(f"{d.slug}@demo.jangteo.kr", f"{d.name} 사장님", s.id) for d, s, _ in stores[2:]],
        password_hash,
    )
    creators = [creator_id] + await _users(
        session,
        Role.CREATOR,
        [(f"creator{n}@demo.jangteo.kr", name, None) for n, name in enumerate(DEMO_CREATORS, 2)],
        password_hash,
    )
    shoppers = await _users(
        session,
        Role.SHOPPER,
        [(f"regular{n}@demo.jangteo.kr", f"단골 {n}", None) for n in range(1, SHOPPERS + 1)],
        password_hash,
    )
    world = [await _world_store(session, rng, i, entry, creators) for i, entry in enumerate(stores)]
    start = (now - dt.timedelta(days=DAYS)).date()
    past = [
        s
        for s in generate(rng, world, start, DAYS, SHOWS_PER_WEEK)
        if s.plan.starts_at + dt.timedelta(minutes=s.plan.minutes) < now - dt.timedelta(hours=6)
    ]
    by_store = {store.id: (demo, store, products) for demo, store, products in stores}
    details = _details(random.Random(SEED), past, by_store, shoppers)
    await write_details(
        session,
        details,
        {s.id: SHOW_TITLES.get(d.category, SHOW_TITLES["food"]) for d, s, _ in stores},
        {s.id: s.refund_policy for _, s, _ in stores},
        now,
    )
    return len(details)


async def _world_store(
    session: AsyncSession,
    rng: np.random.Generator,
    index: int,
    entry: tuple[DemoStore, Store, list[DemoProduct]],
    creators: list[int],
) -> WorldStore:
    demo, store, _ = entry
    # The demo creator works for the two demo stores, as the demo's own shows say.
    crew = (
        (creators[0],)
        if index < 2
        else tuple(int(c) for c in rng.choice(creators[1:], size=2, replace=False))
    )
    for creator in crew:
        await accounts.assign_creator(session, creator, store.id)
    return WorldStore(
        store.id,
        demo.market,
        demo.region,
        demo.category,
        demo.following,
        crew,
        favourite_slots(rng),
    )


def _details(
    rng: random.Random,
    past: Sequence[PastShow],
    by_store: dict[int, tuple[DemoStore, Store, list[DemoProduct]]],
    shoppers: list[int],
) -> list[ShowDetail]:
    earlier: dict[int, dict[str, int | None]] = {}
    details = []
    for show in past:
        seen = earlier.setdefault(show.store_id, {})

        def new_viewer(n: int, show_id: int = show.show_id) -> tuple[str, int | None]:
            if rng.random() < SIGNED_IN_SHARE:
                user = rng.choice(shoppers)
                return f"u{user}", user
            return anonymous_key(f"demo-{show_id}-{n}"), None

        products = by_store[show.store_id][2]
        detail = build_detail(rng, show, products, (list(seen.items()), new_viewer), shoppers)
        seen.update((v.key, v.user_id) for v in detail.visits)
        details.append(detail)
    return details
