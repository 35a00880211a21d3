"""The only place that reaches inside aiortc.

aiortc has no public hook for the two things a forwarding unit needs, so they are made
here, on single instances, and nowhere else:

* `tap_receiver`: the publisher's `RTCRtpReceiver` reassembles each encoded frame in its
  jitter buffer and hands `(codec, JitterFrame)` to a decoder thread through a queue.
  We swap that queue for one that passes the *encoded* frame to us instead, so the
  server never decodes. The end-of-stream marker (None) still reaches the idle decoder
  thread, which then ends the remote track as usual.
* `feed_sender`: a viewer's `RTCRtpSender` runs `_run_rtp`, which takes frames from its
  track, builds an encoder to encode (or `pack`) them, then makes one `RtpPacket` object
  per packet. We run a leaner loop in its place: frames arrive already packetized once
  for every viewer, so no encoder is ever built, and per viewer and packet only the RTP
  header is rewritten (sequence number, marker) before SRTP and the send. The header
  with its extensions is serialized once per frame. NACKed packets are resent from our
  own history, keyframe requests (PLI/FIR) go to a callback, and the counters behind
  the sender's RTCP sender reports are kept up to date.
* `packetize_vp8`, `packetize_h264`, `split_h264`: the encoders' RTP payloaders, used
  without building an encoder.
* `accept_rsa_peers`: aiortc's DTLS context offers only ECDHE-ECDSA suites, so a peer
  with an RSA certificate (GStreamer's `webrtcbin`, many hardware encoders) that takes
  the DTLS server role fails with "no shared cipher". The connection's certificates get
  a context that also offers the ECDHE-RSA suites. `use_rsa_certificate` makes an aiortc
  peer look like such an encoder, for the tests.
* `tap_receiver_packets`: an edge's receiver of a relayed show hands each RTP packet,
  depacketized, to a callback as soon as aiortc has taken it in (NACKs, statistics and
  receiver reports still happen as usual), so frames are put together without waiting
  for the next frame as aiortc's jitter buffer does (streaming/assembler.py).
* `intercept_keyframe_requests`: a sending peer's PLI/FIR handler, for publishers made
  with aiortc (the benchmark's and the tests').

`self_test()` runs when the streaming part of the app starts and names aiortc's version
if an upgrade removed or renamed any private name used here.
"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import Callable, Coroutine, Sequence
from importlib.metadata import version
from typing import Any, Protocol

from aioice.ice import Connection as IceConnection
from aioice.ice import StunProtocol
from aiortc import (
    RTCCertificate,
    RTCDtlsTransport,
    RTCIceTransport,
    RTCPeerConnection,
    RTCRtpReceiver,
    RTCRtpSender,
    RTCRtpTransceiver,
    clock,
)
from aiortc.codecs.h264 import H264Encoder
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.jitterbuffer import JitterFrame
from aiortc.mediastreams import MediaStreamError
from aiortc.rtcdtlstransport import SRTPProtectionProfile, generate_certificate
from aiortc.rtcdtlstransport import State as DtlsState
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpsender import random_sequence_number
from aiortc.rtp import RTP_HISTORY_SIZE, RtpPacket
from aiortc.utils import random32
from cryptography.hazmat.primitives.asymmetric import rsa
from OpenSSL import SSL


class EncodedFrame(Protocol):
    """A frame already split into RTP payloads; `timestamp` in the RTP clock."""

    @property
    def payloads(self) -> Sequence[bytes]: ...

    @property
    def timestamp(self) -> int: ...

    @property
    def codec_name(self) -> str: ...


FrameSink = Callable[[RTCRtpCodecParameters, JitterFrame], None]
FrameSource = Callable[[RTCRtpCodecParameters], Coroutine[Any, Any, EncodedFrame]]

# aiortc's private attribute names, checked at tap time so an aiortc upgrade that
# renames them fails loudly instead of silently decoding again.
_RECEIVER_QUEUE = "_RTCRtpReceiver__decoder_queue"
_RECEIVER_STARTED = "_RTCRtpReceiver__started"
_RECEIVER_CODECS = "_RTCRtpReceiver__codecs"


class _EncodedFrameQueue(queue.Queue[Any]):
    """Stands in for the receiver's decoder queue: frames go to `sink`, the stop marker
    goes through so the (idle) decoder thread exits and ends the track."""

    def __init__(self, sink: FrameSink) -> None:
        super().__init__()
        self._sink = sink

    def put(self, item: Any, block: bool = True, timeout: float | None = None) -> None:
        if item is None:
            super().put(None)
            return
        codec, frame = item
        self._sink(codec, frame)


def tap_receiver(receiver: RTCRtpReceiver, sink: FrameSink) -> None:
    """Deliver every encoded frame `receiver` reassembles to `sink` (on the event loop,
    in order) instead of decoding it. Must be called before the receiver starts, i.e.
    from the peer connection's "track" event."""
    if not hasattr(receiver, _RECEIVER_QUEUE):
        raise RuntimeError("this aiortc version has no decoder queue to tap")
    if getattr(receiver, _RECEIVER_STARTED, False):
        raise RuntimeError("tap the receiver before it starts receiving")
    setattr(receiver, _RECEIVER_QUEUE, _EncodedFrameQueue(sink))


