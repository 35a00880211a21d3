"""HTTP edge of streaming: WHIP (RFC 9725) and WHEP endpoints, stream status, the
studio's end-show and stream-key actions."""

from __future__ import annotations

import functools
import hmac
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import web

from server import keys as server_keys
from server.errors import DomainError, Forbidden
from server.events import LiveEvent
from server.http import error_body, ice_servers_for, json_response, require_user, translations
from server.inputs import route_id
from server.security import CSRF_HEADER, CsrfFailed, csrf_exempt, csrf_token
from server.shows import service as shows
from server.shows.errors import ShowNotFound
from server.shows.models import Show, ShowState
from server.shows.visibility import checks_visibility_itself
from streaming.errors import (
    BadCandidates,
    CannotGoLive,
    IceRestartNotSupported,
    NotOrigin,
    NotPresenter,
    NotPublisher,
    SessionNotFound,
    ShowNotLive,
    WrongContentType,
    WrongFragmentType,
    WrongNodeToken,
    WrongStreamKey,
)
from streaming.trickle import MAX_FRAGMENT_BYTES, SDPFRAG_TYPE

routes = web.RouteTableDef()
log = logging.getLogger("jangteo.streaming")

SDP_TYPE = "application/sdp"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def errors_as_json(handler: Handler) -> Handler:
    """WHIP/WHEP clients (OBS, scripts) read JSON errors, never an HTML page."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except DomainError as exc:
            message = exc.translate(translations(request).gettext)
            # RFC 9725 section 4.5 (and RFC 6750): a refused encoder learns how to retry.
            headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
            return json_response(
                error_body(request, exc.code, message, getattr(exc, "field", "")),
                status=exc.status,
                headers=headers,
            )
        except web.HTTPException:
            raise
        except Exception:
            # Still a 500, but one an encoder can read; the cause goes to the log.
            log.exception("unhandled streaming error", extra={"path": request.path})
            message = translations(request).gettext(
                "Something went wrong on our side. Please try again."
            )
            return json_response(error_body(request, "http_500", message), status=500)

    wrapper.json_errors = True  # type: ignore[attr-defined]
    return wrapper


def _show_id(request: web.Request) -> int:
    return route_id(request, "show_id")


async def _load_show(request: web.Request) -> Show:
    async with request.app[server_keys.sessionmaker]() as session:
        return await shows.get_show(session, _show_id(request))


async def _load_visible_show(request: web.Request) -> Show:
    async with request.app[server_keys.sessionmaker]() as session:
        return await shows.get_visible_show(
            session, request.get(server_keys.request_user), _show_id(request)
        )


def _authorize_publisher(
    request: web.Request, show: Show, refused: type[Forbidden] = NotPresenter
) -> None:
    """A WHIP publisher is either an encoder holding the show's stream key (Bearer) or
    a presenter signed in to the studio page (cookie, so the CSRF token is checked).
    `refused` is what a signed-in account that may not present is told."""
    auth = request.headers.get("Authorization", "")
    if auth:
        scheme, _, token = auth.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            token.strip().encode(), show.stream_key.encode()
        ):
            raise WrongStreamKey()
        return
    if not shows.may_view(request.get(server_keys.request_user), show):
        raise ShowNotFound(show_id=show.id)  # a stranger learns nothing of a private show
    user = require_user(request)
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent or not hmac.compare_digest(sent, csrf_token(request)):
        raise CsrfFailed()
    if not shows.can_present(user, show):
        raise refused()


async def _read_offer(request: web.Request) -> str:
    if request.content_type != SDP_TYPE:
        raise WrongContentType()
    raw = await request.read()
    return raw.decode("utf-8", errors="replace")


def ice_server_links(ice_servers: Iterable[dict[str, Any]]) -> list[str]:
    """RFC 9725 section 4.6: the ICE servers as `Link` header values, so encoders such as
    OBS use the same STUN/TURN servers as the pages."""
    links = []
    for server in ice_servers:
        urls = server["urls"] if isinstance(server["urls"], list) else [server["urls"]]
        for url in urls:
            link = f'<{url}>; rel="ice-server"'
            if server.get("username"):
                link += (
                    f'; username="{server["username"]}"; credential="'
                    f'{server.get("credential", "")}"; credential-type="password"'
                )
            links.append(link)
    return links


def _sdp_created(request: web.Request, answer: str, location: str) -> web.Response:
    response = web.Response(
        status=201,
        text=answer,
        content_type=SDP_TYPE,
        # RFC 9725 4.3.1: the session takes trickled candidates (not ICE restarts).
        headers={
            "Location": location,
            "Cache-Control": "no-store",
            "Accept-Patch": SDPFRAG_TYPE,
        },
    )
    for link in ice_server_links(ice_servers_for(request)):
        response.headers.add("Link", link)
    return response


@routes.post("/shows/{show_id:\\d+}/whip", name="whip")
@csrf_exempt
@checks_visibility_itself  # a stream key, or JSON errors for encoders
@errors_as_json
async def whip_publish(request: web.Request) -> web.StreamResponse:
    show = await _load_show(request)
    _authorize_publisher(request, show)
    offer = await _read_offer(request)
    if show.state not in (ShowState.SCHEDULED, ShowState.LIVE):
        raise CannotGoLive(show_id=show.id, state=show.state.value)
    # A rehearsal publishes to a scheduled show without starting it: only the show's
    # staff can watch until a presenter makes it public (POST .../stream/public).
    rehearsal = request.query.get("rehearsal") == "1" and show.state is ShowState.SCHEDULED
    registry = request.app[server_keys.broadcasts]
    broadcast = registry.get_or_create(show.id, record=not show.is_demo)
    session_id, answer = await broadcast.publish(offer)
    if rehearsal:
        return _sdp_created(request, answer, f"/shows/{show.id}/whip/{session_id}")
    if show.state is ShowState.SCHEDULED:
        try:
            async with request.app[server_keys.sessionmaker].begin() as session:
                show = await shows.system_transition(session, show.id, "start")
        except DomainError:
            # Cancelled or started elsewhere in the meantime: undo our side.
            await broadcast.end_session(session_id)
            raise
        await shows.announce_state(request.app[server_keys.live_events], show)
    broadcast.live = True
    return _sdp_created(request, answer, f"/shows/{show.id}/whip/{session_id}")


@routes.delete("/shows/{show_id:\\d+}/whip/{session_id}")
@csrf_exempt
@checks_visibility_itself  # a stream key, or JSON errors for encoders
@errors_as_json
async def whip_stop(request: web.Request) -> web.StreamResponse:
    """The publisher leaves. The show stays live for the grace period, so an encoder
    that restarts (or a studio page that reloads) can carry on.

    Only the publisher may end its session: the same credentials as WHIP's POST (the
    stream key, or a presenter's signed-in studio with the CSRF token). Otherwise a
    stranger who saw the session's URL could cut the show off."""
    show = await _load_show(request)
    _authorize_publisher(request, show, refused=NotPublisher)
    broadcast = request.app[server_keys.broadcasts].get(show.id)
    session_id = request.match_info["session_id"]
    if broadcast is None or broadcast.publisher is None or broadcast.publisher.id != session_id:
        raise SessionNotFound()
    await broadcast.end_session(session_id, role="publisher")
    return web.Response(status=200)


