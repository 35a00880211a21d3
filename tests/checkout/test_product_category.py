"""A product's category: chosen in the merchant's product form, kept, shown again when
editing, and refused when it is not one of the list (insights compare stores by it)."""

from __future__ import annotations

from sqlalchemy import select

from checkout.models import Product
from server import keys
from tests.helpers import AppClient, csrf, login_as, make_merchant


async def test_the_merchant_chooses_a_category(client: AppClient) -> None:
    merchant, store = await make_merchant(client.app, "망원 반찬")
    await login_as(client, merchant)
    form = await (await client.get("/merchant/products")).text()
    assert "반찬·먹거리" in form and "공예·생활" in form
    made = await client.post(
        "/merchant/products",
        data={"_csrf": csrf(client), "name": "김장 김치", "price": "29000", "category": "food"},
    )
    assert made.status == 200
    async with client.app[keys.sessionmaker]() as session:
        product = await session.scalar(select(Product).where(Product.store_id == store.id))
    assert product is not None and product.category == "food"
    edit = await (await client.get(f"/merchant/products/{product.id}/edit")).text()
    assert '<option value="food" selected>' in edit

    refused = await client.post(
        "/merchant/products",
        data={"_csrf": csrf(client), "name": "총각김치", "price": "18000", "category": "=cmd"},
    )
    assert refused.status == 422 and "목록에서 품목을 골라 주세요" in await refused.text()
    cleared = await client.post(
        f"/merchant/products/{product.id}/edit",
        data={"_csrf": csrf(client), "name": "김장 김치", "price": "29000", "category": ""},
    )
    assert cleared.status in (200, 303)
    async with client.app[keys.sessionmaker]() as session:
        assert await session.scalar(select(Product.category).where(Product.id == product.id)) == ""
