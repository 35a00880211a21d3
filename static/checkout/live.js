// Live product events for one show: chat's shared Socket.IO connection when the page
// has one, and polling of a small JSON endpoint, so the page stays right without it.
export const EVENTS = ["product:pinned", "product:unpinned", "sale:started", "sale:ended",
  "stock:changed", "product:sold_out", "order:paid"];

export async function follow(showId, onEvent, { pollMs = 4000, poll } = {}) {
  let socket = null;
  if (poll) {
    await poll();
    // With live events, polling only corrects what a dropped event missed.
    let last = Date.now();
    setInterval(() => {
      const wait = socket && socket.connected ? pollMs * 4 : pollMs;
      if (Date.now() - last < wait) return;
      last = Date.now();
      poll().catch(() => {});
    }, 1000);
  }
  // Chat's page script shares its Socket.IO connection (already in the show's room) as
  // window.jangteoSocket; a connection of our own would count this viewer twice, so
  // without it the page lives on polling alone. Page scripts may come in any order.
  if (document.readyState !== "complete") {
    await new Promise((resolve) => window.addEventListener("load", resolve, { once: true }));
  }
  socket = window.jangteoSocket || null;
  if (socket) {
    for (const name of EVENTS) socket.on(name, (payload) => onEvent(name, payload || {}));
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