@routes.patch("/shows/{show_id:\\d+}/whip/{session_id}")
@csrf_exempt
@checks_visibility_itself  # a stream key, or JSON errors for encoders
@errors_as_json
async def whip_trickle(request: web.Request) -> web.StreamResponse:
    """Trickle ICE from the publisher: only its own credentials may add candidates."""
    show = await _load_show(request)
    _authorize_publisher(request, show, refused=NotPublisher)
    await _add_candidates(request, show.id, "publisher")
    return web.Response(status=204)


async def _add_candidates(request: web.Request, show_id: int, role: str) -> None:
    if request.content_type != SDPFRAG_TYPE:
        raise WrongFragmentType()
    if request.headers.get("If-Match", "").strip() == "*":
        raise IceRestartNotSupported()  # RFC 9725 4.3.2: `If-Match: *` asks for a restart
    if (request.content_length or 0) > MAX_FRAGMENT_BYTES:
        raise BadCandidates(line=1)
    raw = await request.content.read(MAX_FRAGMENT_BYTES + 1)
    if len(raw) > MAX_FRAGMENT_BYTES:
        raise BadCandidates(line=1)
    broadcast = request.app[server_keys.broadcasts].get(show_id)
    if broadcast is None:
        raise SessionNotFound()
    text = raw.decode("utf-8", errors="replace")
    await broadcast.add_candidates(request.match_info["session_id"], role, text)


@routes.post("/shows/{show_id:\\d+}/whep", name="whep")
@csrf_exempt  # anonymous viewers may watch; nothing changes for the caller's account
@checks_visibility_itself  # a stream key, or JSON errors for encoders
@errors_as_json
async def whep_watch(request: web.Request) -> web.StreamResponse:
    show = await _load_visible_show(request)
    offer = await _read_offer(request)
    if request.headers.get("Authorization"):
        return await _relay(request, show, offer)
    edge = request.app[server_keys.edge]
    record = not show.is_demo
    if show.state is ShowState.LIVE:
        # Served here: by the publisher's own broadcast, or by a pull from its origin.
        broadcast = await edge.broadcast_for_viewer(show.id, record=record)
    elif _staff(request, show) and (
        rehearsal := await edge.rehearsal_for_staff(show.id, record=record)
    ):
        # Only the show's staff make a node pull a rehearsal: nobody else gets here.
        broadcast = rehearsal
    else:
        raise ShowNotLive(show_id=show.id, state=show.state.value)
    session_id, answer = await broadcast.watch(offer)
    return _sdp_created(request, answer, f"/shows/{show.id}/whep/{session_id}")


