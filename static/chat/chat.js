// Live chat for the show page (viewer) and the studio: one Socket.IO connection per
// page, the room of one show. Text from people is only ever set with textContent.
import { ChatCommand, ChatEvent } from "/static/js/events.js";
import { showSocket, watching } from "/static/js/live_socket.js";

const STICK_PX = 48; // closer than this to the bottom counts as "reading the latest"
const MAX_LOG = 200; // older lines are dropped so a long show does not grow the page

for (const panel of document.querySelectorAll("[data-chat]")) {
  startChat(panel);
}

function startChat(panel) {
  const showId = Number(panel.dataset.showId);
  const studio = panel.dataset.mode === "studio";
  const t = JSON.parse(panel.querySelector(".chat-strings").textContent);
  const $ = (selector) => panel.querySelector(selector);
  const log = $(".chat-log");
  const jump = $(".chat-jump");
  const errorBox = $(".chat-error");
  const byId = new Map();
  let me = { can_moderate: false };
  let errorTimer = 0;

  const socket = showSocket(showId);
  // Already connected (the shelf opened it first): join again to get the room's state.
  if (socket.connected) socket.emit(ChatCommand.JOIN, { show_id: showId, watching: watching() });
  // What the chatter sends before the room is joined waits for it: socket.io flushes its
  // own buffer before our "connect" handler joins, so the server would refuse it.
  let joined = false;
  const waiting = [];
  socket.on("disconnect", () => {
    joined = false;
    showError(t.disconnected);
  });

  socket.on(ChatEvent.JOINED, (state) => {
    me = state.me;
    log.replaceChildren();
    byId.clear();
    hideError();
    state.messages.forEach(addMessage);
    setCount("chat-viewers", state.viewers);
    setCount("chat-hearts", state.hearts);
    showRoom(state);
    log.scrollTop = log.scrollHeight;
    if (studio) socket.emit(ChatCommand.OPEN_QUESTIONS, { show_id: showId });
    joined = true;
    for (const payload of waiting.splice(0)) socket.emit(ChatCommand.SEND_MESSAGE, payload);
  });
  socket.on(ChatEvent.MESSAGES, (batch, extra) => {
    // Heart and viewer updates may ride along in the same frame.
    if (extra?.[ChatEvent.HEARTS]) onHearts(extra[ChatEvent.HEARTS]);
    if (extra?.[ChatEvent.VIEWERS]) setCount("chat-viewers", extra[ChatEvent.VIEWERS].count);
    const stick = nearBottom();
    batch.forEach(addMessage);
    trimLog();
    if (stick) log.scrollTop = log.scrollHeight;
    else jump.hidden = false;
    if (studio && batch.some((m) => m.question)) socket.emit(ChatCommand.OPEN_QUESTIONS, { show_id: showId });
  });
  socket.on(ChatEvent.MESSAGE_DELETED, ({ id }) => {
    byId.get(id)?.remove();
    byId.delete(id);
    dropQuestion(id);
  });
  socket.on(ChatEvent.QUESTION_ANSWERED, ({ id }) => {
    byId.get(id)?.classList.add("answered");
    dropQuestion(id);
  });
  socket.on(ChatEvent.QUESTIONS, ({ questions }) => renderQuestions(questions));
  socket.on(ChatEvent.VIEWERS, ({ count }) => setCount("chat-viewers", count));
  socket.on(ChatEvent.HEARTS, onHearts);
  socket.on(ChatEvent.ROOM_STATE, showRoom);
  // A ban or time-out stays on screen: it is the state of this chat, not a passing hiccup.
  socket.on(ChatEvent.ERROR, ({ message, code }) =>
    showError(message, code === "banned" || code === "timed_out"));
  socket.on(ChatEvent.DONE, () => {
    const done = $(".chat-done");
    if (done) done.textContent = t.done;
  });

  log.addEventListener("scroll", () => {
    if (nearBottom()) jump.hidden = true;
  });
  jump.addEventListener("click", () => {
    log.scrollTop = log.scrollHeight;
    jump.hidden = true;
  });

  const form = $(".chat-form");
  form?.addEventListener("submit", (event) => {
    event.preventDefault();
    const input = form.elements.text;
    const text = input.value.trim();
    if (!text) return;
    const payload = { show_id: showId, text };
    if (form.elements.question?.checked) payload.question = true;
    hideError(); // a refusal of this attempt will show again
    if (joined) socket.emit(ChatCommand.SEND_MESSAGE, payload);
    else waiting.push(payload);
    input.value = "";
    if (form.elements.question) form.elements.question.checked = false;
    log.scrollTop = log.scrollHeight; // your own message: back to the latest
  });

  $(".heart-button")?.addEventListener("click", () => {
    socket.emit(ChatCommand.HEART, { show_id: showId });
    floatHearts(1);
  });

  for (const control of panel.querySelectorAll(".chat-control")) {
    control.addEventListener("submit", (event) => {
      event.preventDefault();
      const f = control.elements;
      const kind = control.dataset.control;
      if (kind === "notice") socket.emit(ChatCommand.SET_NOTICE, { show_id: showId, text: f.text.value });
      if (kind === "slow") socket.emit(ChatCommand.SET_SLOW_MODE, { show_id: showId, seconds: Number(f.seconds.value) });
      if (kind === "freeze") socket.emit(ChatCommand.SET_FROZEN, { show_id: showId, frozen: f.frozen.checked });
      if (kind === "word") {
        const payload = { show_id: showId, word: f.word.value };
        if (f.platform?.checked) payload.platform = true;
        socket.emit(ChatCommand.ADD_BANNED_WORD, payload);
        f.word.value = "";
      }
    });
  }

  function onHearts({ total, added }) {
    setCount("chat-hearts", total);
    floatHearts(Math.min(added, 12));
  }

  function nearBottom() {
    return log.scrollHeight - log.scrollTop - log.clientHeight < STICK_PX;
  }

  function trimLog() {
    while (log.children.length > MAX_LOG) {
      const first = log.firstElementChild;
      byId.delete(first.dataset.id);
      first.remove();
    }
  }

  function addMessage(m) {
    const item = document.createElement("li");
    item.className = "chat-line";
    item.dataset.id = m.id;
    item.setAttribute("data-testid", "chat-line");
    if (m.question) item.classList.add("question");
    if (m.answered) item.classList.add("answered");
    const label = t[`badge_${m.badge}`];
    if (label) {
      const badge = document.createElement("span");
      badge.className = `chat-badge badge-${m.badge}`;
      badge.textContent = label;
      item.append(badge);
    }
    const author = document.createElement("b");
    author.className = "chat-author";
    author.textContent = m.author;
    const text = document.createElement("span");
    text.className = "chat-text";
    text.textContent = m.text;
    item.append(author, " ", text);
    if (m.question) {
      const tag = document.createElement("span");
      tag.className = "chat-tag";
      tag.textContent = t.question;
      item.append(" ", tag);
    }
    if (me.can_moderate && m.user_id !== me.user_id) item.append(moderationTools(m));
    log.append(item);
    byId.set(m.id, item);
  }

  // One "⋯" per line; its actions open below it as real buttons (a row of tiny links
  // on every line was hard to hit on a phone and crowded the chat).
  function moderationTools(m) {
    const tools = document.createElement("details");
    tools.className = "chat-tools";
    const toggle = document.createElement("summary");
    toggle.textContent = "⋯";
    toggle.title = t.moderate;
    toggle.setAttribute("aria-label", `${t.moderate}: ${m.author}`);
    toggle.setAttribute("data-testid", "chat-tools-toggle");
    const menu = document.createElement("div");
    menu.className = "chat-menu";
    const add = (label, event, extra, danger = false) => {
      const button = document.createElement("button");
      button.type = "button";
      if (danger) button.className = "danger";
      button.textContent = label;
      button.setAttribute("data-testid", "chat-action");
      button.addEventListener("click", () => {
        socket.emit(event, { show_id: showId, ...extra });
        tools.open = false;
      });
      menu.append(button);
    };
    add(t.delete, ChatCommand.DELETE_MESSAGE, { message_id: m.id });
    if (m.badge === "shopper") {
      add(t.timeout, ChatCommand.TIMEOUT_USER, { user_id: m.user_id, minutes: 5 });
      add(t.ban, ChatCommand.BAN_USER, { user_id: m.user_id }, true);
      if (me.is_operator) add(t.ban_platform, ChatCommand.BAN_USER, { user_id: m.user_id, platform: true }, true);
      if (studio) add(t.appoint, ChatCommand.APPOINT_MODERATOR, { user_id: m.user_id });
    }
    tools.append(toggle, menu);
    return tools;
  }

  function renderQuestions(questions) {
    const list = $(".chat-questions");
    if (!list) return;
    list.replaceChildren();
    for (const q of questions) {
      const item = document.createElement("li");
      item.dataset.id = q.id;
      const author = document.createElement("b");
      author.textContent = q.author;
      const text = document.createElement("span");
      text.textContent = ` ${q.text} `;
      const answer = document.createElement("button");
      answer.type = "button";
      answer.textContent = t.mark_answered;
      answer.setAttribute("data-testid", "mark-answered");
      answer.addEventListener("click", () =>
        socket.emit(ChatCommand.MARK_ANSWERED, { show_id: showId, message_id: q.id }));
      item.append(author, text, answer);
      list.append(item);
    }
    showQuestionsOrNone();
  }

  function dropQuestion(id) {
    panel.querySelector(`.chat-questions [data-id="${CSS.escape(id)}"]`)?.remove();
    showQuestionsOrNone();
  }

  // The empty state is a sentence beside the list, not item "1." of it.
  function showQuestionsOrNone() {
    const list = $(".chat-questions");
    const empty = $(".chat-questions-empty");
    if (!list || !empty) return;
    list.hidden = !list.children.length;
    empty.hidden = list.children.length > 0;
  }

  function showRoom(state) {
    const notice = $(".chat-notice");
    notice.textContent = state.notice || "";
    notice.hidden = !state.notice;
    const room = $(".chat-room-state");
    const parts = [];
    if (state.frozen) parts.push(t.frozen);
    if (state.slow_mode) parts.push(t.slow_mode_on.replace("%(seconds)s", state.slow_mode));
    room.textContent = parts.join(" · ");
    room.hidden = !parts.length;
    const freeze = panel.querySelector('[data-control="freeze"] [name="frozen"]');
    if (freeze) freeze.checked = state.frozen;
  }

  function setCount(testid, value) {
    const el = panel.querySelector(`[data-testid="${testid}"]`);
    if (el) el.textContent = Number(value).toLocaleString();
  }

  function showError(message, lasting = false) {
    errorBox.textContent = message;
    errorBox.hidden = false;
    clearTimeout(errorTimer);
    if (!lasting) errorTimer = setTimeout(hideError, 6000);
  }

  function hideError() {
    errorBox.hidden = true;
  }

  function floatHearts(n) {
    const layer = $(".hearts-layer");
    if (!layer || matchMedia("(prefers-reduced-motion: reduce)").matches) return;
    for (let i = 0; i < n; i++) {
      const heart = document.createElement("span");
      heart.className = "floating-heart";
      heart.textContent = "♥";
      heart.style.left = `${10 + Math.random() * 60}%`;
      heart.style.animationDelay = `${i * 90}ms`;
      heart.addEventListener("animationend", () => heart.remove());
      layer.append(heart);
    }
  }
}
