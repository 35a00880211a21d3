"""Each insight figure computed from a small history with known answers: pins from the
journal, what sells, who stays, returning viewers, the heatmap with its k ≥ 5 rule,
the advice sentences and the CSV writer."""

from __future__ import annotations

import datetime as dt

from server.analytics.insights.advice import has_final_consonant, product_advice, with_topic
from server.analytics.insights.besttime import heatmap
from server.analytics.insights.peers import Scope, StoreProfile, market_key, peer_group
from server.analytics.insights.products import product_insights
from server.analytics.insights.records import PastShow, ShowPlan
from server.analytics.insights.retention import (
    departures,
    retention_curve,
    returning_viewers,
)
from server.analytics.insights.sources import SaleWindow, SoldLine
from server.analytics.insights.timeline import ShowSpan, Visit, pin_intervals
from server.csv_export import csv_bytes, safe_cell
from server.i18n import SEOUL

T0 = dt.datetime(2026, 11, 17, 11, 0, tzinfo=dt.UTC)  # a Tuesday, 20:00 in Seoul
MIN = 60_000


def minutes(n: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=n)


def pinned(product_id: int, name: str) -> dict[str, object]:
    return {"product": {"id": product_id, "name": name}, "sale": None}


SHOW = ShowSpan(1, "김장 라이브", T0, 30 * MIN)
EVENTS = [
    ("product:pinned", 0, pinned(1, "김장 김치 2kg")),
    ("product:pinned", 5 * MIN, pinned(1, "김장 김치 2kg")),  # its flash sale re-pins it
    ("product:pinned", 10 * MIN, pinned(2, "총각김치")),
    ("product:unpinned", 15 * MIN, {}),
    ("product:pinned", 20 * MIN, pinned(1, "김장 김치 2kg")),
]


