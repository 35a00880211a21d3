"""Interop: a WebRTC stack that is not aiortc publishes over WHIP the way hardware and
GStreamer-based encoders do: an RSA DTLS certificate and `a=setup:actpass`, VP8 or
H.264, with and without audio. Chromium's own WebRTC (libwebrtc) is that stack here; the
page speaks plain WHIP with fetch, not the studio's script. A WHEP viewer then gets the
picture."""

from __future__ import annotations

import aiohttp
import pytest
from aiortc import RTCSessionDescription
from playwright.async_api import Page

from server.accounts.models import Role
from tests.e2e.conftest import LiveServer
from tests.helpers import make_merchant, make_show, make_user
from tests.streaming.peers import SDP, Viewer, until

pytestmark = pytest.mark.e2e

# Publishes the fake camera (and microphone) with an RSA certificate; returns the offer's
# DTLS setup, what the server answered and the connection state reached.
WHIP_PUBLISH = """async ({url, key, codec, audio}) => {
  const certificate = await RTCPeerConnection.generateCertificate({
    name: "RSASSA-PKCS1-v1_5", modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]), hash: "SHA-256"});
  const pc = new RTCPeerConnection({certificates: [certificate]});
  window.encoder = pc;
  const media = await navigator.mediaDevices.getUserMedia({video: true, audio});
  for (const track of media.getTracks()) {
    const transceiver = pc.addTransceiver(track, {direction: "sendonly"});
    if (track.kind === "video") {
      const codecs = RTCRtpSender.getCapabilities("video").codecs;
      transceiver.setCodecPreferences(codecs.filter(c => c.mimeType === codec));
    }
  }
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise(done => {
    if (pc.iceGatheringState === "complete") return done();
    pc.addEventListener("icegatheringstatechange",
      () => pc.iceGatheringState === "complete" && done());
  });
  const offer = pc.localDescription.sdp;
  const resp = await fetch(url, {method: "POST", body: offer,
    headers: {"Content-Type": "application/sdp", "Authorization": "Bearer " + key}});
  const answer = await resp.text();
  if (resp.status !== 201) return {status: resp.status, answer};
  await pc.setRemoteDescription({type: "answer", sdp: answer});
  for (let i = 0; i < 100 && pc.connectionState !== "connected"; i++) {
    await new Promise(r => setTimeout(r, 100));
  }
  return {status: resp.status, offerSetup: /a=setup:(\\w+)/.exec(offer)[1],
          answerSetup: /a=setup:(\\w+)/.exec(answer)[1], state: pc.connectionState};
}"""


@pytest.mark.parametrize(
    ("codec", "audio"),
    [("video/VP8", True), ("video/VP8", False), ("video/H264", True), ("video/H264", False)],
)
async def test_an_rsa_encoder_publishes_over_whip(
    live_server: LiveServer, page: Page, codec: str, audio: bool
) -> None:
    creator = await make_user(live_server.app, Role.CREATOR)
    _, store = await make_merchant(live_server.app)
    show = await make_show(live_server.app, store, [creator])
    await page.goto(f"{live_server.url}/healthz")  # same origin for fetch
    published = await page.evaluate(
        WHIP_PUBLISH,
        {
            "url": f"{live_server.url}/shows/{show.id}/whip",
            "key": show.stream_key,
            "codec": codec,
            "audio": audio,
        },
    )
    assert published["status"] == 201, published
    assert (published["offerSetup"], published["answerSetup"]) == ("actpass", "active")
    assert published["state"] == "connected"

    viewer = Viewer()
    try:
        async with aiohttp.ClientSession() as http:
            status = await http.get(f"{live_server.url}/shows/{show.id}/stream")
            assert (await status.json())["video_codec"] == codec.split("/")[1]
            resp = await http.post(
                f"{live_server.url}/shows/{show.id}/whep",
                data=await viewer.offer(),
                headers={"Content-Type": SDP},
            )
            assert resp.status == 201
            answer = RTCSessionDescription(sdp=await resp.text(), type="answer")
            await viewer.pc.setRemoteDescription(answer)
        await until(lambda: len(viewer.frames) >= 10, within=30)
        if audio:
            await until(lambda: viewer.audio_frames >= 10, within=30)
    finally:
        await viewer.close()
        await page.evaluate("() => window.encoder.close()")
