// The studio: camera/microphone choice and preview, going live over WHIP, ending the
// show, and live figures (viewers from the server, bitrate and frame rate from getStats).
import { LiveEvent } from "/static/js/events.js";
import { showSocket } from "/static/js/live_socket.js";
import { exchange, fetchStatus, leave } from "/static/streaming/whep.js";

const OVER = ["ended", "cancelled"];

class Studio {
  constructor(root) {
    this.root = root;
    const config = JSON.parse(root.querySelector(".studio-config").textContent);
    this.text = config.text;
    this.iceServers = config.iceServers;
    this.csrf = config.csrf;
    this.preview = root.querySelector(".studio-video-preview");
    this.camera = root.querySelector(".studio-camera");
    this.microphone = root.querySelector(".studio-microphone");
    this.goLive = root.querySelector(".studio-go-live");
    this.goPublicButton = root.querySelector(".studio-go-public");
    this.rehearse = root.querySelector(".studio-rehearse");
    this.endButton = root.querySelector(".studio-end");
    this.status = root.querySelector(".studio-status");
    this.onAir = root.querySelector(".on-air");
    this.badge = document.querySelector("[data-show-state]");
    this.stream = null;
    this.pc = null;
    this.session = null;
    this.wantLive = false;
    this.lastBytes = null;
    this.camera.addEventListener("change", () => this.openDevices());
    this.microphone.addEventListener("change", () => this.openDevices());
    this.goLive.addEventListener("click", () => this.start());
    this.goPublicButton.addEventListener("click", () => this.goPublic());
    this.endButton.addEventListener("click", () => this.end());
    root.querySelector(".studio-regenerate").addEventListener("click", () => this.newKey());
    // The key shows only while the field has focus (to copy it), not on a shared screen.
    const key = root.querySelector(".studio-key");
    key.addEventListener("focus", () => { key.type = "text"; key.select(); });
    key.addEventListener("blur", () => { key.type = "password"; });
    window.addEventListener("pagehide", () => leave(this.session));
  }

  say(key, extra = "") {
    this.status.textContent = key ? `${this.text[key] || ""} ${extra}`.trim() : extra;
    this.root.dataset.status = key || "";
  }

  async openDevices() {
    const constraints = {
      video: this.camera.value ? { deviceId: { exact: this.camera.value } }
        : { width: { ideal: 720 }, height: { ideal: 1280 }, frameRate: { ideal: 30 } },
      audio: this.microphone.value ? { deviceId: { exact: this.microphone.value } } : true,
    };
    let stream;
    try {
      stream = await navigator.mediaDevices.getUserMedia(constraints);
    } catch (_) {
      this.say("noCamera");
      this.goLive.disabled = true;
      return;
    }
    const old = this.stream;
    this.stream = stream;
    this.preview.srcObject = stream;
    if (this.pc) {
      // Switch devices while live without renegotiating.
      for (const sender of this.pc.getSenders()) {
        const track = stream.getTracks().find((t) => sender.track && t.kind === sender.track.kind);
        if (track) await sender.replaceTrack(track);
      }
    }
    if (old) old.getTracks().forEach((t) => t.stop());
    await this.listDevices();
  }

  async listDevices() {
    const devices = await navigator.mediaDevices.enumerateDevices();
    const fill = (select, kind, current) => {
      select.replaceChildren();
      for (const device of devices.filter((d) => d.kind === kind)) {
        const option = document.createElement("option");
        option.value = device.deviceId;
        option.textContent = device.label || kind;
        select.append(option);
      }
      if (current) select.value = current;
    };
    const [video] = this.stream.getVideoTracks();
    const [audio] = this.stream.getAudioTracks();
    fill(this.camera, "videoinput", video && video.getSettings().deviceId);
    fill(this.microphone, "audioinput", audio && audio.getSettings().deviceId);
  }

  async start() {
    if (!this.stream) await this.openDevices();
    if (!this.stream) return;
    this.wantLive = true;
    this.goLive.disabled = true;
    await this.publish();
  }

  async publish() {
    this.say("connecting");
    const pc = new RTCPeerConnection({ iceServers: this.iceServers });
    for (const track of this.stream.getTracks()) {
      const transceiver = pc.addTransceiver(track, { direction: "sendonly", streams: [this.stream] });
      if (track.kind === "video" && RTCRtpSender.getCapabilities) {
        // VP8 first: it is what recordings (WebM) keep.
        const codecs = RTCRtpSender.getCapabilities("video").codecs;
        const rank = (c) => (c.mimeType === "video/VP8" ? 0 : c.mimeType === "video/H264" ? 1 : 2);
        transceiver.setCodecPreferences([...codecs].sort((a, b) => rank(a) - rank(b)));
      }
    }
    pc.addEventListener("connectionstatechange", () => {
      if (pc !== this.pc) return;
      if (pc.connectionState === "connected") this.showLive();
      if (pc.connectionState === "failed") this.reconnect();
    });
    this.pc = pc;
    try {
      const url = this.rehearsing() ? `${this.root.dataset.whipUrl}?rehearsal=1`
        : this.root.dataset.whipUrl;
      this.session = await exchange(pc, url, { "X-CSRF-Token": this.csrf });
    } catch (error) {
      pc.close();
      this.pc = null;
      this.say("", error.message);
      if (error.status >= 500 || error.status === 0) {
        setTimeout(() => this.wantLive && this.publish(), 3000);
      } else {
        this.wantLive = false;
        this.goLive.disabled = false;
      }
    }
  }

