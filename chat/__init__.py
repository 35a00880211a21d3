"""Live chat: Socket.IO rooms per show, hearts, viewer counts, Q&A and moderation.

The factory (`server/app.py`) builds the pieces: the Socket.IO server
(`chat.socket_server`), the hub that fans messages out and stores them (`chat.hub`),
and the namespace that checks and translates each socket event (`chat.namespace`).
"""
