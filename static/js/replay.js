// Replay: the recording plays, the chat of that moment scrolls by in step, and the
// timeline of pins and flash sales seeks the video. Text is set with textContent only.
const video = document.querySelector("[data-testid=replay-video]");
const list = document.querySelector("[data-testid=replay-chat]");
const data = JSON.parse(document.getElementById("replay-data").textContent);
const messages = data.messages;
let shown = 0;

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

video.addEventListener("timeupdate", syncChat);
video.addEventListener("seeked", syncChat);
video.addEventListener("error", () => {
  const missing = document.querySelector("[data-testid=replay-missing]");
  missing.textContent = video.dataset.missingText;
  missing.hidden = false;
});
// A receipt links to the moment of purchase: /shows/7?t=754 (seconds into the show).
const startAt = Number(new URLSearchParams(window.location.search).get("t"));
if (startAt > 0) {
  video.addEventListener("loadedmetadata", () => {
    video.currentTime = startAt;
    syncChat();
  }, { once: true });
}

for (const button of document.querySelectorAll("[data-testid=seek]")) {
  button.addEventListener("click", () => {
    video.currentTime = Number(button.dataset.offsetMs) / 1000;
    video.play().catch(() => {});
    syncChat();
  });
}
