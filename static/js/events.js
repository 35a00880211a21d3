// Event names the pages use, mirrored from server/events.py (the one list; a test keeps
// the two in step).
export const LiveEvent = Object.freeze({
  PRODUCT_PINNED: "product:pinned",
  PRODUCT_UNPINNED: "product:unpinned",
  PRODUCT_SOLD_OUT: "product:sold_out",
  SALE_STARTED: "sale:started",
  SALE_ENDED: "sale:ended",
  STOCK_CHANGED: "stock:changed",
  ORDER_PAID: "order:paid",
  STREAM_STATE: "stream:state",
  STREAM_VIEWERS: "stream:viewers",
  SHOW_STATE: "show:state",
});

export const ChatCommand = Object.freeze({
  JOIN: "room:join",
  SEND_MESSAGE: "message:send",
  HEART: "heart:send",
  OPEN_QUESTIONS: "questions:open",
  MARK_ANSWERED: "question:mark_answered",
  DELETE_MESSAGE: "message:delete",
  TIMEOUT_USER: "user:timeout",
  BAN_USER: "user:ban",
  SET_SLOW_MODE: "room:set_slow_mode",
  SET_FROZEN: "room:set_frozen",
  SET_NOTICE: "room:set_notice",
  ADD_BANNED_WORD: "banned_word:add",
  APPOINT_MODERATOR: "moderator:appoint",
  FOLLOW_STORE: "store:follow",
});

export const ChatEvent = Object.freeze({
  JOINED: "room:joined",
  MESSAGES: "messages:batch",
  STORED: "message:stored",
  MESSAGE_DELETED: "message:deleted",
  QUESTION_ANSWERED: "question:answered",
  QUESTIONS: "questions:list",
  HEARTS: "hearts:total",
  VIEWERS: "viewers:count",
  ROOM_STATE: "room:state",
  ERROR: "chat:error",
  DONE: "moderation:done",
  STORE_FOLLOWED: "store:followed",
});
