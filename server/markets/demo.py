"""Demo markets for `make run`: a dozen traditional markets across the country, and the
demo side-dish shop placed in 망원시장."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from server.accounts.models import Store
from server.markets.models import Market
from server.markets.service import set_store_market, unique_slug

# name, 시/도, 시/군/구, address, character, specialities, opening days, latitude, longitude
DEMO_MARKETS = (
    ("망원시장", "서울", "마포구", "서울 마포구 포은로8길 14",
     "동네 사람들이 장바구니 들고 오는 골목 시장. 고로케와 닭강정 줄이 길다.",
     "반찬, 닭강정, 고로케, 떡", "매일 09:00–21:00", 37.5563, 126.9066),
    ("광장시장", "서울", "종로구", "서울 종로구 창경궁로 88",
     "1905년에 문을 연 서울의 오래된 상설시장. 빈대떡과 한복 원단으로 이름났다.",
     "빈대떡, 육회, 한복 원단, 구제 의류", "매일 09:00–23:00", 37.5700, 126.9996),
    ("통인시장", "서울", "종로구", "서울 종로구 자하문로15길 18",
     "서촌 골목의 작은 시장. 엽전으로 도시락을 채우는 재미가 있다.",
     "기름떡볶이, 엽전 도시락, 반찬", "매일 (셋째 일요일 휴무)", 37.5806, 126.9700),
    ("자갈치시장", "부산", "중구", "부산 중구 자갈치해안로 52",
     "바다 바로 앞의 수산시장. '오이소, 보이소, 사이소'의 억센 목소리가 살아 있다.",
     "활어, 건어물, 꼼장어", "매일 05:00–22:00 (첫째·셋째 화요일 휴무)", 35.0967, 129.0306),
    ("부평깡통시장", "부산", "중구", "부산 중구 부평1길 48",
     "통조림 깡통을 팔던 데서 이름이 붙은 시장. 밤에는 야시장이 열린다.",
     "어묵, 유부주머니, 수입 식품", "매일 09:00–20:00, 야시장 19:30–24:00", 35.1013, 129.0265),
    ("서문시장", "대구", "중구", "대구 중구 큰장로26길 45",
     "조선 3대 시장의 하나. 원단과 주단 골목이 넓게 이어진다.",
     "원단, 납작만두, 칼국수, 한복", "매일 (둘째·넷째 일요일 휴무)", 35.8690, 128.5808),
    ("신포국제시장", "인천", "중구", "인천 중구 우현로49번길 11-5",
     "개항기 푸성귀 장에서 시작한 시장. 닭강정과 공갈빵이 유명하다.",
     "닭강정, 공갈빵, 쫄면", "매일 10:00–21:00", 37.4720, 126.6235),
    ("양동시장", "광주", "서구", "광주 서구 천변좌로 238",
     "호남 최대의 전통시장. 홍어와 건어물, 폐백 음식 골목이 있다.",
     "홍어, 건어물, 폐백 음식, 통닭", "매일 07:00–20:00 (둘째 일요일 휴무)", 35.1543, 126.9011),
    ("대전중앙시장", "대전", "동구", "대전 동구 대전로 783",
     "대전역 앞에 펼쳐진 큰 시장. 한복과 먹자골목이 나란히 있다.",
     "한복, 순대, 칼국수", "매일 09:00–20:00", 36.3297, 127.4312),
    ("수원 못골시장", "경기", "수원시", "경기 수원시 팔달구 지동",
     "상인들이 직접 라디오 방송을 하는 시장. 반찬 가게가 줄지어 있다.",
     "반찬, 떡, 순대", "매일 09:00–20:30", 37.2794, 127.0190),
    ("정선아리랑시장", "강원", "정선군", "강원 정선군 정선읍 5일장길 37",
     "산골 오일장. 장날이면 곤드레와 더덕을 들고 할머니들이 모인다.",
     "곤드레, 더덕, 메밀전병, 콧등치기국수", "2·7일 오일장 (상설 점포 매일)", 37.3807, 128.6605),
    ("전주 남부시장", "전북", "전주시", "전북 전주시 완산구 풍남문1길 19-3",
     "풍남문 옆의 시장. 콩나물국밥 골목과 청년몰이 함께 있다.",
     "콩나물국밥, 피순대, 청년몰 공예품", "매일, 금·토 야시장", 35.8150, 127.1460),
    ("안동 구시장", "경북", "안동시", "경북 안동시 번영1길 15",
     "찜닭 골목으로 전국에 알려진 시장. 간고등어도 여기서 산다.",
     "찜닭, 간고등어, 안동 식혜", "매일 09:00–21:00", 36.5664, 128.7290),
    ("제주 동문재래시장", "제주", "제주시", "제주 제주시 관덕로14길 20",
     "제주에서 가장 오래된 상설시장. 귤과 옥돔, 밤이면 야시장.",
     "감귤, 옥돔, 오메기떡, 흑돼지", "매일 08:00–21:00, 야시장 18:00–24:00", 33.5118, 126.5266),
)  # fmt: skip


async def seed_markets(session: AsyncSession, homes: dict[str, str] | None = None) -> None:
    """Create the demo markets; `homes` puts stores (by slug) in markets (by name)."""
    for name, province, district, address, about, specials, days, lat, lng in DEMO_MARKETS:
        session.add(
            Market(
                name=name,
                slug=await unique_slug(session, province, district, name),
                province=province,
                district=district,
                address=address,
                description=about,
                specialities=specials,
                opening_days=days,
                latitude=lat,
                longitude=lng,
            )
        )
        await session.flush()
    for store_slug, market_name in (homes or {}).items():
        store = await session.scalar(select(Store).where(Store.slug == store_slug))
        market_id = await session.scalar(select(Market.id).where(Market.name == market_name))
        if store is not None and market_id is not None:
            await set_store_market(session, store, market_id)
