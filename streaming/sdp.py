"""Checks on an SDP offer before a peer connection is spent on it."""

from __future__ import annotations

from server.errors import N_
from streaming.errors import BadOffer

MAX_SDP_BYTES = 64 * 1024
MEDIA_KINDS = ("audio", "video")


def media_kinds(sdp: str) -> list[str]:
    return [line[2:].split(" ", 1)[0] for line in sdp.splitlines() if line.startswith("m=")]


def check_offer(sdp: str, *, want_send: bool) -> list[str]:
    """The audio/video kinds of a usable offer; BadOffer says what is wrong otherwise.

    `want_send`: the offerer must send media (WHIP) rather than only receive (WHEP).
    """
    if not sdp.strip():
        raise BadOffer(reason=N_("the body is empty"))
    if len(sdp.encode()) > MAX_SDP_BYTES:
        raise BadOffer(reason=N_("it is too large"))
    if not sdp.lstrip().startswith("v=0"):
        raise BadOffer(reason=N_("it does not start with v=0"))
    kinds = [k for k in media_kinds(sdp) if k in MEDIA_KINDS]
    if not kinds:
        raise BadOffer(reason=N_("it has no audio or video section"))
    directions = [
        line.strip()[2:]
        for line in sdp.splitlines()
        if line.strip() in ("a=sendonly", "a=sendrecv", "a=recvonly", "a=inactive")
    ]
    if want_send and directions and not any(d in ("sendonly", "sendrecv") for d in directions):
        raise BadOffer(reason=N_("it sends no media"))
    return kinds
