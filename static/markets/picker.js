// Narrows the market list as the merchant types, with the server's Korean search
// (initial consonants and half-typed syllables included).
for (const picker of document.querySelectorAll("[data-market-picker]")) {
  const search = picker.querySelector(".market-picker-search");
  const select = picker.querySelector("select");
  search.hidden = false;
  let asked = 0;
  search.addEventListener("input", async () => {
    const ask = ++asked;
    const query = search.value.trim();
    let found = null;
    if (query) {
      const response = await fetch(`/api/markets?${new URLSearchParams({ q: query })}`);
      if (!response.ok || ask !== asked) return;
      found = (await response.json()).map((m) => String(m.id));
    }
    for (const option of select.querySelectorAll("optgroup option")) {
      option.hidden = found !== null && !found.includes(option.value);
    }
    for (const group of select.querySelectorAll("optgroup")) {
      group.hidden = [...group.children].every((o) => o.hidden);
    }
    // The best match (the server lists name matches first) is chosen for them.
    if (found !== null && found.length) select.value = found[0];
  });
}
