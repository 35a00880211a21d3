"""Serves a show's recording for its replay (with HTTP ranges, so the player can seek)."""

from __future__ import annotations

from aiohttp import web

from server import keys
from server.errors import N_, NotFound
from server.shows import service as shows
from server.shows.replay import can_watch_replay
from streaming.recording import find_recording

routes = web.RouteTableDef()


class NoRecording(NotFound):
    template = N_("There is no recording of this show.")
    code = "no_recording"


@routes.get("/shows/{show_id:\\d+}/recording", name="recording")
@routes.get("/shows/{show_id:\\d+}/recording.webm")  # the address older pages link to
async def recording(request: web.Request) -> web.StreamResponse:
    """The show's recording, WebM (VP8) or MP4 (H.264), whichever it was recorded in."""
    async with request.app[keys.sessionmaker]() as session:
        show = await shows.get_show(session, int(request.match_info["show_id"]))
    if not can_watch_replay(request.get(keys.request_user), show):
        raise NoRecording()
    found = find_recording(request.app[keys.settings].data_dir, show.id)
    if found is None:
        raise NoRecording()
    path, mime = found
    return web.FileResponse(
        path, headers={"Content-Type": mime, "Cache-Control": "private, max-age=3600"}
    )
