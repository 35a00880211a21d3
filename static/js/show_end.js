// When the show ends (or is cancelled) while its page is open, the page says so at once:
// the badge changes, what no longer works goes (unmuting, chatting, the live product
// card; see app.css, `.stage.over`) and a panel offers what still
// works: the replay, the shopper's orders, the store. Heard from the show's room
// (show:state); a slow poll of the stream status covers a dropped connection.
import { LiveEvent } from "/static/js/events.js";

const POLL_MS = 5000;
const stage = document.querySelector(".stage[data-show-id]");
const panel = document.querySelector("[data-testid=ended-panel]");
let over = false;

function finish(state) {
  if (over || (state !== "ended" && state !== "cancelled")) return;
  over = true;
  stage.dataset.state = state;
  stage.classList.add("over");
  const badge = document.querySelector("[data-testid=show-state]");
  if (badge) {
    badge.textContent = state === "ended" ? panel.dataset.endedLabel : panel.dataset.cancelledLabel;
    badge.classList.remove("state-live", "state-scheduled");
    badge.classList.add(`state-${state}`);
  }
  for (const part of panel.querySelectorAll("[data-when]")) part.hidden = part.dataset.when !== state;
  // A payment under way finishes in its sheet; otherwise the sheet goes with the card.
  const sheet = document.querySelector("[data-testid=checkout-sheet]");
  const paying = sheet?.querySelector(".pay-button")?.disabled;
  if (sheet && !paying) sheet.hidden = true;
  panel.hidden = false;
}

async function poll(showId) {
  while (!over) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    try {
      const response = await fetch(`/shows/${showId}/stream`, { cache: "no-store" });
      if (response.ok) finish((await response.json()).state);
    } catch (err) {
      // Offline for a moment: the next round asks again.
    }
  }
}

if (stage && panel) {
  const showId = stage.dataset.showId;
  import("/static/js/live_socket.js")
    .then(({ showSocket }) => {
      showSocket(showId).on(LiveEvent.SHOW_STATE, (payload) => finish(payload?.state));
    })
    .catch(() => {});
  poll(showId);
}
