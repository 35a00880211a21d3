// The studio's selling panel: line-up with pin buttons, flash sale, quick listing, and the
// live order feed (events when a live channel exists, polling always).
import { api, csrfToken, fill, follow, krw } from "/static/checkout/live.js";
import { LiveEvent } from "/static/js/events.js";

const root = document.querySelector("[data-checkout-studio]");
const text = JSON.parse(document.getElementById("checkout-studio-strings").textContent);
const showId = root.dataset.showId;
const storeId = root.dataset.storeId;
const $ = (selector) => root.querySelector(selector);
let state = { lineup: [], pinned: null, sale: null };
const seenOrders = new Set();

function showError(message) {
  const box = $(".studio-error");
  box.hidden = !message;
  box.textContent = message || "";
}

async function act(path, body) {
  const result = await api(path, body);
  if (!result.ok) {
    showError(result.data?.error?.message || text.network);
    return null;
  }
  showError("");
  if (result.data && result.data.lineup) apply(result.data);
  return result.data;
}

function apply(next) {
  state = next;
  const list = $(".lineup");
  list.replaceChildren(...state.lineup.map((product) => {
    const item = document.createElement("li");
    item.className = "lineup-item";
    const isPinned = state.pinned && state.pinned.id === product.id;
    const label = document.createElement("span");
    label.textContent = `${product.name} · ${krw(product.price)} · ${
      product.available > 0 ? fill(text.left, { count: product.available }) : text.sold_out}`;
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = isPinned ? text.pinned : text.pin;
    button.disabled = Boolean(isPinned);
    button.dataset.testid = `pin-${product.id}`;
    button.addEventListener("click", () => act(`/api/shows/${showId}/pin`, { product_id: product.id }));
    item.append(label, " ", button);
    return item;
  }));
}

async function refresh() {
  const response = await fetch(`/api/shows/${showId}/shelf`);
  if (response.ok) apply(await response.json());
}

async function loadProducts() {
  const response = await fetch(`/api/stores/${storeId}/products`);
  if (!response.ok) return;
  const products = await response.json();
  $(".add-select").replaceChildren(...products.map((p) => {
    const option = document.createElement("option");
    option.value = String(p.id);
    option.textContent = `${p.name} · ${krw(p.price)}`;
    return option;
  }));
}

function addToFeed(entry) {
  if (seenOrders.has(entry.order_id)) return;
  seenOrders.add(entry.order_id);
  const items = entry.items.map((i) => `${i.name}${i.variant ? ` (${i.variant})` : ""} × ${i.quantity}`).join(", ");
  const li = document.createElement("li");
  li.dataset.orderId = String(entry.order_id);
  li.textContent = fill(text.feed, { buyer: entry.buyer, items, amount: entry.total_text });
  $(".order-feed").prepend(li);
  $(".feed-empty").hidden = true;
}

async function pollFeed() {
  const response = await fetch(`/api/shows/${showId}/orders`);
  if (!response.ok) return;
  const entries = await response.json();
  entries.reverse().forEach(addToFeed);
}

async function poll() {
  await Promise.all([refresh(), pollFeed()]);
}

$(".add-button").addEventListener("click", () => {
  const productId = Number($(".add-select").value);
  if (productId) act(`/api/shows/${showId}/lineup`, { product_id: productId });
});
$(".unpin-button").addEventListener("click", () => act(`/api/shows/${showId}/unpin`, {}));
$(".sale-form").addEventListener("submit", (event) => {
  event.preventDefault();
  if (!state.pinned) return;
  const data = new FormData(event.currentTarget);
  act(`/api/shows/${showId}/sale`, {
    product_id: state.pinned.id, price: Number(data.get("price")), cap: Number(data.get("cap")),
    minutes: Number(data.get("minutes")), per_shopper: Number(data.get("per_shopper")),
  });
});
$(".end-sale").addEventListener("click", () => act(`/api/shows/${showId}/sale/end`, {}));
$(".quick-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.currentTarget;
  const response = await fetch(`/api/shows/${showId}/quick-listing`, {
    method: "POST", headers: { "X-CSRF-Token": csrfToken() }, body: new FormData(form),
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    showError(data?.error?.message || text.network);
    return;
  }
  showError("");
  form.reset();
  apply(data);
  loadProducts();
});

loadProducts();
follow(showId, (name, payload) => {
  if (name === LiveEvent.ORDER_PAID) addToFeed(payload);
  else refresh().catch(() => {});
}, { poll, pollMs: 3000 });
