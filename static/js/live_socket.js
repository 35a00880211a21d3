// One Socket.IO connection per page and show, shared by chat and the product shelf:
// a second connection would count the same viewer twice. The connection joins the
// show's room (chat's `join` event) every time it (re)connects.
import { ChatCommand } from "/static/js/events.js";
import { io } from "/static/vendor/socket.io/socket.io.esm.min.js";

const sockets = new Map();

// The studio and the moderation dashboard mark the page: staff there are not viewers.
export function watching() {
  return !document.body.hasAttribute("data-not-watching");
}

export function showSocket(showId) {
  const id = Number(showId);
  if (!sockets.has(id)) {
    const socket = io({ transports: ["websocket", "polling"] });
    socket.on("connect", () => socket.emit(ChatCommand.JOIN, { show_id: id, watching: watching() }));
    sockets.set(id, socket);
  }
  return sockets.get(id);
}

// The merchant's pages (orders, console) follow their store's staff room: orders as they
// are paid. The server checks that the signed-in account may; it joins again on every
// (re)connect.
const storeSockets = new Map();

export function storeSocket(storeId) {
  const id = Number(storeId);
  if (!storeSockets.has(id)) {
    const socket = io({ transports: ["websocket", "polling"] });
    socket.on("connect", () => socket.emit(ChatCommand.FOLLOW_STORE, { store_id: id }));
    storeSockets.set(id, socket);
  }
  return storeSockets.get(id);
}