# (codec name, sequence number, RTP timestamp, marker, RTP payload, depacketized payload)
PacketSink = Callable[[str, int, int, bool, bytes, bytes], None]


def tap_receiver_packets(receiver: RTCRtpReceiver, sink: PacketSink) -> None:
    """Also give every media packet `receiver` takes in to `sink`, depacketized, right
    after aiortc's own handling (which sets the depacketized data on the packet;
    retransmissions wrapped in RTX, not used between our nodes, are skipped). Tap the
    receiver's frames too (`tap_receiver`) so nothing is decoded."""
    original: Callable[[RtpPacket, int], Coroutine[Any, Any, None]] = receiver._handle_rtp_packet
    private = receiver.__dict__
    if _RECEIVER_CODECS not in private:
        raise RuntimeError("this aiortc version has no receiver codecs to read")

    async def handle(packet: RtpPacket, arrival_time_ms: int) -> None:
        await original(packet, arrival_time_ms)
        data = packet.__dict__.get("_data")
        codec = private[_RECEIVER_CODECS].get(packet.payload_type)
        if data is not None and codec is not None:
            sink(
                codec.name,
                packet.sequence_number,
                packet.timestamp,
                packet.marker == 1,
                packet.payload,
                data,
            )

    receiver._handle_rtp_packet = handle  # type: ignore[method-assign]


def negotiated_codec(transceiver: RTCRtpTransceiver) -> str | None:
    """The name of the codec a transceiver settled on (first in its negotiated list)."""
    codecs = transceiver._codecs
    return str(codecs[0].name) if codecs else None


def keyframe_request(receiver: RTCRtpReceiver) -> Coroutine[Any, Any, None] | None:
    """A Picture Loss Indication to send to the publisher of `receiver`'s newest
    source, or None while nothing has been received yet."""
    sources = receiver.getSynchronizationSources()
    if not sources:
        return None
    newest = max(sources, key=lambda s: s.timestamp)
    send_pli: Callable[[int], Coroutine[Any, Any, None]] = receiver._send_rtcp_pli
    return send_pli(newest.source)


# How a feed hands frames straight to its viewer's sender: returns False when the frame
# could not be sent at once (not connected yet, a relayed pair, a full socket buffer),
# and the feed then queues it for the sender's own task.
PushFrame = Callable[[EncodedFrame], bool]


