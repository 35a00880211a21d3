"""Serves the HLS rendition of a live show (streaming/hls.py) to players that fall back
to it. The same files can be served by nginx or a CDN instead (deploy/nginx-hls.conf):
the playlist must not be cached for more than a second, segments can be cached for
good (their names never repeat within a show)."""

from __future__ import annotations

import re

from aiohttp import web

from server import keys
from server.errors import N_, NotFound
from server.shows import service as shows
from server.shows.models import ShowState
from streaming.hls import CONTENT_TYPES, PLAYLIST, hls_dir

routes = web.RouteTableDef()

# Only the names the muxer writes: no path can leave the show's folder.
FILE_NAME = re.compile(r"(index\.m3u8|init\.mp4|seg-\d{5}\.m4s)")


class NoHls(NotFound):
    template = N_("This show has no HLS stream right now.")
    code = "no_hls"


@routes.get("/shows/{show_id:\\d+}/hls/{name}", name="hls")
async def hls_file(request: web.Request) -> web.StreamResponse:
    name = request.match_info["name"]
    if not FILE_NAME.fullmatch(name):
        raise NoHls()
    async with request.app[keys.sessionmaker]() as session:
        show = await shows.get_show(session, int(request.match_info["show_id"]))
    viewer = request.get(keys.request_user)
    # Live and public, or its staff watching the rehearsal.
    if not (show.state is ShowState.LIVE and show.is_public) and not shows.can_present(
        viewer, show
    ):
        raise NoHls()
    path = hls_dir(request.app[keys.settings].data_dir, show.id) / name
    if not path.is_file():
        raise NoHls()
    cache = "no-cache" if name == PLAYLIST else "public, max-age=3600, immutable"
    content_type = CONTENT_TYPES[path.suffix]
    return web.FileResponse(path, headers={"Content-Type": content_type, "Cache-Control": cache})
