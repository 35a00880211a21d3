// The viewer's shelf: the pinned product card over the video, a flash-sale countdown
// against the server's clock, live stock, and the bottom sheet that pays with Stripe.js.
// User text is set with textContent only.
import { api, fill, follow, krw } from "/static/checkout/live.js";
import { LiveEvent } from "/static/js/events.js";

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
// Lines kept for this show while the shopper watches: {product_id, variant_id, quantity,
// name, variant, unit_price}. Prices here are for display; the server sets the real ones.
const cartKey = `jangteo-cart:${showId}`;
let cart = JSON.parse(sessionStorage.getItem(cartKey) || "[]");
// On a replay the card shows what was pinned at the video's moment (replay.js says which),
// taken from the line-up at today's price and stock; no flash sale runs any more.
const replay = root.dataset.replay === "yes";
let lineup = [];
let replayProductId = null;

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
  renderCartButton();
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
  const out = $(".sale-countdown");
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

function replayPinned() {
  return lineup.find((p) => p.id === replayProductId) || null;
}

function apply(state) {
  if (state.server_time) clockSkew = Date.parse(state.server_time) - Date.now();
  if (replay) {
    lineup = state.lineup || [];
    pinned = replayPinned();
    sale = null;
    render();
    return;
  }
  pinned = state.pinned || null;
  sale = pinned && state.sale && state.sale.product_id === pinned.id ? state.sale : null;
  render();
}

async function poll() {
  const response = await fetch(`/api/shows/${showId}/shelf`);
  if (response.ok) apply(await response.json());
}

