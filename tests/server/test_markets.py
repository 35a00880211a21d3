"""The market directory: Korean search (initial consonants too), CSV import all or
nothing with problems named by line and column, a market's page, the home page's
"live near you" strip, and stores placed in markets without breaking their text."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from aiohttp import FormData
from aiohttp.test_utils import TestServer
from sqlalchemy import func, select

from server import keys
from server.accounts.models import Role, Store
from server.app import create_app
from server.markets import csv_import
from server.markets import service as markets
from server.markets.csv_import import ImportFailed
from server.markets.models import Market
from server.markets.regions import normalise_province
from server.markets.search import matches
from server.settings import Settings
from server.shows import lifecycle
from server.shows import service as shows
from tests.helpers import AppClient, csrf, login_as, make_merchant, make_show, make_user

HEADER = "name,province,district,address,description,specialities,opening_days,latitude,longitude\n"
GOOD = (
    HEADER
    + '망원시장,서울,마포구,포은로8길 14,골목 시장,"반찬, 닭강정",매일,37.5563,126.9066\n'
    + '자갈치시장,부산광역시,중구,,바다 앞 수산시장,"활어, 건어물",매일,35.0967,129.0306\n'
    + '정선아리랑시장,강원특별자치도,정선군,,산골 오일장,"곤드레, 더덕",2·7일 오일장,,\n'
)


def _market(name: str, district: str = "마포구", specialities: str = "") -> Market:
    return Market(
        name=name, province="서울", district=district, address="", specialities=specialities
    )


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("ㅁㅇ", True),  # initial consonants of 망원
        ("ㅁㅇㅅㅈ", True),
        ("망ㅇ", True),  # a syllable still being typed
        ("망원", True),
        ("마", True),
        ("원시", True),
        ("닭강정", True),  # a speciality
        ("마포 ㅁㅇ", True),  # every word must match somewhere
        ("ㄷㄱㅈ", True),  # 닭강정 by its initials
        ("ㅍㅈ", False),
        ("부산", False),
        ("망원 부산", False),
    ],
)
def test_korean_search_finds_by_syllables_and_initial_consonants(query: str, found: bool) -> None:
    assert matches(query, _market("망원시장", specialities="반찬, 닭강정")) is found


def test_province_names_short_and_full() -> None:
    assert normalise_province("서울특별시") == "서울"
    assert normalise_province("전북특별자치도") == "전북"
    assert normalise_province(" 경 기 ") == "경기"
    assert normalise_province("서울시청") is None
    assert normalise_province("광주시") is None  # 광주광역시 or 경기 광주시: refused


async def _count(client: AppClient) -> int:
    async with client.app[keys.sessionmaker]() as session:
        return int(await session.scalar(select(func.count(Market.id))) or 0)


async def test_a_good_file_imports_and_a_second_import_updates(any_db_settings: Settings) -> None:
    app = create_app(any_db_settings)
    server = TestServer(app)
    await server.start_server()
    try:
        async with app[keys.sessionmaker].begin() as session:
            report = await csv_import.import_markets(session, GOOD.encode("utf-8-sig"))
        assert (report.created, report.updated) == (3, 0)
        changed = GOOD.replace("골목 시장", "동네 골목 시장").encode("cp949")
        async with app[keys.sessionmaker].begin() as session:
            report = await csv_import.import_markets(session, changed)
        assert (report.created, report.updated) == (0, 3)
        async with app[keys.sessionmaker]() as session:
            listed = await markets.directory(session)
            busan = await markets.directory(session, province="부산")
        names = [x.market.name for x in listed]
        assert names == ["망원시장", "자갈치시장", "정선아리랑시장"]  # region order
        assert [x.market.name for x in busan] == ["자갈치시장"]
        mangwon = listed[0].market
        assert mangwon.description == "동네 골목 시장"
        assert mangwon.speciality_list == ["반찬", "닭강정"]
        assert listed[2].market.latitude is None and listed[2].market.province == "강원"
    finally:
        await server.close()


def test_a_bad_file_names_every_line_and_column_and_imports_nothing() -> None:
    bad = (
        HEADER
        + "망원시장,서울,마포구,,,,,37.5,126.9\n"
        + ",서울,종로구,,,,,,\n"  # line 3: no name
        + "서면시장,부산시청,부산진구,,,,,,\n"  # line 4: not a 시/도
        + "양동시장,광주,서구,,,,,135.1,126.9\n"  # line 5: latitude out of Korea
        + "통인시장,서울,종로구,,,,,37.58,\n"  # line 6: latitude without longitude
        + "망원시장,서울,마포구,,,,,,\n"  # line 7: the same market twice
    )
    with pytest.raises(ImportFailed) as caught:
        csv_import.parse(bad.encode())
    found = [(p.line, p.column) for p in caught.value.problems]
    assert found == [
        (3, "name"),
        (4, "province"),
        (5, "latitude"),
        (6, "longitude"),
        (7, "name"),
    ]
    assert caught.value.problems[-1].params == {"first": 2}


def test_a_bad_header_and_korean_headers() -> None:
    with pytest.raises(ImportFailed) as caught:
        csv_import.parse("name,province,distrct\n망원시장,서울,마포구\n".encode())
    assert [(p.line, p.column) for p in caught.value.problems] == [
        (1, "distrct"),
        (1, "district"),
    ]
    rows = csv_import.parse("이름,시도,시군구,장날\n망원시장,서울특별시,마포구,매일\n".encode())
    assert rows[0].values["province"] == "서울" and rows[0].values["opening_days"] == "매일"
    with pytest.raises(ImportFailed):
        csv_import.parse(b"\xff\xfe\x00garbage")


def _upload(text: str, token: str) -> FormData:
    form = FormData()
    form.add_field("_csrf", token)
    form.add_field("file", text.encode(), filename="markets.csv", content_type="text/csv")
    return form


async def test_operators_import_on_the_page_and_see_the_problems(client: AppClient) -> None:
    operator = await make_user(client.app, Role.OPERATOR)
    merchant, _ = await make_merchant(client.app)
    await login_as(client, merchant)
    refused = await client.post("/ops/markets/import", data=_upload(GOOD, csrf(client)))
    assert refused.status == 403
    await client.post("/logout", data={"_csrf": csrf(client)})
    await login_as(client, operator)
    bad = GOOD + "광장시장,서울시청,종로구,,,,,,\n"
    resp = await client.post("/ops/markets/import", data=_upload(bad, csrf(client)))
    page = await resp.text()
    assert resp.status == 422
    assert "아무것도 가져오지 않았습니다" in page
    assert "<td>5</td><td>province</td>" in page and "시/도가 아닙니다" in page
    assert await _count(client) == 0
    resp = await client.post("/ops/markets/import", data=_upload(GOOD, csrf(client)))
    assert resp.status == 200 and "새 시장 3곳" in await resp.text()
    assert await _count(client) == 3


async def _seed(client: AppClient) -> None:
    async with client.app[keys.sessionmaker].begin() as session:
        await csv_import.import_markets(session, GOOD.encode())


async def test_directory_search_and_a_markets_page(client: AppClient) -> None:
    await _seed(client)
    merchant, store = await make_merchant(client.app, "할매 반찬")
    creator = await make_user(client.app, Role.CREATOR)
    async with client.app[keys.sessionmaker].begin() as session:
        mangwon = (await markets.directory(session, query="망원"))[0].market
        stored = await session.get(Store, store.id)
        assert stored is not None
        await markets.set_store_market(session, stored, mangwon.id)
    live = await make_show(client.app, store, [creator], title="김장 라이브")
    async with client.app[keys.sessionmaker].begin() as session:
        show = await shows.get_show(session, live.id)
        lifecycle.apply(show, "start", show.scheduled_start)
    page = await (await client.get("/markets?q=ㅁㅇ")).text()
    assert page.count('data-testid="market-card"') == 1 and "망원시장" in page
    assert "1곳 라이브 중" in page
    none = await (await client.get("/markets?q=ㅋㅋㅋ")).text()
    assert 'data-testid="no-market"' in none
    found = await (await client.get("/api/markets", params={"q": "ㅈㄱㅊ"})).json()
    assert [m["name"] for m in found] == ["자갈치시장"] and found[0]["province"] == "부산"
    market_page = await (await client.get(f"/markets/{mangwon.slug}")).text()
    live_part = market_page.split('data-testid="market-live"')[1].split("</section>")[0]
    assert "김장 라이브" in live_part
    assert "할매 반찬" in market_page.split('data-testid="market-stores"')[1]
    assert (await client.get("/markets/no-such-market")).status == 404
    # The store's own text follows the market, so pages grouping by it keep working.
    async with client.app[keys.sessionmaker]() as session:
        stored = await session.get(Store, store.id)
    assert stored is not None and (stored.market, stored.region) == ("망원시장", "서울 마포구")
    _ = merchant


async def test_home_strip_puts_the_visitors_region_first(client: AppClient) -> None:
    await _seed(client)
    titles = {}
    for market_name, store_name in (("자갈치시장", "부산 어묵"), ("망원시장", "망원 떡집")):
        _, store = await make_merchant(client.app, store_name)
        async with client.app[keys.sessionmaker].begin() as session:
            market = (await markets.directory(session, query=market_name))[0].market
            stored = await session.get(Store, store.id)
            assert stored is not None
            await markets.set_store_market(session, stored, market.id)
        show = await make_show(client.app, store, title=f"{store_name} 라이브")
        async with client.app[keys.sessionmaker].begin() as session:
            moved = await shows.get_show(session, show.id)
            lifecycle.apply(moved, "start", moved.scheduled_start)
        titles[market_name] = show.title
    _, independent = await make_merchant(client.app, "공방")
    solo = await make_show(client.app, independent, title="공방 라이브")
    async with client.app[keys.sessionmaker].begin() as session:
        moved = await shows.get_show(session, solo.id)
        lifecycle.apply(moved, "start", moved.scheduled_start)

    def strip(page: str) -> str:
        return page.split('data-testid="live-near"')[1].split("</section>")[0]

    home = strip(await (await client.get("/")).text())
    assert "공방 라이브" not in home  # not in a market
    await client.post(
        "/markets/region", data={"province": "부산", "next": "/", "_csrf": csrf(client)}
    )
    home = strip(await (await client.get("/")).text())
    assert "내 주변 시장" in home and "(부산)" in home
    assert home.index(titles["자갈치시장"]) < home.index(titles["망원시장"])
    # The phone's position picks the nearest market (망원 from Hongdae).
    near = await client.get("/markets-near?lat=37.556&lng=126.923", allow_redirects=False)
    assert unquote(near.headers["Location"]).startswith("/markets/서울-마포구-망원시장")
    home = strip(await (await client.get("/")).text())
    assert home.index(titles["망원시장"]) < home.index(titles["자갈치시장"])


async def test_a_merchant_moves_their_store_between_markets(client: AppClient) -> None:
    await _seed(client)
    merchant, store = await make_merchant(client.app, "떡집")
    creator = await make_user(client.app, Role.CREATOR)
    async with client.app[keys.sessionmaker]() as session:
        jagalchi = (await markets.directory(session, query="자갈치"))[0].market
    await login_as(client, creator)
    assert (await client.get("/merchant/market")).status == 403
    await client.post("/logout", data={"_csrf": csrf(client)})
    await login_as(client, merchant)
    resp = await client.post(
        "/merchant/market", data={"market_id": str(jagalchi.id), "_csrf": csrf(client)}
    )
    assert "자갈치시장 · 부산 중구" in await resp.text()
    bad = await client.post("/merchant/market", data={"market_id": "999", "_csrf": csrf(client)})
    assert bad.status == 422 and "목록에서 시장을 고르세요" in await bad.text()
    await client.post("/merchant/market", data={"market_id": "none", "_csrf": csrf(client)})
    async with client.app[keys.sessionmaker]() as session:
        stored = await session.get(Store, store.id)
        assert await markets.market_of_store(session, store.id) is None
    assert stored is not None and stored.market == "" and stored.region == "부산 중구"