async def _relay(request: web.Request, show: Show, offer: str) -> web.StreamResponse:
    """Another node pulls the show from here (it is the origin) with a node token: one
    subscription per edge, not counted among the viewers. A live show, or a rehearsal
    (an edge asks for one only for the show's staff), and only by the node holding it."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not request.app[server_keys.edge].tokens.valid(token, show.id):
        raise WrongNodeToken()
    broadcast = request.app[server_keys.broadcasts].get(show.id)
    rehearsing = (
        show.state is ShowState.SCHEDULED and broadcast is not None and broadcast.publishing
    )
    if show.state is not ShowState.LIVE and not rehearsing:
        raise ShowNotLive(show_id=show.id, state=show.state.value)
    if broadcast is None or broadcast.closed or broadcast.upstream is not None:
        raise NotOrigin(show_id=show.id)
    session_id, answer = await broadcast.relay(offer)
    return _sdp_created(request, answer, f"/shows/{show.id}/whep/{session_id}")


def _staff(request: web.Request, show: Show) -> bool:
    """During a rehearsal (a publisher on a scheduled show) the show's staff may watch."""
    return show.state is ShowState.SCHEDULED and shows.can_present(
        request.get(server_keys.request_user), show
    )


@routes.post("/shows/{show_id:\\d+}/stream/public", name="stream_public")
async def stream_public(request: web.Request) -> web.Response:
    """End the rehearsal: the show goes live for everyone with the stream as it is."""
    user = require_user(request)
    async with request.app[server_keys.sessionmaker].begin() as session:
        show = await shows.get_show(session, _show_id(request))
        await shows.transition(session, user, show, "start")
    events = request.app[server_keys.live_events]
    await shows.announce_state(events, show)  # the broadcast goes live with it
    await events.publish(show.id, LiveEvent.STREAM_STATE, {"state": "live"})
    return json_response({"state": ShowState.LIVE.value})


@routes.delete("/shows/{show_id:\\d+}/whep/{session_id}")
@csrf_exempt
@checks_visibility_itself  # a stream key, or JSON errors for encoders
@errors_as_json
async def whep_stop(request: web.Request) -> web.StreamResponse:
    await _load_visible_show(request)
    broadcast = request.app[server_keys.broadcasts].get(_show_id(request))
    if broadcast is None:
        raise SessionNotFound()
    await broadcast.end_session(request.match_info["session_id"], role="viewer")
    return web.Response(status=200)


@routes.patch("/shows/{show_id:\\d+}/whep/{session_id}")
@csrf_exempt  # the unguessable session URL is the viewer's credential, as for DELETE
@checks_visibility_itself  # JSON errors for players
@errors_as_json
async def whep_trickle(request: web.Request) -> web.StreamResponse:
    show = await _load_visible_show(request)
    await _add_candidates(request, show.id, "viewer")
    return web.Response(status=204)


@routes.get("/shows/{show_id:\\d+}/stream", name="stream_status")
@checks_visibility_itself  # from memory while live
async def stream_status(request: web.Request) -> web.Response:
    """What the player and the studio poll: show state, publisher present, viewers.
    Every player asks every few seconds, so a live show is answered from memory: a show
    that went live is public for good (it starts only once approved, and only a
    scheduled show can be declined)."""
    broadcast = request.app[server_keys.broadcasts].get(_show_id(request))
    idle = {"publishing": False, "hls": False, "viewers": 0, "edges": 0, "video_codec": None}
    if broadcast is not None and broadcast.live and not broadcast.closed:
        state = ShowState.LIVE.value
    else:
        show = await _load_visible_show(request)
        state = show.state.value
        if show.state is not ShowState.LIVE and not shows.can_present(
            request.get(server_keys.request_user), show
        ):
            # A rehearsal is for the show's staff: others learn nothing of it.
            broadcast = None
    status: dict[str, Any] = dict(broadcast.status()) if broadcast is not None else dict(idle)
    if broadcast is not None:
        # At the origin the studio's figure includes the viewers the edges serve.
        status["viewers"] += await request.app[server_keys.edge].viewers_on_edges(_show_id(request))
    return json_response({"state": state, **status}, headers={"Cache-Control": "no-store"})


@routes.post("/shows/{show_id:\\d+}/stream/end", name="stream_end")
async def stream_end(request: web.Request) -> web.Response:
    user = require_user(request)
    async with request.app[server_keys.sessionmaker].begin() as session:
        show = await shows.get_show(session, _show_id(request))
        await shows.transition(session, user, show, "end")
    # The stream follows the show (streaming.lifecycle.ShowStreams hears it).
    await shows.announce_state(request.app[server_keys.live_events], show)
    return json_response({"state": ShowState.ENDED.value})


@routes.post("/shows/{show_id:\\d+}/stream/key", name="stream_key")
async def stream_key(request: web.Request) -> web.Response:
    user = require_user(request)
    async with request.app[server_keys.sessionmaker].begin() as session:
        show = await shows.get_show(session, _show_id(request))
        key = await shows.regenerate_stream_key(session, user, show)
    return json_response({"stream_key": key})
