// Counts down to a scheduled show's start and, once it is due, checks the show's state
// every few seconds: when it goes live the page reloads into the player by itself.
const el = document.querySelector("[data-testid=countdown]");

function format(ms, units) {
  const [d, h, m, s] = units;
  const total = Math.max(0, Math.floor(ms / 1000));
  const parts = [
    [Math.floor(total / 86400), d], [Math.floor(total / 3600) % 24, h],
    [Math.floor(total / 60) % 60, m], [total % 60, s],
  ];
  while (parts.length > 2 && parts[0][0] === 0) parts.shift();
  return parts.map(([n, unit]) => `${n}${unit}`).join(" ");
}

async function pollUntilLive(showId) {
  try {
    const resp = await fetch(`/api/shows/${showId}`, { headers: { Accept: "application/json" } });
    if (resp.ok && (await resp.json()).state === "live") {
      window.location.reload();
      return;
    }
  } catch (_) { /* offline for a moment: try again */ }
  setTimeout(() => pollUntilLive(showId), 5000);
}

if (el) {
  const startsAt = Date.parse(el.dataset.startsAt);
  const units = el.dataset.units.split("|");
  let polling = false;
  const tick = () => {
    const left = startsAt - Date.now();
    if (left > 0) {
      el.textContent = format(left, units);
      return;
    }
    el.textContent = el.dataset.liveText;
    if (!polling) {
      polling = true;
      pollUntilLive(el.dataset.showId);
    }
  };
  tick();
  setInterval(tick, 1000);
}
