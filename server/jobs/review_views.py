"""Reviews after a show, the merchant's choice of which numbers crews may publish, and
the operators' job board with take-downs."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from server import keys
from server.accounts.models import Role
from server.errors import DomainError
from server.http import form_str, redirect, render, require_user, translations
from server.jobs import postings, profiles, reviews
from server.limits import is_whole
from server.shows import service as shows

routes = web.RouteTableDef()


async def _reviews_page(
    request: web.Request, show_id: int, extra: dict[str, Any] | None = None, status: int = 200
) -> web.Response:
    user = require_user(request)
    async with request.app[keys.sessionmaker]() as session:
        show = await shows.get_visible_show(session, user, show_id)
        state = await reviews.of_show(session, user, show)
        publication = await profiles.get_publication(session, show.id)
    context = {
        "show": show,
        "publication": publication,
        "is_merchant": user.role is Role.MERCHANT and user.store_id == show.store_id,
        "form": {},
        **state,
    }
    context.update(extra or {})
    return render(request, "jobs/reviews.html", context, status=status)


@routes.get("/shows/{show_id:\\d+}/reviews", name="show_reviews")
async def reviews_page(request: web.Request) -> web.Response:
    return await _reviews_page(request, int(request.match_info["show_id"]))


@routes.post("/shows/{show_id:\\d+}/reviews")
async def write_review(request: web.Request) -> web.StreamResponse:
    user = require_user(request)
    show_id = int(request.match_info["show_id"])
    form = await request.post()
    subject = form_str(form, "subject_id")
    try:
        async with request.app[keys.job_notifier].transaction() as (session, outbox):
            show = await shows.get_show(session, show_id)
            await reviews.write(
                session,
                outbox,
                user,
                show,
                int(subject) if is_whole(subject) else -1,
                form_str(form, "stars"),
                form_str(form, "comment"),
            )
    except DomainError as exc:
        if exc.status not in (403, 409, 422):
            raise
        extra = {
            "error": exc.translate(translations(request).gettext),
            "form": {"comment": form_str(form, "comment")},
        }
        return await _reviews_page(request, show_id, extra, status=exc.status)
    return redirect(f"/shows/{show_id}/reviews?flash=saved")


@routes.post("/shows/{show_id:\\d+}/publication")
async def publication(request: web.Request) -> web.StreamResponse:
    user = require_user(request, Role.MERCHANT)
    show_id = int(request.match_info["show_id"])
    form = await request.post()
    async with request.app[keys.sessionmaker].begin() as session:
        show = await shows.get_show(session, show_id)
        await profiles.set_publication(
            session,
            user,
            show,
            viewers=bool(form_str(form, "viewers")),
            orders=bool(form_str(form, "orders")),
        )
    return redirect(f"/shows/{show_id}/reviews?flash=saved")


# --- operators ----------------------------------------------------------------------------


async def _board(
    request: web.Request, extra: dict[str, Any] | None = None, status: int = 200
) -> web.Response:
    require_user(request, Role.OPERATOR)
    async with request.app[keys.sessionmaker]() as session:
        jobs = await postings.board(session)
        recent = await reviews.recent(session)
    context: dict[str, Any] = {"jobs": jobs, "reviews": recent}
    context.update(extra or {})
    return render(request, "jobs/ops.html", context, status=status)


@routes.get("/ops/jobs", name="ops_jobs")
async def ops_board(request: web.Request) -> web.Response:
    return await _board(request)


@routes.post("/ops/jobs/{job_id:\\d+}/remove")
async def remove_job(request: web.Request) -> web.StreamResponse:
    operator = require_user(request, Role.OPERATOR)
    form = await request.post()
    try:
        async with request.app[keys.job_notifier].transaction() as (session, outbox):
            job = await postings.get_job(session, int(request.match_info["job_id"]))
            await postings.remove_job(session, outbox, operator, job, form_str(form, "reason"))
    except DomainError as exc:
        if exc.status != 422:
            raise
        return await _board(request, {"error": exc.translate(translations(request).gettext)}, 422)
    return redirect("/ops/jobs?flash=saved")


@routes.post("/ops/reviews/{review_id:\\d+}/remove")
async def remove_review(request: web.Request) -> web.StreamResponse:
    operator = require_user(request, Role.OPERATOR)
    form = await request.post()
    try:
        async with request.app[keys.job_notifier].transaction() as (session, outbox):
            await reviews.take_down(
                session,
                outbox,
                operator,
                int(request.match_info["review_id"]),
                form_str(form, "reason"),
            )
    except DomainError as exc:
        if exc.status != 422:
            raise
        return await _board(request, {"error": exc.translate(translations(request).gettext)}, 422)
    return redirect("/ops/jobs?flash=saved")
