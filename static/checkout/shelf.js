// The viewer's shelf: the pinned product card over the video, a flash-sale countdown
// against the server's clock, live stock, and the bottom sheet that pays with Stripe.js.
// User text is set with textContent only.
import { api, fill, follow, krw } from "/static/checkout/live.js";

const root = document.querySelector("[data-checkout-shelf]");
const text = JSON.parse(document.getElementById("checkout-strings").textContent);
const showId = root.dataset.showId;
const card = root.querySelector(".pinned-card");
const sheet = root.querySelector(".sheet");
let pinned = null;
let sale = null;
let clockSkew = 0; // server time minus our time, in ms
let stripe = null;
let cardElement = null;

const $ = (selector, scope = root) => scope.querySelector(selector);

function available() {
  if (!pinned) return 0;
  const stock = pinned.available;
  return sale ? Math.min(stock, sale.remaining) : stock;
}

function unitPrice() {
  return sale ? sale.price : pinned ? pinned.price : 0;
}

function render() {
  if (!pinned) {
    card.hidden = true;
    return;
  }
  card.hidden = false;
  $(".pinned-name").textContent = pinned.name;
  const thumb = $(".pinned-thumb");
  thumb.hidden = !pinned.thumb_url;
  if (pinned.thumb_url) thumb.src = pinned.thumb_url;
  $(".now").textContent = krw(unitPrice());
  const was = $(".was");
  was.hidden = !sale;
  was.textContent = sale ? krw(pinned.price) : "";
  const badge = $(".sale-badge");
  badge.hidden = !sale;
  badge.textContent = text.flash_sale;
  const left = available();
  $(".stock").textContent = left > 0 ? fill(text.left, { count: left }) : text.sold_out;
  card.classList.toggle("sold-out", left <= 0);
  const buy = $(".buy-button");
  if (buy) buy.disabled = left <= 0;
  tick();
  if (sheet && !sheet.hidden) fillSheet();
}

function tick() {
  const out = $(".countdown");
  if (!sale) {
    out.textContent = "";
    return;
  }
  const ms = Date.parse(sale.ends_at) - (Date.now() + clockSkew);
  if (ms <= 0) {
    sale = null;
    out.textContent = "";
    render();
    return;
  }
  const seconds = Math.ceil(ms / 1000);
  const clock = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
  out.textContent = fill(text.ends_in, { time: clock });
}

function apply(state) {
  if (state.server_time) clockSkew = Date.parse(state.server_time) - Date.now();
  pinned = state.pinned || null;
  sale = pinned && state.sale && state.sale.product_id === pinned.id ? state.sale : null;
  render();
}

async function poll() {
  const response = await fetch(`/api/shows/${showId}/shelf`);
  if (response.ok) apply(await response.json());
}

function onEvent(name, payload) {
  if (payload.server_time) clockSkew = Date.parse(payload.server_time) - Date.now();
  if (name === "product:pinned") {
    pinned = payload.product || null;
    sale = payload.sale || null;
  } else if (name === "product:unpinned") {
    pinned = null;
    sale = null;
  } else if (name === "sale:started" && pinned && payload.sale?.product_id === pinned.id) {
    sale = payload.sale;
  } else if (name === "sale:ended" && sale && payload.sale_id === sale.id) {
    sale = null;
  } else if (name === "stock:changed" && pinned && payload.product_id === pinned.id) {
    pinned.available = payload.available;
    sale = payload.sale || (sale && Date.parse(sale.ends_at) > Date.now() + clockSkew ? sale : null);
  } else if (name === "product:sold_out" && pinned && payload.product_id === pinned.id) {
    poll().catch(() => {});
    return;
  }
  render();
}

// --- the bottom sheet -------------------------------------------------------------------

function loadStripe() {
  if (window.Stripe) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = root.dataset.stripeJs;
    script.onload = resolve;
    script.onerror = reject;
    document.head.appendChild(script);
  });
}

async function openSheet() {
  if (!pinned) return;
  sheet.hidden = false;
  $(".sheet-form", sheet).hidden = false;
  $(".sheet-done", sheet).hidden = true;
  showError("");
  fillSheet();
  if (!cardElement) {
    await loadStripe();
    stripe = window.Stripe(root.dataset.stripeKey);
    cardElement = stripe.elements().create("card");
    cardElement.mount($(".card-element", sheet));
  }
}

