"""A traditional market, and which market a store belongs to."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base, UTCDateTime, utcnow
from server.markets.regions import region_text


class Market(Base):
    __tablename__ = "markets"
    # One market per name within a district: the key an import updates by.
    __table_args__ = (UniqueConstraint("province", "district", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    province: Mapped[str] = mapped_column(String(20), index=True)  # 시/도, short form
    district: Mapped[str] = mapped_column(String(40))  # 시/군/구
    address: Mapped[str] = mapped_column(String(255), default="")
    description: Mapped[str] = mapped_column(Text, default="")  # the market's character
    # Comma-separated, as people list them: "떡, 반찬, 건어물".
    specialities: Mapped[str] = mapped_column(Text, default="")
    # Free text: "매일 09:00–21:00, 첫째·셋째 일요일 휴무" or "2·7일 오일장".
    opening_days: Mapped[str] = mapped_column(String(200), default="")
    photo_path: Mapped[str | None] = mapped_column(String(255), default=None)
    latitude: Mapped[float | None] = mapped_column(Float, default=None)
    longitude: Mapped[float | None] = mapped_column(Float, default=None)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def speciality_list(self) -> list[str]:
        return [s.strip() for s in self.specialities.split(",") if s.strip()]

    @property
    def region(self) -> str:
        return region_text(self.province, self.district)


class StoreMarket(Base):
    """A store in a market. A store without a row is independent (a smart store, a
    workshop). Kept apart from `stores` so the store's own table stays as it is; the
    store's `market` and `region` text columns are filled from here."""

    __tablename__ = "store_markets"

    store_id: Mapped[int] = mapped_column(
        ForeignKey("stores.id", ondelete="CASCADE"), primary_key=True
    )
    market_id: Mapped[int] = mapped_column(ForeignKey("markets.id", ondelete="CASCADE"), index=True)
