// Signalling shared by the player (WHEP) and the studio (WHIP): one SDP offer POSTed
// after ICE gathering completes (no trickle), the answer back, DELETE to leave.

export function waitForIceGathering(pc, timeoutMs = 3000) {
  if (pc.iceGatheringState === "complete") return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      if (pc.iceGatheringState === "complete") {
        pc.removeEventListener("icegatheringstatechange", done);
        resolve();
      }
    };
    pc.addEventListener("icegatheringstatechange", done);
    // Some networks never finish gathering; send what we have.
    setTimeout(resolve, timeoutMs);
  });
}

export class SignallingError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

// POST the local offer to `url`; returns the session URL (Location).
export async function exchange(pc, url, headers = {}) {
  await pc.setLocalDescription(await pc.createOffer());
  await waitForIceGathering(pc);
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/sdp", ...headers },
    body: pc.localDescription.sdp,
    credentials: "same-origin",
  });
  if (response.status !== 201) {
    let code = `http_${response.status}`;
    let message = response.statusText;
    try {
      const body = await response.json();
      code = body.error.code;
      message = body.error.message;
    } catch (_) { /* not JSON */ }
    throw new SignallingError(response.status, code, message);
  }
  const location = response.headers.get("Location");
  await pc.setRemoteDescription({ type: "answer", sdp: await response.text() });
  return new URL(location, window.location.href).toString();
}

export function leave(sessionUrl, headers = {}) {
  if (!sessionUrl) return Promise.resolve();
  return fetch(sessionUrl, { method: "DELETE", headers, keepalive: true })
    .catch(() => undefined);
}

export async function fetchStatus(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
  if (!response.ok) throw new Error(`status ${response.status}`);
  return response.json();
}
