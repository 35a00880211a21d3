// Live product events for one show: the page's one Socket.IO connection to the show's
// room (shared with chat through /static/js/live_socket.js), and polling of a small JSON
// endpoint, so the page stays right even without a live channel.
import { LiveEvent } from "/static/js/events.js";

export const EVENTS = [LiveEvent.PRODUCT_PINNED, LiveEvent.PRODUCT_UNPINNED, LiveEvent.SALE_STARTED,
  LiveEvent.SALE_ENDED, LiveEvent.STOCK_CHANGED, LiveEvent.PRODUCT_SOLD_OUT, LiveEvent.ORDER_PAID];

export async function follow(showId, onEvent, { pollMs = 4000, poll } = {}) {
  let connected = false;
  try {
    // The page's one connection to the show's room, shared with chat.
    const { showSocket } = await import("/static/js/live_socket.js");
    const socket = showSocket(showId);
    socket.on("connect", () => { connected = true; });
    socket.on("disconnect", () => { connected = false; });
    connected = Boolean(socket.connected);
    for (const name of EVENTS) socket.on(name, (payload) => onEvent(name, payload || {}));
  } catch (err) {
    // No vendored client (or no chat server): polling below carries the page.
  }
  if (poll) {
    await poll();
    // With live events, polling only corrects what a dropped event missed.
    let last = Date.now();
    setInterval(() => {
      const wait = connected ? pollMs * 4 : pollMs;
      if (Date.now() - last < wait) return;
      last = Date.now();
      poll().catch(() => {});
    }, 1000);
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