def feed_sender(
    sender: RTCRtpSender,
    source: FrameSource,
    on_keyframe_request: Callable[[], None],
    attach_push: Callable[[PushFrame | None], None] | None = None,
) -> None:
    """Make `sender` send the frames `source` returns, as they are, and report the
    remote's keyframe requests to `on_keyframe_request`. With `attach_push`, the sender
    also offers a synchronous `push(frame)` once it knows its codec: one pass over all
    viewers per frame, with no task woken per viewer. Call before the connection starts
    sending (right after the transceiver is made)."""
    for name in _SENDER_PRIVATE:
        if not hasattr(sender, name):
            raise RuntimeError(f"this aiortc version has no {name} to feed the sender")
    history: dict[int, tuple[int, bytes]] = {}

    async def run_rtp(codec: RTCRtpCodecParameters) -> None:
        forwarder = _Forwarder(sender, history, codec)
        if attach_push is not None:
            attach_push(forwarder.push)
        try:
            await forwarder.run(source)
        finally:
            if attach_push is not None:
                attach_push(None)

    async def retransmit(sequence_number: int) -> None:
        sent = history.get(sequence_number % RTP_HISTORY_SIZE)
        if sent is not None and sent[0] == sequence_number:
            # Resent as it was (no RTX wrapping): receivers take a late original packet.
            await sender.transport._send_rtp(sent[1])

    sender._run_rtp = run_rtp  # type: ignore[method-assign]
    sender._retransmit = retransmit  # type: ignore[method-assign]
    sender._send_keyframe = on_keyframe_request  # type: ignore[method-assign]


_SENDER_PRIVATE = (
    "_run_rtp",
    "_retransmit",
    "_send_keyframe",
    "_RTCRtpSender__rtp_started",
    "_RTCRtpSender__rtp_exited",
    "_RTCRtpSender__rtp_header_extensions_map",
    "_RTCRtpSender__mid",
    "_RTCRtpSender__packet_count",
)


def _direct_send(dtls: RTCDtlsTransport) -> tuple[Callable[[bytes], None], Any] | None:
    """Encrypt and send an RTP packet without the three coroutine hops of
    DTLS transport -> ICE transport -> aioice (about a fifth of the per-packet cost).
    Only for a connected, directly reachable pair (host or server-reflexive candidate);
    anything else (TURN relay, not yet connected, another aiortc layout) returns None
    and the caller uses aiortc's own path. Returns the send function and the datagram
    transport (whose write buffer tells whether the viewer keeps up)."""
    if dtls.__dict__.get("_state") is not DtlsState.CONNECTED:
        return None
    srtp = dtls.__dict__.get("_tx_srtp")
    connection = getattr(dtls.transport, "_connection", None)
    nominated = getattr(connection, "_nominated", None)
    pair = nominated.get(1) if isinstance(nominated, dict) else None
    protocol = getattr(pair, "protocol", None)
    if srtp is None or pair is None or type(protocol) is not StunProtocol:
        return None
    datagrams = protocol.transport
    address = pair.remote_addr
    protect = srtp.protect

    def send(data: bytes) -> None:
        datagrams.sendto(protect(data), address)

    return send, datagrams


# A viewer whose socket has this much unsent data is not keeping up: its frames go
# through the queue, which drops them and waits for a keyframe instead of growing.
_MAX_UNSENT_BYTES = 256 * 1024


