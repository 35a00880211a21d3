// The merchant's orders page, live: an order appears at the top of the table the moment
// it is paid. The socket says only which order; its row comes from the server with the
// page's own sign-in (the same template and checks as the table).
import { ChatEvent, LiveEvent } from "/static/js/events.js";
import { storeSocket } from "/static/js/live_socket.js";

const SHOWN_STATUSES = ["", "paid"]; // the tabs a just-paid order belongs in

for (const box of document.querySelectorAll("[data-orders-live]")) {
  if (SHOWN_STATUSES.includes(box.dataset.status)) follow(box);
}

function follow(box) {
  const body = box.querySelector("tbody");
  const live = box.querySelector(".orders-live");
  const socket = storeSocket(box.dataset.storeId);
  socket.on(ChatEvent.STORE_FOLLOWED, () => { live.hidden = false; });
  socket.on("disconnect", () => { live.hidden = true; });
  socket.on(LiveEvent.ORDER_PAID, async ({ order_id: orderId }) => {
    const response = await fetch(box.dataset.rowUrl.replace("{id}", String(orderId)));
    if (!response.ok) return;
    const template = document.createElement("template");
    template.innerHTML = (await response.text()).trim(); // our own server's HTML
    const row = template.content.querySelector("tr[data-order-id]");
    if (!row) return;
    const old = body.querySelector(`tr[data-order-id="${CSS.escape(String(orderId))}"]`);
    if (old) old.replaceWith(row);
    else body.prepend(row);
    body.querySelector(".orders-empty")?.remove();
    row.classList.add("just-paid");
  });
}
