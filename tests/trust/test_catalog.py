"""The catalogs are merged into one per language: a word trust.po translates must mean
the same as wherever another catalog translates it, or one page shows the other's."""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

CATALOGS = Path(__file__).resolve().parents[2] / "translations" / "ko" / "LC_MESSAGES"


def _words(path: Path) -> dict[str, str]:
    with path.open("rb") as fh:
        return {str(m.id): str(m.string) for m in read_po(fh, locale="ko") if m.id and m.string}


def test_trust_words_agree_with_the_other_catalogs() -> None:
    ours = _words(CATALOGS / "trust.po")
    clashes = [
        (other.name, msgid, theirs[msgid], ours[msgid])
        for other in sorted(CATALOGS.glob("*.po"))
        if other.name != "trust.po"
        for theirs in [_words(other)]
        for msgid in ours.keys() & theirs.keys()
        if theirs[msgid] != ours[msgid]
    ]
    assert clashes == []
