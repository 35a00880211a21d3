"""Message text rules: characters, length, emptiness, banned words and links.

Banned words are matched after normalising case, width (full-width Ｂａｄ is bad) and
spacing (b a d is bad), so the usual tricks do not get around a list.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from chat.errors import BadCharacters, EmptyMessage, MessageTooLong

MAX_MESSAGE_CHARS = 200
MAX_WORD_CHARS = 80
# Anything that a browser or a chat app would turn into a link.
_LINK = re.compile(
    r"(https?://|www\.|\b[\w-]+\.(com|net|org|kr|io|co|me|ly|shop|store|link|xyz|info)\b)",
    re.IGNORECASE,
)
_IGNORED = re.compile(r"[\s\W_]+", re.UNICODE)
# Line breaks and tabs are spacing a pasted text may carry; a message is one line.
_SPACING = re.compile(r"[\t\n\r]")
# Control characters (NUL among them) and lone UTF-16 surrogates (half an emoji, or a
# forged escape): no page can show them and no database stores a lone surrogate.
_UNSHOWABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def check_characters(text: str) -> str:
    """`text`, or an error if it holds a character that cannot be shown or stored."""
    if _UNSHOWABLE.search(text):
        raise BadCharacters()
    return text


def clean_message(raw: str) -> str:
    """The text to store, or an error for an unshowable, empty or too long message."""
    text = _SPACING.sub(" ", check_characters(raw)).strip()
    if not text:
        raise EmptyMessage()
    if len(text) > MAX_MESSAGE_CHARS:
        raise MessageTooLong(max=MAX_MESSAGE_CHARS)
    return text


def normalise(text: str) -> str:
    """Full-width to half-width, lower case, and no spaces or punctuation."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _IGNORED.sub("", folded)


def contains_banned(text: str, words: Iterable[str]) -> bool:
    flat = normalise(text)
    return any(word and word in flat for word in words)


def has_link(text: str) -> bool:
    return bool(_LINK.search(unicodedata.normalize("NFKC", text)))
