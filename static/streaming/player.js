// The viewer's player: WHEP playback with "starting soon", "reconnecting" and recovery,
// and HLS when WebRTC cannot play (no WebRTC, failed twice, the show is full) or when
// the site is set to HLS (PLAYER_TRANSPORT) or the address says `?transport=hls`.
import { exchange, fetchStatus, leave } from "/static/streaming/whep.js";
import { playHls } from "/static/streaming/hls_fallback.js";

const POLL_MS = 3000;

class Player {
  constructor(root) {
    this.root = root;
    this.video = root.querySelector(".player-video");
    this.notice = root.querySelector(".player-notice");
    this.unmute = root.querySelector(".player-unmute");
    const config = JSON.parse(root.querySelector(".player-config").textContent);
    this.text = config.text;
    this.iceServers = config.iceServers;
    this.whepUrl = root.dataset.whepUrl;
    this.hlsUrl = root.dataset.hlsUrl;
    this.wantHls = config.transport === "hls"
      || new URLSearchParams(location.search).get("transport") === "hls"
      || typeof RTCPeerConnection === "undefined";
    this.webrtcFailures = 0;
    this.hls = null;
    this.statusUrl = root.dataset.statusUrl;
    this.pc = null;
    this.session = null;
    this.connecting = false;
    this.retryAt = 0;
    this.unmute.addEventListener("click", () => {
      this.video.muted = false;
      this.video.play().catch(() => undefined);
      this.unmute.hidden = true;
    });
    window.addEventListener("pagehide", () => leave(this.session));
  }

  say(key) {
    const message = key ? this.text[key] : "";
    this.notice.textContent = message;
    this.notice.hidden = !message;
    this.root.dataset.notice = key || "";
  }

  async tick() {
    let status;
    try {
      status = await fetchStatus(this.statusUrl);
    } catch (_) {
      if (!this.pc) this.say("offline");
      return;
    }
    this.root.dataset.state = status.state;
    if (status.state === "scheduled" && this.root.dataset.staff && status.publishing) {
      // Staff watch the rehearsal; everyone else waits for the show to go public.
      if (!this.pc && !this.connecting && Date.now() >= this.retryAt) await this.connect();
      if (this.pc) this.say("rehearsal");
    } else if (status.state === "scheduled") {
      this.say("scheduled");
    } else if (status.state === "live") {
      if (this.wantHls) {
        if (!this.hls && status.hls) await this.startHls();
        else if (!this.hls) this.say("connecting");
        return;
      }
      if (!status.publishing) this.say("reconnecting");
      else if (this.pc && this.pc.connectionState === "connected") this.say("");
      if (!this.pc && !this.connecting && Date.now() >= this.retryAt) await this.connect();
    } else {
      this.say(status.state === "ended" ? "ended" : "cancelled");
      this.close();
    }
  }

  async connect() {
    this.connecting = true;
    if (this.notice.hidden) this.say("connecting");
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    pc.addTransceiver("video", { direction: "recvonly" });
    pc.addTransceiver("audio", { direction: "recvonly" });
    const stream = new MediaStream();
    pc.addEventListener("track", (event) => {
      stream.addTrack(event.track);
      this.video.srcObject = stream;
      this.video.play().then(() => {
        if (this.video.muted) this.unmute.hidden = false;
      }).catch(() => { this.unmute.hidden = false; });
    });
    pc.addEventListener("connectionstatechange", () => {
      if (pc !== this.pc) return;
      if (pc.connectionState === "connected") {
        this.say("");
        this.webrtcFailures = 0;
      }
      if (pc.connectionState === "failed" && ++this.webrtcFailures >= 2) {
        // UDP is blocked here (or by a firewall): the HLS stream goes over plain HTTPS.
        this.wantHls = true;
      }
      if (pc.connectionState === "failed" || pc.connectionState === "closed") {
        // Our own connection broke (network change, server restart): start again.
        this.say("reconnecting");
        this.close();
        this.retryAt = Date.now() + 1000;
      }
    });
    this.pc = pc;
    this.root.dataset.transport = "webrtc";
    // For diagnostics (and the browser test): the connection whose stats tell what plays.
    this.root.peerConnection = pc;
    try {
      this.session = await exchange(pc, this.whepUrl);
    } catch (error) {
      this.close();
      // A full show still plays, over HLS, which has no viewer cap.
      if (error.status === 503) this.wantHls = true;
      this.retryAt = Date.now() + (error.status === 503 ? 1000 : 3000);
      this.say(error.status === 503 ? "full" : "offline");
    } finally {
      this.connecting = false;
    }
  }

  async startHls() {
    this.close();
    this.root.dataset.transport = "hls";
    try {
      this.hls = await playHls(this.video, this.hlsUrl);
      this.root.hls = this.hls; // for diagnostics (and the browser test's delay figure)
    } catch (_) {
      this.say("offline");
      return;
    }
    this.say("");
    this.video.play().then(() => {
      if (this.video.muted) this.unmute.hidden = false;
    }).catch(() => { this.unmute.hidden = false; });
  }

  close() {
    if (this.hls) this.hls.destroy();
    this.hls = null;
    if (this.pc) this.pc.close();
    leave(this.session);
    this.pc = null;
    this.session = null;
  }

  async run() {
    for (;;) {
      await this.tick();
      if (this.root.dataset.state === "ended" || this.root.dataset.state === "cancelled") return;
      await new Promise((resolve) => setTimeout(resolve, this.pc || this.hls ? POLL_MS : 1000));
    }
  }
}

for (const root of document.querySelectorAll(".player[data-whep-url]")) {
  new Player(root).run();
}
