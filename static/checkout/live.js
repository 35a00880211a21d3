// Live product events for one show: our own Socket.IO connection when the vendored
// client is there (joining the show's room with chat's `join` event), and polling of a
// small JSON endpoint always, so the page stays right even without a live channel.
export const EVENTS = ["product:pinned", "product:unpinned", "sale:started", "sale:ended",
  "stock:changed", "product:sold_out", "order:paid"];

export async function follow(showId, onEvent, { pollMs = 4000, poll } = {}) {
  try {
    const { io } = await import("/static/vendor/socket.io/socket.io.esm.min.js");
    const socket = io({ transports: ["websocket", "polling"] });
    socket.on("connect", () => socket.emit("join", { show_id: Number(showId) }));
    for (const name of EVENTS) socket.on(name, (payload) => onEvent(name, payload || {}));
  } catch (err) {
    // No vendored client (or no chat server): polling below carries the page.
  }
  if (poll) {
    await poll();
    setInterval(() => poll().catch(() => {}), pollMs);
  }
}

export function fill(template, params) {
  return template.replace(/%\((\w+)\)s/g, (_, key) => String(params[key] ?? ""));
}

export function krw(amount) {
  return "₩" + Number(amount).toLocaleString("en-US");
}

export function csrfToken() {
  return document.querySelector('meta[name="csrf-token"]')?.content || "";
}

export async function api(path, body, method = "POST") {
  const response = await fetch(path, {
    method,
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrfToken() },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = {};
  try { data = await response.json(); } catch (err) { data = {}; }
  return { ok: response.ok, status: response.status, data };
}
