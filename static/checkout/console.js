// The merchant console's live order feed: for each live show, the paid orders so far
// and the latest one, kept fresh by polling (the console is not in any show's room).
import { fill, krw } from "/static/checkout/live.js";

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

for (const box of document.querySelectorAll("[data-console-feed]")) {
  refresh(box);
  setInterval(() => refresh(box).catch(() => {}), 5000);
}