function onEvent(name, payload) {
  if (replay) return; // a replay's card follows the video, not the room
  if (payload.server_time) clockSkew = Date.parse(payload.server_time) - Date.now();
  if (name === LiveEvent.PRODUCT_PINNED) {
    pinned = payload.product || null;
    sale = payload.sale || null;
  } else if (name === LiveEvent.PRODUCT_UNPINNED) {
    pinned = null;
    sale = null;
  } else if (name === LiveEvent.SALE_STARTED && pinned && payload.sale?.product_id === pinned.id) {
    sale = payload.sale;
  } else if (name === LiveEvent.SALE_ENDED && sale && payload.sale_id === sale.id) {
    sale = null;
  } else if (name === LiveEvent.STOCK_CHANGED && pinned && payload.product_id === pinned.id) {
    pinned.available = payload.available;
    sale = payload.sale || (sale && Date.parse(sale.ends_at) > Date.now() + clockSkew ? sale : null);
  } else if (name === LiveEvent.PRODUCT_SOLD_OUT && pinned && payload.product_id === pinned.id) {
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
  if (!pinned && !cart.length) return;
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
  renderCart();
  if (!pinned) {
    updatePayLabel();
    return;
  }
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

function saveCart() {
  sessionStorage.setItem(cartKey, JSON.stringify(cart));
  renderCart();
  renderCartButton();
}

function renderCartButton() {
  const button = $(".cart-button");
  if (!button) return;
  button.hidden = cart.length === 0;
  button.textContent = fill(text.cart, { count: cart.length });
}

function renderCart() {
  if (!sheet) return;
  const box = $(".cart", sheet);
  box.hidden = cart.length === 0;
  $(".cart-lines", box).replaceChildren(...cart.map((line, index) => {
    const li = document.createElement("li");
    const label = document.createElement("span");
    label.textContent = `${line.name}${line.variant ? ` (${line.variant})` : ""} × ${line.quantity} · ${krw(line.unit_price * line.quantity)}`;
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "link";
    remove.textContent = text.remove;
    remove.addEventListener("click", () => { cart.splice(index, 1); saveCart(); updatePayLabel(); });
    li.append(label, " ", remove);
    return li;
  }));
}

function currentLine() {
  if (!pinned) return null;
  const data = new FormData($(".sheet-form", sheet));
  const line = { product_id: pinned.id, quantity: Number(data.get("quantity")) || 1,
    name: pinned.name, unit_price: unitPrice(), variant_id: null, variant: "" };
  if (pinned.variants.length) {
    const variant = pinned.variants.find((v) => v.id === Number(data.get("variant_id")));
    line.variant_id = variant ? variant.id : null;
    line.variant = variant ? variant.name : "";
  }
  return line;
}

function addToCart() {
  const line = currentLine();
  if (!line) return;
  const same = cart.find((l) => l.product_id === line.product_id && l.variant_id === line.variant_id);
  if (same) same.quantity += line.quantity;
  else cart.push(line);
  saveCart();
  updatePayLabel();
}

// With a cart, the cart is what is paid; without one, the product on screen.
function linesToPay() {
  if (cart.length) return cart;
  const line = currentLine();
  return line ? [line] : [];
}

function updatePayLabel() {
  const total = linesToPay().reduce((sum, l) => sum + l.unit_price * l.quantity, 0);
  $(".pay-button", sheet).textContent = fill(text.pay, { amount: krw(total) });
}

function showError(message) {
  const box = $(".sheet-error", sheet);
  box.hidden = !message;
  box.textContent = message || "";
  // Below the card fields it may be out of the sheet's view: bring all of it in.
  if (message) box.scrollIntoView({ block: "nearest" });
}

// Stripe.js (and localstripe's stand-in) answer in English with codes; the shopper reads
// what to do in their own language. `fallback`: the sentence for an error without a code
// we know (localstripe says only "Bad request").
function cardError(error, fallback) {
  if (!error) return fallback;
  if (!(error.type || error.code)) return text.network; // the request itself failed
  const code = `${error.code || ""} ${error.decline_code || ""}`;
  if (/number/.test(code)) return text.card_number;
  if (/expir/.test(code)) return text.card_expiry;
  if (/cvc/.test(code)) return text.card_cvc;
  if (/authentication/.test(code)) return text.card_authentication;
  if (/declined|insufficient_funds/.test(code) || error.type === "card_error") return text.card_declined;
  return fallback;
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
  forgetBasketKey(); // the next purchase is a new one
  requestBasket = "";
  $(".done-detail", done).textContent = fill(text.done, { id: order.id, amount: krw(order.total) });
  $('[data-testid="receipt-link"]', done).href = order.url;
}

let requestKey = "";
let requestBasket = "";

function newRequestKey() {
  // getRandomValues also works on plain http (randomUUID needs a secure context).
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

// Kept in localStorage, which every tab of the shop shares: the same basket bought from
// a second tab of the same show is the same purchase, so it gets the same order.
function keyForBasket(basket) {
  const slot = `jangteo:order-key:${showId}:${basket}`;
  try {
    let key = localStorage.getItem(slot);
    if (!key) {
      key = newRequestKey();
      localStorage.setItem(slot, key);
    }
    return key;
  } catch (_) {
    return newRequestKey(); // storage refused (private mode): one key for this tab
  }
}

function forgetBasketKey() {
  try {
    if (requestBasket) localStorage.removeItem(`jangteo:order-key:${showId}:${requestBasket}`);
  } catch (_) { /* nothing kept */ }
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
      showError(token.error ? cardError(token.error, text.card_invalid) : text.card_missing);
      return;
    }
    const data = new FormData(form);
    const items = linesToPay().map((l) => ({ product_id: l.product_id, variant_id: l.variant_id,
      quantity: l.quantity }));
    // One key per purchase: a retry of the same basket (a timeout, a double tap, a card
    // tried again) asks for the same order, never a second one holding more units.
    const basket = JSON.stringify(items);
    if (basket !== requestBasket) {
      requestBasket = basket;
      requestKey = keyForBasket(basket);
    }
    const placed = await api(`/api/shows/${showId}/orders`, {
      request_key: requestKey,
      items, name: data.get("name"), phone: data.get("phone"),
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
      // The sheet steps back while the card issuer's 3-D Secure dialog is open (localstripe's
      // stand-in dialog has no z-index of its own).
      sheet.style.zIndex = "0";
      let result;
      try {
        result = await stripe.confirmCardPayment(paid.data.next_action.client_secret);
      } finally {
        sheet.style.zIndex = "";
      }
      // A failed check comes back as an error (Stripe) or as a payment that again
      // needs a card (localstripe): either way nothing was charged.
      if (result.error || result.paymentIntent?.status === "requires_payment_method") {
        await api(`/api/orders/${order.id}/cancel`, {});
        showError(cardError(result.error, text.card_authentication));
        return;
      }
    }
    let final = paid.data;
    if (final.status === "pending") {
      button.textContent = text.waiting;
      final = (await waitUntilPaid(order.id)) || final;
    }
    if (final.status === "paid") {
      cart = [];
      saveCart();
      confirmed(final);
    }
    else if (final.status === "cancelled") showError(text.not_paid);
    else showError(text.network);
  } catch (err) {
    showError(text.network);
  } finally {
    button.disabled = false;
    updatePayLabel();
  }
}

if (sheet) {
  // Stripe's own card field takes "4242 4242 4242 4242"; localstripe's stand-in fields
  // refuse spaces and dashes, so they are taken out as they are typed (this listener
  // runs before the field's own, in the capture phase).
  $(".card-element", sheet).addEventListener("input", (event) => {
    const input = event.target;
    if (input instanceof HTMLInputElement && /[\s-]/.test(input.value)) {
      input.value = input.value.replace(/[\s-]/g, "");
    }
  }, true);
  $(".buy-button").addEventListener("click", () => openSheet().catch(() => showError(text.network)));
  $(".sheet-close", sheet).addEventListener("click", () => { sheet.hidden = true; });
  $(".sheet-form", sheet).addEventListener("submit", pay);
  $('input[name="quantity"]', sheet).addEventListener("input", updatePayLabel);
  $("select", sheet).addEventListener("change", updatePayLabel);
  $(".add-to-cart", sheet).addEventListener("click", addToCart);
  $(".cart-button").addEventListener("click", () => openSheet().catch(() => showError(text.network)));
  renderCart();
  renderCartButton();
}
if (replay) {
  document.addEventListener("replay:pinned", (event) => {
    replayProductId = event.detail.product_id;
    pinned = replayPinned();
    render();
  });
}
setInterval(tick, 250);
follow(showId, onEvent, { poll });
