"""Every CSV export goes through one writer that keeps a spreadsheet from running a
cell as a formula (issue 16, item 7): a store, a show and a product named like
`=HYPERLINK("http://x")` come out as text in each file."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from server.accounts.models import Role
from server.csv_export import FORMULA_STARTS
from server.db import utcnow
from tests.analytics.seeding import ended_show, paid_order, seeded_store, visit
from tests.helpers import AppClient, login_as, make_user

PAYLOAD = '=HYPERLINK("http://x")'
MERCHANT_EXPORTS = [
    "/shows/{show}/analytics.csv",
    "/merchant/analytics?format=csv",
    "/merchant/orders.csv",
    "/merchant/insights/best-time.csv",
    "/merchant/insights/products.csv",
    "/merchant/insights/returning.csv",
    "/shows/{show}/insights/retention.csv",
    "/shows/{show}/insights/viewers.csv",
    "/shows/{show}/insights/departures.csv",
]
OPERATOR_EXPORTS = ["/ops/analytics?format=csv"]
# /merchant/insights/forecast.csv needs a trained forecast (tests/analytics covers the
# file itself); it is written by the same `csv_response`.
# The files that carry the store's, the show's or the product's name.
NAMED = {
    "/shows/{show}/analytics.csv",
    "/merchant/analytics?format=csv",
    "/ops/analytics?format=csv",
    "/merchant/orders.csv",
    "/merchant/insights/products.csv",
}


async def _seeded(client: AppClient) -> tuple[int, object]:
    app = client.app
    own = await seeded_store(app, PAYLOAD, "-망원시장")
    show = await ended_show(app, own.store, utcnow() - dt.timedelta(days=3), title="@SUM(1+1)")
    await visit(app, show, "a", 0, 30)
    await paid_order(app, show, own.product, await make_user(app, name="+82 민수"), 5)
    return show.id, own.merchant


def _cells(body: str) -> list[str]:
    assert body.startswith("\ufeff"), "no byte-order mark: Excel would garble Korean"
    return [c for row in csv.reader(io.StringIO(body[1:])) for c in row]


@pytest.mark.parametrize("path", MERCHANT_EXPORTS + OPERATOR_EXPORTS)
async def test_no_cell_of_an_export_runs_as_a_formula(client: AppClient, path: str) -> None:
    show_id, merchant = await _seeded(client)
    viewer = merchant if path in MERCHANT_EXPORTS else await make_user(client.app, Role.OPERATOR)
    await login_as(client, viewer)  # type: ignore[arg-type]
    resp = await client.get(path.format(show=show_id))
    assert resp.status == 200, await resp.text()
    assert resp.content_type == "text/csv"
    cells = _cells(await resp.text())
    dangerous = [c for c in cells if c.startswith(FORMULA_STARTS)]
    assert dangerous == []
    if path in NAMED:
        assert any(c.startswith("'" + PAYLOAD) for c in cells), cells


def test_what_counts_as_a_formula() -> None:
    from server.csv_export import csv_bytes, safe_cell

    for text in (PAYLOAD, "+1", "-1", "@A1", "\t=1", "\r=1", "\n=1", "＝1+1"):
        assert safe_cell(text) == "'" + text
    assert safe_cell(-3) == -3 and safe_cell(None) == "" and safe_cell("김치 =1") == "김치 =1"
    assert csv_bytes(["이름"], [[PAYLOAD]]).decode().startswith("\ufeff이름")