class _Forwarder:
    """Sends frames on one viewer's `RTCRtpSender`: per frame the RTP header (with its
    extensions) is made once; per packet only the sequence number and marker bit are
    written before SRTP and the send."""

    def __init__(
        self,
        sender: RTCRtpSender,
        history: dict[int, tuple[int, bytes]],
        codec: RTCRtpCodecParameters,
    ) -> None:
        self._sender = sender
        self._private = sender.__dict__
        self._history = history
        self._codec = codec
        self._codec_name = codec.name
        self._payload_type: int = codec.payloadType or 0
        self._extensions_map = self._private["_RTCRtpSender__rtp_header_extensions_map"]
        self._mid = self._private["_RTCRtpSender__mid"]
        self._sequence_number = random_sequence_number()
        self._timestamp_origin = random32()
        self._private["_RTCRtpSender__rtp_started"].set()
        # The direct path is looked up again when the connection changes state.
        self._send_now: Callable[[bytes], None] | None = None
        self._datagrams: Any = None

    def push(self, frame: EncodedFrame) -> bool:
        """Send `frame` now if the direct path is open; False leaves it to `run`."""
        if frame.codec_name not in ("", self._codec_name) or not self._sender._enabled:
            return True  # nothing to send to this viewer: not a failure
        send_now = self._send_now
        if send_now is None or self._datagrams.get_write_buffer_size() > _MAX_UNSENT_BYTES:
            send_now = self._refresh_direct_path()
            if send_now is None:
                return False
        for data in self._packets(frame):
            send_now(data)
        return True

    def _refresh_direct_path(self) -> Callable[[bytes], None] | None:
        direct = _direct_send(self._sender.transport)
        if direct is None:
            self._send_now = self._datagrams = None
            return None
        self._send_now, self._datagrams = direct
        if self._datagrams.get_write_buffer_size() > _MAX_UNSENT_BYTES:
            return None
        return self._send_now

    async def run(self, source: FrameSource) -> None:
        """The sender's own task: frames the feed could not push (before the connection
        is up, on a relayed pair, or when the viewer is behind) go through aiortc."""
        try:
            while True:
                frame = await source(self._codec)
                if not self._sender._enabled:
                    continue
                transport = self._sender.transport
                for data in self._packets(frame):
                    await transport._send_rtp(data)
        except (asyncio.CancelledError, ConnectionError, MediaStreamError):
            pass
        finally:
            if self._sender.track is not None:
                self._sender.track.stop()
            self._private["_RTCRtpSender__rtp_exited"].set()

    def _packets(self, frame: EncodedFrame) -> list[bytes]:
        timestamp = (self._timestamp_origin + frame.timestamp) & 0xFFFFFFFF
        template = RtpPacket(
            payload_type=self._payload_type, timestamp=timestamp, ssrc=self._sender._ssrc
        )
        template.extensions.abs_send_time = (clock.current_ntp_time() >> 14) & 0xFFFFFF
        template.extensions.mid = self._mid
        header = bytearray(template.serialize(self._extensions_map))
        payload_type, history = self._payload_type, self._history
        sequence_number = self._sequence_number
        last = len(frame.payloads) - 1
        octets = 0
        packets = []
        for i, payload in enumerate(frame.payloads):
            header[1] = payload_type | (0x80 if i == last else 0)
            header[2] = sequence_number >> 8
            header[3] = sequence_number & 0xFF
            data = bytes(header) + payload
            history[sequence_number % RTP_HISTORY_SIZE] = (sequence_number, data)
            packets.append(data)
            octets += len(payload)
            sequence_number = (sequence_number + 1) & 0xFFFF
        self._sequence_number = sequence_number
        # What aiortc's RTCP sender reports are made of (lip sync, stats).
        private = self._private
        private["_RTCRtpSender__ntp_timestamp"] = clock.current_ntp_time()
        private["_RTCRtpSender__rtp_timestamp"] = timestamp
        private["_RTCRtpSender__octet_count"] += octets
        private["_RTCRtpSender__packet_count"] += last + 1
        return packets


def packetize_vp8(frame: bytes, picture_id: int) -> list[bytes]:
    """The RTP payloads of one encoded VP8 frame (RFC 7741 descriptors)."""
    payloads: list[bytes] = Vp8Encoder._packetize(frame, picture_id)
    return payloads


def split_h264(frame: bytes) -> list[bytes]:
    """The NAL units of an Annex B H.264 access unit."""
    return list(H264Encoder._split_bitstream(frame))


def packetize_h264(frame: bytes) -> list[bytes]:
    """The RTP payloads of one Annex B H.264 access unit (RFC 6184, FU-A / STAP-A)."""
    payloads: list[bytes] = H264Encoder._packetize(H264Encoder._split_bitstream(frame))
    return payloads


def count_rtp_instead_of_receiving(
    pc: RTCPeerConnection, on_packet: Callable[[bytes], None]
) -> None:
    """For benchmark viewers: every SRTP/SRTCP datagram `pc` receives after the DTLS
    handshake goes to `on_packet` still encrypted (RTP headers are in the clear) instead
    of being decrypted, reassembled and decoded by its receivers."""

    async def count(data: bytes, arrival_time_ms: int) -> None:
        on_packet(data)

    for transceiver in pc.getTransceivers():
        transceiver.receiver.transport._handle_rtp_data = count  # type: ignore[method-assign]


def intercept_keyframe_requests(sender: RTCRtpSender, on_request: Callable[[], None]) -> None:
    """Call `on_request` before the sender's own handling of each PLI/FIR it receives."""
    original: Callable[[], None] = sender._send_keyframe

    def intercepted() -> None:
        on_request()
        original()

    sender._send_keyframe = intercepted  # type: ignore[method-assign]


