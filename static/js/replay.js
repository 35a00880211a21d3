// Replay: the recording plays, the chat of that moment scrolls by in step, the product
// pinned at that moment shows over the video, and the timeline of pins and flash sales
// seeks the video. Text is set with textContent only.
//
// Every listener is attached before the video gets its src: a missing recording's error,
// or metadata already in the cache, can fire as soon as the src is set.
const video = document.querySelector("[data-testid=replay-video]");
const list = document.querySelector("[data-testid=replay-chat]");
const missing = document.querySelector("[data-testid=replay-missing]");
const data = JSON.parse(document.getElementById("replay-data").textContent);
const messages = data.messages;
// [{offset_ms, product_id|null}] in time order: what was pinned from that moment on.
const pins = data.pins || [];
let shown = 0;
let pinnedNow;

function render(item) {
  const li = document.createElement("li");
  const who = document.createElement("strong");
  who.textContent = item.author;
  who.className = `badge-${item.badge}`;
  const body = document.createElement("span");
  body.textContent = ` ${item.body}`;
  li.append(who, body);
  return li;
}

function syncChat() {
  const now = video.currentTime * 1000;
  // Seeking back: start over; the list is rebuilt up to the new moment.
  if (shown > 0 && messages[shown - 1].offset_ms > now) {
    list.replaceChildren();
    shown = 0;
  }
  while (shown < messages.length && messages[shown].offset_ms <= now) {
    list.append(render(messages[shown]));
    shown += 1;
  }
  while (list.children.length > 30) list.firstElementChild.remove();
  list.scrollTop = list.scrollHeight;
}

// The product on screen at this moment of the show (the shelf listens for it).
function syncPinned() {
  const now = video.currentTime * 1000;
  let productId = null;
  for (const pin of pins) {
    if (pin.offset_ms > now) break;
    productId = pin.product_id;
  }
  if (productId === pinnedNow) return;
  pinnedNow = productId;
  document.dispatchEvent(new CustomEvent("replay:pinned", { detail: { product_id: productId } }));
}

function sync() {
  syncChat();
  syncPinned();
}

function showMissing() {
  missing.textContent = video.dataset.missingText;
  missing.hidden = false;
  video.hidden = true;
}

// A receipt links to the moment of purchase: /shows/7?t=754 (seconds into the show).
const startAt = Number(new URLSearchParams(window.location.search).get("t"));
function seekToStart() {
  if (startAt > 0) video.currentTime = startAt;
  sync();
}

video.addEventListener("timeupdate", sync);
video.addEventListener("seeked", sync);
video.addEventListener("error", showMissing);
video.addEventListener("loadedmetadata", seekToStart, { once: true });

for (const button of document.querySelectorAll("[data-testid=seek]")) {
  button.addEventListener("click", () => {
    video.currentTime = Number(button.dataset.offsetMs) / 1000;
    video.play().catch(() => {});
    sync();
  });
}

video.src = video.dataset.src;
// Belt and braces: had the browser finished either before we got here, act on it now.
if (video.error) showMissing();
else if (video.readyState >= 1) {
  video.removeEventListener("loadedmetadata", seekToStart);
  seekToStart();
}
sync();
