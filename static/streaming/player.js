// The viewer's player: WHEP playback with "starting soon", "reconnecting" and recovery.
import { exchange, fetchStatus, leave } from "/static/streaming/whep.js";

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
      if (pc.connectionState === "connected") this.say("");
      if (pc.connectionState === "failed" || pc.connectionState === "closed") {
        // Our own connection broke (network change, server restart): start again.
        this.say("reconnecting");
        this.close();
        this.retryAt = Date.now() + 1000;
      }
    });
    this.pc = pc;
    // For diagnostics (and the browser test): the connection whose stats tell what plays.
    this.root.peerConnection = pc;
    try {
      this.session = await exchange(pc, this.whepUrl);
    } catch (error) {
      this.close();
      this.retryAt = Date.now() + (error.status === 503 ? 10000 : 3000);
      this.say(error.status === 503 ? "full" : "offline");
    } finally {
      this.connecting = false;
    }
  }

  close() {
    if (this.pc) this.pc.close();
    leave(this.session);
    this.pc = null;
    this.session = null;
  }

  async run() {
    for (;;) {
      await this.tick();
      if (this.root.dataset.state === "ended" || this.root.dataset.state === "cancelled") return;
      await new Promise((resolve) => setTimeout(resolve, this.pc ? POLL_MS : 1000));
    }
  }
}

for (const root of document.querySelectorAll(".player[data-whep-url]")) {
  new Player(root).run();
}
