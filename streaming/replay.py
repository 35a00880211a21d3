"""Serves a show's recording for its replay (with HTTP ranges, so the player can seek)."""

from __future__ import annotations

from aiohttp import web

from server import keys
from server.errors import N_, NotFound
from server.shows import service as shows
from server.shows.replay import can_watch_replay
from streaming.recording import recording_path

routes = web.RouteTableDef()


class NoRecording(NotFound):
    template = N_("There is no recording of this show.")
    code = "no_recording"


@routes.get("/shows/{show_id:\\d+}/recording.webm", name="recording")
async def recording(request: web.Request) -> web.StreamResponse:
    async with request.app[keys.sessionmaker]() as session:
        show = await shows.get_show(session, int(request.match_info["show_id"]))
    if not can_watch_replay(request.get(keys.request_user), show):
        raise NoRecording()
    path = recording_path(request.app[keys.settings].data_dir, show.id)
    if not path.is_file():
        raise NoRecording()
    return web.FileResponse(
        path, headers={"Content-Type": "video/webm", "Cache-Control": "private, max-age=3600"}
    )
