// The merchant console's live order feed: for each live show, the paid orders so far
// and the latest one. Refreshed the moment an order is paid (the store's staff room on
// the page's live connection), and now and then in case the connection was down.
import { LiveEvent } from "/static/js/events.js";
import { storeSocket } from "/static/js/live_socket.js";
import { fill, krw } from "/static/checkout/live.js";

const FALLBACK_MS = 30000;

async function refresh(box) {
  const response = await fetch(`/api/shows/${box.dataset.consoleFeed}/orders`);
  if (!response.ok) return;
  const orders = await response.json();
  const out = box.querySelector(".console-feed-text");
  if (!orders.length) {
    out.textContent = box.dataset.empty;
    return;
  }
  const latest = orders[0];
  const items = latest.items.map((i) => `${i.name} × ${i.quantity}`).join(", ");
  out.textContent = fill(box.dataset.template, {
    count: orders.length,
    amount: krw(orders.reduce((sum, o) => sum + o.total, 0)),
    latest: `${latest.buyer} · ${items}`,
  });
}

const boxes = [...document.querySelectorAll("[data-console-feed]")];
for (const box of boxes) {
  refresh(box);
  setInterval(() => refresh(box).catch(() => {}), FALLBACK_MS);
}
if (boxes.length) {
  storeSocket(boxes[0].dataset.storeId).on(LiveEvent.ORDER_PAID, ({ show_id: showId }) => {
    for (const box of boxes) {
      if (Number(box.dataset.consoleFeed) === showId) refresh(box).catch(() => {});
    }
  });
}
