"""WebRTC live video: WHIP ingest, WHEP playback, a forwarding unit, recording.

The factory (`server/app.py`) builds `streaming.lifecycle.ShowStreams` (the broadcast
registry and its rules) at start-up and adds `streaming.views.routes`.
"""