function fillSheet() {
  $(".sheet-title", sheet).textContent = pinned.name;
  $(".sheet-price", sheet).textContent = krw(unitPrice());
  const field = $(".variant-field", sheet);
  const select = $("select", field);
  field.hidden = pinned.variants.length === 0;
  const chosen = select.value;
  select.replaceChildren(...pinned.variants.map((v) => {
    const option = document.createElement("option");
    option.value = String(v.id);
    option.textContent = v.available > 0 ? `${v.name} · ${fill(text.left, { count: v.available })}`
      : `${v.name} · ${text.sold_out}`;
    option.disabled = v.available <= 0;
    return option;
  }));
  if (chosen) select.value = chosen;
  const quantity = $('input[name="quantity"]', sheet);
  quantity.max = String(pinned.per_order_limit);
  updatePayLabel();
}

function updatePayLabel() {
  const quantity = Number($('input[name="quantity"]', sheet).value) || 1;
  $(".pay-button", sheet).textContent = fill(text.pay, { amount: krw(unitPrice() * quantity) });
}

function showError(message) {
  const box = $(".sheet-error", sheet);
  box.hidden = !message;
  box.textContent = message || "";
}

function errorOf(result) {
  return result.data?.error?.message || text.network;
}

async function waitUntilPaid(orderId) {
  for (let i = 0; i < 60; i += 1) {
    const response = await fetch(`/api/orders/${orderId}`);
    const order = await response.json();
    if (order.status !== "pending") return order;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  return null;
}

function confirmed(order) {
  $(".sheet-form", sheet).hidden = true;
  const done = $(".sheet-done", sheet);
  done.hidden = false;
  $(".done-detail", done).textContent = fill(text.done, { id: order.id, amount: krw(order.total) });
  $('[data-testid="receipt-link"]', done).href = order.url;
}

async function pay(event) {
  event.preventDefault();
  const form = event.currentTarget;
  const button = $(".pay-button", sheet);
  showError("");
  button.disabled = true;
  button.textContent = text.paying;
  try {
    const token = await stripe.createToken(cardElement);
    if (token.error || !token.token) {
      showError(token.error?.message || text.card_missing);
      return;
    }
    const data = new FormData(form);
    const item = { product_id: pinned.id, quantity: Number(data.get("quantity")) };
    if (pinned.variants.length) item.variant_id = Number(data.get("variant_id"));
    const placed = await api(`/api/shows/${showId}/orders`, {
      items: [item], name: data.get("name"), phone: data.get("phone"),
      postcode: data.get("postcode"), address: data.get("address"),
      address_detail: data.get("address_detail"),
    });
    if (!placed.ok) {
      showError(errorOf(placed));
      return;
    }
    const order = placed.data;
    const paid = await api(`/api/orders/${order.id}/pay`, { card_token: token.token.id });
    if (!paid.ok) {
      showError(errorOf(paid));
      return;
    }
    if (paid.data.next_action) {
      const result = await stripe.confirmCardPayment(paid.data.next_action.client_secret);
      if (result.error) {
        await api(`/api/orders/${order.id}/cancel`, {});
        showError(result.error.message || text.network);
        return;
      }
    }
    let final = paid.data;
    if (final.status === "pending") {
      button.textContent = text.waiting;
      final = (await waitUntilPaid(order.id)) || final;
    }
    if (final.status === "paid") confirmed(final);
    else showError(text.network);
  } catch (err) {
    showError(text.network);
  } finally {
    button.disabled = false;
    updatePayLabel();
  }
}

if (sheet) {
  $(".buy-button").addEventListener("click", () => openSheet().catch(() => showError(text.network)));
  $(".sheet-close", sheet).addEventListener("click", () => { sheet.hidden = true; });
  $(".sheet-form", sheet).addEventListener("submit", pay);
  $('input[name="quantity"]', sheet).addEventListener("input", updatePayLabel);
}
setInterval(tick, 250);
follow(showId, onEvent, { poll });