_PC_CERTIFICATES = "_RTCPeerConnection__certificates"
# aiortc's four ECDHE-ECDSA suites, each followed by its ECDHE-RSA twin (what a DTLS
# server with an RSA certificate can choose). Forward secrecy and AEAD first, as aiortc.
DTLS_CIPHERS = b":".join(
    f"ECDHE-{auth}-{suite}".encode()
    for suite in ("AES128-GCM-SHA256", "CHACHA20-POLY1305", "AES128-SHA", "AES256-SHA")
    for auth in ("ECDSA", "RSA")
)


def accept_rsa_peers(pc: RTCPeerConnection) -> None:
    """Let `pc` complete DTLS with a peer whose certificate is RSA, in either role."""
    for certificate in pc.__dict__[_PC_CERTIFICATES]:
        original = certificate._create_ssl_context

        def widened(
            srtp_profiles: list[SRTPProtectionProfile],
            original: Callable[[list[SRTPProtectionProfile]], SSL.Context] = original,
        ) -> SSL.Context:
            context = original(srtp_profiles)
            context.set_cipher_list(DTLS_CIPHERS)
            return context

        certificate._create_ssl_context = widened


def use_rsa_certificate(pc: RTCPeerConnection) -> None:
    """Give `pc` an RSA certificate, as GStreamer's webrtcbin has (tests only)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    certificate = RTCCertificate(key=key, cert=generate_certificate(key))  # type: ignore[arg-type]
    pc.__dict__[_PC_CERTIFICATES] = [certificate]
    accept_rsa_peers(pc)


# Where each private name is expected: methods and class attributes looked up on the
# class, instance attributes in the names its constructor assigns.
_CLASS_NAMES: tuple[tuple[type, tuple[str, ...]], ...] = (
    (RTCRtpSender, ("_run_rtp", "_retransmit", "_send_keyframe")),
    (RTCRtpReceiver, ("_send_rtcp_pli", "_handle_rtp_packet")),
    (RTCDtlsTransport, ("_send_rtp", "_handle_rtp_data")),
    (RTCCertificate, ("_create_ssl_context",)),
    (Vp8Encoder, ("_packetize",)),
    (H264Encoder, ("_packetize", "_split_bitstream")),
)
_CONSTRUCTOR_NAMES: tuple[tuple[type, tuple[str, ...]], ...] = (
    (
        RTCRtpSender,
        (
            *_SENDER_PRIVATE[3:],
            "_RTCRtpSender__ntp_timestamp",
            "_RTCRtpSender__rtp_timestamp",
            "_RTCRtpSender__octet_count",
            "_ssrc",
            "_enabled",
        ),
    ),
    (RTCRtpReceiver, (_RECEIVER_QUEUE, _RECEIVER_STARTED, _RECEIVER_CODECS)),
    (RTCRtpTransceiver, ("_codecs",)),
    (RTCDtlsTransport, ("_state", "_tx_srtp", "_transport")),
    (RTCIceTransport, ("_connection",)),
    (IceConnection, ("_nominated",)),
    (RTCPeerConnection, (_PC_CERTIFICATES,)),
)


def _assigned_by_constructor(cls: type) -> tuple[str, ...]:
    """The attribute names (name-mangled as stored) `cls.__init__` refers to."""
    constructor = cls.__dict__.get("__init__")
    code = getattr(constructor, "__code__", None)
    return tuple(code.co_names) if code is not None else ()


def self_test() -> None:
    """Fail loudly, naming aiortc's version, if a private name used here is gone."""
    missing = [
        f"{cls.__name__}.{name}"
        for cls, names in _CLASS_NAMES
        for name in names
        if not hasattr(cls, name)
    ]
    missing += [
        f"{cls.__name__}.{name}"
        for cls, names in _CONSTRUCTOR_NAMES
        for name in names
        if name not in _assigned_by_constructor(cls)
    ]
    if missing:
        raise RuntimeError(
            f"aiortc {version('aiortc')} (aioice {version('aioice')}) lacks what "
            f"streaming/aiortc_hooks.py relies on: {', '.join(missing)}; "
            "pin the version in pyproject.toml or update the hooks"
        )
