"""Trickle ICE for WHIP and WHEP (RFC 9725 section 4.3, RFC 8840 fragments).

A client that does not wait for all of its ICE candidates before sending its offer sends
the rest afterwards in `PATCH` requests to its session URL, with
`Content-Type: application/trickle-ice-sdpfrag`. A fragment names the ICE credentials it
belongs to (`a=ice-ufrag`, `a=ice-pwd`), the media section (`a=mid`), candidates
(`a=candidate:…`) and possibly `a=end-of-candidates`. An ICE restart (new credentials,
or `If-Match: *`) is not supported: the client is told so and can start a new session.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from aiortc import RTCIceCandidate
from aiortc.sdp import candidate_from_sdp

SDPFRAG_TYPE = "application/trickle-ice-sdpfrag"
# A fragment is a few candidates; a client sending more is misbehaving.
MAX_FRAGMENT_BYTES = 16_384


class BadFragment(ValueError):
    """The fragment cannot be read at line `line`."""

    def __init__(self, line: int) -> None:
        super().__init__(f"line {line} of the fragment cannot be read")
        self.line = line


@dataclass
class Fragment:
    ufrag: str = ""
    pwd: str = ""
    candidates: list[RTCIceCandidate] = field(default_factory=list)
    end_of_candidates: bool = False


def parse_fragment(text: str, default_mid: str | None) -> Fragment:
    """Read an SDP fragment; candidates without an `a=mid` go to `default_mid` (with
    BUNDLE, every candidate belongs to the first media section)."""
    fragment = Fragment()
    mid = default_mid
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("a=ice-ufrag:"):
            fragment.ufrag = line.removeprefix("a=ice-ufrag:")
        elif line.startswith("a=ice-pwd:"):
            fragment.pwd = line.removeprefix("a=ice-pwd:")
        elif line.startswith("a=mid:"):
            mid = line.removeprefix("a=mid:")
        elif line.startswith("a=candidate:"):
            fragment.candidates.append(_candidate(line, number, mid))
        elif line == "a=end-of-candidates":
            fragment.end_of_candidates = True
        elif not line.startswith(("m=", "a=", "c=")):
            raise BadFragment(number)
    return fragment


def _candidate(line: str, number: int, mid: str | None) -> RTCIceCandidate:
    try:
        candidate = candidate_from_sdp(line.removeprefix("a=candidate:"))
    except (AssertionError, ValueError, IndexError) as exc:
        raise BadFragment(number) from exc
    if candidate.protocol.lower() not in ("udp", "tcp"):
        raise BadFragment(number)
    candidate.sdpMid = mid
    return candidate


def ice_ufrag(sdp: str) -> str:
    """The first `a=ice-ufrag` of a session description."""
    for line in sdp.splitlines():
        if line.startswith("a=ice-ufrag:"):
            return line.removeprefix("a=ice-ufrag:").strip()
    return ""
