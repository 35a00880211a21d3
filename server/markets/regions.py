"""Korea's 17 first-level regions (시/도), in the short form people write on a sign
("서울 마포구"), and the spellings an import file may use for them."""

from __future__ import annotations

# In the order Statistics Korea lists them; the directory's region filter keeps it.
PROVINCES = (
    "서울",
    "부산",
    "대구",
    "인천",
    "광주",
    "대전",
    "울산",
    "세종",
    "경기",
    "강원",
    "충북",
    "충남",
    "전북",
    "전남",
    "경북",
    "경남",
    "제주",
)

# "광주시" is left out on purpose: it is also a city in 경기.
_FULL_NAMES = {
    "서울특별시": "서울",
    "서울시": "서울",
    "부산광역시": "부산",
    "부산시": "부산",
    "대구광역시": "대구",
    "대구시": "대구",
    "인천광역시": "인천",
    "인천시": "인천",
    "광주광역시": "광주",
    "대전광역시": "대전",
    "대전시": "대전",
    "울산광역시": "울산",
    "울산시": "울산",
    "세종특별자치시": "세종",
    "세종시": "세종",
    "경기도": "경기",
    "강원도": "강원",
    "강원특별자치도": "강원",
    "충청북도": "충북",
    "충청남도": "충남",
    "전라북도": "전북",
    "전북특별자치도": "전북",
    "전라남도": "전남",
    "경상북도": "경북",
    "경상남도": "경남",
    "제주도": "제주",
    "제주특별자치도": "제주",
}


def normalise_province(raw: str) -> str | None:
    """The short name of a 시/도 written either way; None if it is not one."""
    text = "".join(raw.split())
    if text in PROVINCES:
        return text
    return _FULL_NAMES.get(text)


def region_text(province: str, district: str) -> str:
    """How a store's region reads ("서울 마포구"), the text other features group by."""
    return f"{province} {district}".strip()