  rehearsing() {
    return Boolean(this.rehearse && this.rehearse.checked && this.root.dataset.state === "scheduled");
  }

  showLive() {
    if (this.rehearsing()) {
      this.say("rehearsing");
      this.goPublicButton.hidden = false;
      this.rehearse.disabled = true;
      this.root.dataset.status = "rehearsing";
      return;
    }
    this.say("live");
    this.goPublicButton.hidden = true;
    this.onAir.hidden = false;
    this.endButton.hidden = false;
    this.showState("live");
  }

  async goPublic() {
    this.goPublicButton.disabled = true;
    const response = await fetch(this.root.dataset.publicUrl, {
      method: "POST",
      headers: { "X-CSRF-Token": this.csrf, Accept: "application/json" },
    });
    this.goPublicButton.disabled = false;
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      this.say("", body ? body.error.message : response.statusText);
      return;
    }
    this.showState("live"); // leaves the rehearsal: the picture is public now
  }

  async reconnect() {
    this.say("reconnecting");
    const old = this.session;
    if (this.pc) this.pc.close();
    this.pc = null;
    this.session = null;
    await leave(old);
    if (this.wantLive) setTimeout(() => this.publish(), 1000);
  }

  // The show moved (here, on another device, by an operator, or by the server when the
  // publisher did not come back): the badge and the buttons say where it stands now.
  showState(state) {
    if (!state || state === this.root.dataset.state) return;
    this.root.dataset.state = state;
    if (this.badge) {
      const names = JSON.parse(this.badge.dataset.names);
      this.badge.textContent = names[state] || state;
      this.badge.className = `badge state-${state}`;
    }
    if (state === "live") {
      this.endButton.hidden = false;
      if (this.rehearse) this.rehearse.disabled = true;
      if (this.root.dataset.status === "rehearsing") this.showLive();
    } else if (OVER.includes(state)) {
      this.stopPublishing();
      this.say(state);
    }
  }

  stopPublishing() {
    this.wantLive = false;
    if (this.pc) this.pc.close();
    this.pc = null;
    this.session = null;
    if (this.stream) this.stream.getTracks().forEach((t) => t.stop());
    this.onAir.hidden = true;
    this.endButton.hidden = true;
    this.goPublicButton.hidden = true;
    this.goLive.disabled = true;
  }

  async end() {
    if (!window.confirm(this.text.confirmEnd)) return;
    this.wantLive = false;
    const response = await fetch(this.root.dataset.endUrl, {
      method: "POST",
      headers: { "X-CSRF-Token": this.csrf, Accept: "application/json" },
    });
    if (!response.ok) {
      const body = await response.json().catch(() => null);
      this.say("", body ? body.error.message : response.statusText);
      return;
    }
    this.showState("ended");
  }

  async newKey() {
    if (!window.confirm(this.text.confirmKey)) return;
    const response = await fetch(this.root.dataset.keyUrl, {
      method: "POST",
      headers: { "X-CSRF-Token": this.csrf, Accept: "application/json" },
    });
    const body = await response.json().catch(() => null);
    if (response.ok && body) {
      this.root.querySelector(".studio-key").value = body.stream_key;
      this.say("keyChanged");
    } else {
      this.say("", body ? body.error.message : response.statusText);
    }
  }

  async measure() {
    if (!this.pc) {
      this.lastBytes = null;
      return;
    }
    const stats = await this.pc.getStats();
    stats.forEach((report) => {
      if (report.type !== "outbound-rtp" || report.kind !== "video") return;
      if (this.lastBytes) {
        const seconds = (report.timestamp - this.lastBytes.timestamp) / 1000;
        const kbps = Math.round(((report.bytesSent - this.lastBytes.bytes) * 8) / seconds / 1000);
        if (seconds > 0) this.root.querySelector(".studio-bitrate").textContent = `${kbps} kbit/s`;
      }
      this.lastBytes = { bytes: report.bytesSent, timestamp: report.timestamp };
      if (report.framesPerSecond !== undefined) {
        this.root.querySelector(".studio-fps").textContent = `${Math.round(report.framesPerSecond)} fps`;
      }
    });
  }

  async poll() {
    try {
      const status = await fetchStatus(this.root.dataset.statusUrl);
      this.root.querySelector(".studio-viewers").textContent = String(status.viewers);
      this.showState(status.state); // in case an event was missed while disconnected
    } catch (_) { /* next time */ }
  }

  async run() {
    showSocket(this.root.dataset.showId).on(LiveEvent.SHOW_STATE, ({ state }) => this.showState(state));
    if (OVER.includes(this.root.dataset.state)) this.goLive.disabled = true;
    await this.openDevices();
    setInterval(() => this.measure(), 1000);
    setInterval(() => this.poll(), 3000);
    this.poll();
  }
}

for (const root of document.querySelectorAll(".studio-stream[data-whip-url]")) {
  new Studio(root).run();
}
