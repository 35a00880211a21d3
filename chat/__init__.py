"""Live chat: Socket.IO rooms per show, hearts, viewer counts, Q&A and moderation.

The factory (`server/app.py`) builds the pieces: the Socket.IO server
(`chat.socket_server`), the hub that stores each window of messages and then fans it
out (`chat.hub`), the domain calls that hold the rules (`chat.joining.RoomEntry`,
`chat.posting.ChatPosting`, `chat.moderation.ChatModeration`), and the namespace that
parses each socket event, makes one of those calls and translates the outcome
(`chat.namespace`).
"""