def test_pins_come_from_the_journal() -> None:
    pins = pin_intervals(SHOW, EVENTS)
    assert [(p.product_id, p.start_ms // MIN, p.end_ms // MIN) for p in pins] == [
        (1, 0, 10),
        (2, 10, 15),
        (1, 20, 30),  # the show's end ends the last pin
    ]


def line(order_id: int, product_id: int, at: float, buyer: int, revenue: int) -> SoldLine:
    name = "김장 김치 2kg" if product_id == 1 else "총각김치"
    return SoldLine(1, order_id, buyer, product_id, name, 1, revenue, minutes(at))


def test_what_sells_per_product() -> None:
    pins = pin_intervals(SHOW, EVENTS)
    lines = [
        line(1, 1, 3, buyer=7, revenue=29_000),  # kimchi, pinned
        line(2, 1, 17, buyer=8, revenue=29_000),  # kimchi, not pinned, before its sale
        line(3, 2, 12, buyer=7, revenue=18_000),  # chonggak, pinned
        line(4, 1, 22, buyer=9, revenue=23_000),  # kimchi in its sale
        line(5, 1, 23, buyer=9, revenue=23_000),  # kimchi in its sale, same buyer
        line(6, 2, 25, buyer=8, revenue=18_000),  # chonggak, not pinned
    ]
    sale = SaleWindow(1, 1, minutes(20), minutes(25))  # the 5 minutes before: 15–20
    visits = {
        1: [
            Visit("a", 0, 30 * MIN),
            Visit("b", 0, 8 * MIN),
            Visit("c", 16 * MIN, 18 * MIN),  # saw no product pinned
            Visit("d", 11 * MIN, 14 * MIN),  # saw only the chonggak
        ]
    }
    kimchi, chonggak = product_insights([SHOW], pins, lines, [sale], visits)
    assert (kimchi.name, kimchi.times_pinned, kimchi.minutes_pinned) == ("김장 김치 2kg", 2, 20.0)
    assert (len(kimchi.orders_pinned), len(kimchi.orders_unpinned)) == (3, 1)
    assert kimchi.viewers_pinned == 2  # a and b
    assert kimchi.conversion_pinned == 1.0  # buyers 7 and 9 of 2 viewers
    assert kimchi.revenue_per_pinned_minute == (29_000 + 23_000 + 23_000) // 20
    assert kimchi.sale_rate == 2 / 5 and kimchi.before_rate == 1 / 5
    assert kimchi.uplift == 2.0
    assert (chonggak.times_pinned, chonggak.minutes_pinned) == (1, 5.0)
    assert (len(chonggak.orders_pinned), len(chonggak.orders_unpinned)) == (1, 1)
    assert chonggak.viewers_pinned == 2 and chonggak.conversion_pinned == 0.5  # a, d
    assert chonggak.revenue_per_pinned_minute == 18_000 // 5
    assert chonggak.uplift is None  # never on sale

    advice = product_advice([kimchi, chonggak])
    assert advice[0].params["name_eun"] == "김장 김치 2kg은"
    assert advice[0].params["rate"] == f"{3 / 20:.1f}"  # 3 orders in 20 pinned minutes
    assert advice[1].params["name"] == "총각김치"  # the bottom one
    assert advice[-1].params["uplift"] == "2.0"


def test_korean_particles_follow_the_sound_of_the_name() -> None:
    assert has_final_consonant("김장 김치") is False
    assert has_final_consonant("총각 김밥") is True
    assert with_topic("원목 도마 (대)") == "원목 도마 (대)는"
    assert with_topic("김장 김치 2kg") == "김장 김치 2kg은"  # 킬로그램
    assert with_topic("사과 5") == "사과 5는"  # 오
    assert with_topic("도마 3") == "도마 3은"  # 삼
    assert with_topic("★") == "★은(는)"


def test_who_stays() -> None:
    show = ShowSpan(2, "저녁 라이브", T0, 60 * MIN)
    visits = [
        Visit("a", 0, 10 * MIN),
        Visit("b", 0, 20 * MIN),
        Visit("c", 0, 60 * MIN),  # to the end
        Visit("d", 50 * MIN, 60 * MIN),  # joined late, to the end: no leaving
        Visit("e", 0, 5 * MIN),
        Visit("e", 5 * MIN + 30_000, 30 * MIN),  # a reconnect: one stay of 30 minutes
        Visit("f", 0, 10 * MIN + 30_000),
    ]
    curve = {p.minute: p for p in retention_curve(show, visits)}
    # Kaplan–Meier over first stays of 10 (a, left), 10 (d, still there at the end),
    # 10.5 (f), 20 (b), 30 (e) and 60 minutes (c, to the end).
    assert curve[10].share == 1.0 and curve[10].at_risk == 6
    assert curve[11].share == round(5 / 6 * 3 / 4, 4) and curve[11].at_risk == 3
    assert curve[21].share == round(5 / 6 * 3 / 4 * 2 / 3, 4)
    assert curve[31].share == round(5 / 6 * 3 / 4 * 2 / 3 * 1 / 2, 4)
    assert curve[60].share == curve[31].share
    pins = pin_intervals(show, [("product:pinned", 9 * MIN, pinned(1, "김장 김치"))])
    top = departures(show, visits, pins)
    assert [(d.minute, d.viewers_left, d.pinned) for d in top] == [
        (10, 2, "김장 김치"),
        (20, 1, "김장 김치"),
        (30, 1, "김장 김치"),
    ]
    assert top[0].watching == 4  # b, c, e and f; a has just gone, d is yet to come


def test_returning_viewers_watched_an_earlier_show_of_the_store() -> None:
    found = returning_viewers([(1, {"a", "b"}), (2, {"b", "c"}), (3, {"a", "c", "d"})])
    assert [(r.viewers, r.returning) for r in found] == [(2, 0), (2, 1), (3, 2)]
    assert round(found[2].share, 3) == 0.667


def show(show_id: int, store_id: int, local: dt.datetime, peak: int, orders: int) -> PastShow:
    plan = ShowPlan(store_id, local.astimezone(dt.UTC), 60, "", "food", 2, 20_000, 0, ())
    return PastShow(show_id, plan, peak, orders, orders * 20_000)


def profiles(markets: dict[int, str]) -> dict[int, StoreProfile]:
    return {
        store: StoreProfile(store, market_key(m, "서울 마포구"), m, "food")
        for store, m in markets.items()
    }


def test_best_time_needs_five_other_stores_in_a_cell() -> None:
    tuesday_8pm = dt.datetime(2026, 11, 17, 20, 0, tzinfo=SEOUL)
    wednesday_noon = dt.datetime(2026, 11, 18, 12, 0, tzinfo=SEOUL)
    shows = [show(i, i, tuesday_8pm, 10 * i, i) for i in range(1, 6)]  # stores 1–5
    shows += [show(10 + i, i, wednesday_noon, 50, 5) for i in range(1, 5)]  # only 4 stores
    shows += [show(20, 0, tuesday_8pm, 99, 9), show(21, 0, wednesday_noon, 5, 1)]  # own
    group = peer_group(profiles({i: "망원시장" for i in range(6)}), 0, Scope.PLATFORM)
    hm = heatmap(shows, 0, group, block=1)
    tuesday = hm.cell(1, 20)
    assert tuesday.peers.mean_viewers == 30.0 and tuesday.peers.mean_orders == 3.0
    assert tuesday.own.shows == 1 and tuesday.own.mean_orders == 9.0
    wednesday = hm.cell(2, 12)
    assert wednesday.peers.shows == 4 and wednesday.peers.mean_orders is None
    assert wednesday.own.shows == 1  # the merchant always sees their own
    assert hm.best is tuesday
    assert hm.by_weekday[1].mean_orders == 3.0 and hm.by_weekday[2].mean_orders is None


def test_a_peer_group_of_four_shows_nothing() -> None:
    tuesday_8pm = dt.datetime(2026, 11, 17, 20, 0, tzinfo=SEOUL)
    markets = {0: "망원시장", 1: "망원시장", 2: "망원시장", 3: "망원시장", 4: "망원시장"}
    markets |= {5: "통인시장", 6: "통인시장"}
    shows = [show(i, i, tuesday_8pm, 10, 1) for i in range(7)]
    group = peer_group(profiles(markets), 0, Scope.MARKET)
    assert group.store_ids == {1, 2, 3, 4} and not group.enough
    hm = heatmap(shows, 0, group, block=1)
    assert hm.visible_cells == [] and hm.best is None and hm.peer_shows == 0
    assert all(t.mean_orders is None for t in hm.by_weekday)
    assert hm.cell(1, 20).own.shows == 1
    platform = heatmap(shows, 0, peer_group(profiles(markets), 0, Scope.PLATFORM), block=1)
    assert platform.cell(1, 20).peers.mean_orders == 1.0  # six other stores there


def test_markets_of_one_name_in_two_regions_are_two_markets() -> None:
    assert market_key("중앙시장", "강원 강릉시") != market_key("중앙시장", "충북 제천시")
    assert market_key(" 망원  시장", "서울 마포구") == market_key("망원 시장", "서울 마포구")
    assert market_key("", "서울") == ""


def test_csv_cells_that_would_run_as_formulas_are_neutralised() -> None:
    assert safe_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert [safe_cell(v) for v in ("+1", "-1", "@SUM(A1)", "\t=1")] == [
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\t=1",
    ]
    assert safe_cell(-3.5) == -3.5 and safe_cell(None) == "" and safe_cell("김치") == "김치"
    body = csv_bytes(["상품", "=x"], [["=cmd|' /C calc'!A0", -2]]).decode()
    assert body.startswith("\ufeff") and "'=cmd" in body and ",-2" in body and "'=x" in body
