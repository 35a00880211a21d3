"""Show jobs: the board creators browse, a job's page, applying, the merchant's form,
the applicants side by side, hiring and declining."""

from __future__ import annotations

import datetime as dt
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from server import keys
from server.accounts.models import Role, User
from server.errors import DomainError
from server.http import form_str, redirect, render, require_user, translations
from server.inputs import within_years
from server.jobs import applications, postings, profiles, reviews
from server.jobs.errors import NotYourJob
from server.jobs.models import CrewRole, Job
from server.jobs.postings import JobInput, parse_won
from server.limits import is_whole
from server.markets import service as markets
from server.markets.regions import PROVINCES
from server.security import current_user
from server.shows import service as shows

routes = web.RouteTableDef()


def _day(raw: str) -> dt.date | None:
    try:
        day = dt.date.fromisoformat(raw)
    except ValueError:
        return None
    return day if within_years(day) else None


@routes.get("/jobs", name="jobs")
async def job_board(request: web.Request) -> web.Response:
    role = request.query.get("role", "")
    region = request.query.get("region", "")
    day = _day(request.query.get("date", ""))
    filters = {
        "role": role if role in CrewRole.__members__.values() else "",
        "region": region if region in PROVINCES else "",
        "date": day.isoformat() if day else "",
    }
    async with request.app[keys.sessionmaker]() as session:
        jobs = await postings.browse(
            session, role=filters["role"], region=filters["region"], day=day
        )
    return render(request, "jobs/board.html", {"jobs": jobs, "filters": filters})


async def _job_page(
    request: web.Request, job_id: int, extra: dict[str, Any] | None = None, status: int = 200
) -> web.Response:
    user = current_user(request)
    async with request.app[keys.sessionmaker]() as session:
        job = await postings.get_job(session, job_id)
        mine = (
            await applications.own_application(session, user.id, job.id)
            if user is not None and user.role is Role.CREATOR
            else None
        )
        merchant_rating = reviews.rating(await reviews.received(session, job.posted_by))
    context: dict[str, Any] = {
        "job": job,
        "mine": mine,
        "is_poster": user is not None and _poster(user, job),
        "merchant_rating": merchant_rating,
        "form": {},
    }
    context.update(extra or {})
    return render(request, "jobs/job.html", context, status=status)


def _poster(user: User, job: Job) -> bool:
    return user.role is Role.MERCHANT and user.store_id == job.store_id


def _error(request: web.Request, exc: DomainError) -> dict[str, Any]:
    return {
        "error": exc.translate(translations(request).gettext),
        "error_field": getattr(exc, "field", ""),
    }


@routes.get("/jobs/{job_id:\\d+}", name="job")
async def job_page(request: web.Request) -> web.Response:
    return await _job_page(request, int(request.match_info["job_id"]))


@routes.post("/jobs/{job_id:\\d+}/apply")
async def apply(request: web.Request) -> web.StreamResponse:
    user = require_user(request, Role.CREATOR)
    job_id = int(request.match_info["job_id"])
    form = await request.post()
    try:
        async with request.app[keys.job_notifier].transaction() as (session, outbox):
            job = await postings.get_job(session, job_id)
            await applications.apply(
                session, outbox, user, job, form_str(form, "role"), form_str(form, "message")
            )
    except DomainError as exc:
        if exc.status not in (409, 422):
            raise
        extra = {**_error(request, exc), "form": {"message": form_str(form, "message")}}
        return await _job_page(request, job_id, extra, status=exc.status)
    return redirect(f"/jobs/{job_id}?flash=saved")


@routes.get("/jobs/mine", name="my_applications")
async def my_applications(request: web.Request) -> web.Response:
    user = require_user(request, Role.CREATOR)
    async with request.app[keys.sessionmaker]() as session:
        mine = await applications.mine(session, user.id)
        profile = await profiles.get_profile(session, user.id)
    return render(request, "jobs/mine.html", {"applications": mine, "profile": profile})


@routes.post("/applications/{application_id:\\d+}/withdraw")
async def withdraw(request: web.Request) -> web.StreamResponse:
    user = require_user(request, Role.CREATOR)
    async with request.app[keys.sessionmaker].begin() as session:
        application = await applications.get_application(
            session, int(request.match_info["application_id"])
        )
        await applications.withdraw(session, user, application)
    return redirect("/jobs/mine?flash=saved")


# --- the merchant's side --------------------------------------------------------------------


def _job_input(form: MultiDictProxy[Any]) -> JobInput:
    roles = {}
    for role in CrewRole:
        if form_str(form, f"role_{role.value}"):
            roles[role.value] = parse_won(form_str(form, f"pay_{role.value}"), f"pay_{role.value}")
    return JobInput(
        roles=roles,
        region=form_str(form, "region"),
        place=form_str(form, "place"),
        remote=bool(form_str(form, "remote")),
        prepare=form_str(form, "prepare"),
    )


def _form_of(job: Job | None, form: MultiDictProxy[Any] | None = None) -> dict[str, Any]:
    if form is not None:
        return {k: form_str(form, k) for k in form if k != "_csrf"}
    if job is None:
        return {}
    values: dict[str, Any] = {
        "region": job.region,
        "place": job.place,
        "remote": "1" if job.remote else "",
        "prepare": job.prepare,
    }
    for r in job.roles:
        values[f"role_{r.role}"], values[f"pay_{r.role}"] = "1", str(r.pay)
    return values


async def _job_form(
    request: web.Request,
    show_id: int,
    job: Job | None,
    form: dict[str, Any],
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> web.Response:
    async with request.app[keys.sessionmaker]() as session:
        show = await shows.get_show(session, show_id)
    context = {
        "show": show,
        "job": job,
        "form": form,
        "next": request.query.get("next", "") or str(form.get("next", "")),
        "invite": request.query.get("invite", "") or str(form.get("invite", "")),
    }
    context.update(extra or {})
    return render(request, "jobs/edit.html", context, status=status)


@routes.get("/shows/{show_id:\\d+}/job", name="new_job")
async def new_job_page(request: web.Request) -> web.StreamResponse:
    user = require_user(request, Role.MERCHANT)
    show_id = int(request.match_info["show_id"])
    async with request.app[keys.sessionmaker]() as session:
        existing = await postings.job_of_show(session, show_id)
        show = await shows.get_show(session, show_id)
    if existing is not None:
        return redirect(f"/jobs/{existing.id}")
    if show.store_id != user.store_id:
        raise NotYourJob()
    async with request.app[keys.sessionmaker]() as session:
        market = await markets.market_of_store(session, show.store_id)
    form = {"region": market.province if market else ""}
    return await _job_form(request, show_id, None, form)


@routes.post("/shows/{show_id:\\d+}/job")
async def post_job(request: web.Request) -> web.StreamResponse:
    user = require_user(request, Role.MERCHANT)
    show_id = int(request.match_info["show_id"])
    form = await request.post()
    try:
        data = _job_input(form)
        async with request.app[keys.job_notifier].transaction() as (session, outbox):
            job = await postings.post_job(session, outbox, user, show_id, data)
            invited = form_str(form, "invite")
            if is_whole(invited):
                await postings.invite(session, outbox, user, job, int(invited))
    except DomainError as exc:
        if exc.status not in (409, 422):
            raise
        return await _job_form(
            request, show_id, None, _form_of(None, form), _error(request, exc), exc.status
        )
    after = form_str(form, "next")
    return redirect(after if after.startswith("/start") else f"/jobs/{job.id}?flash=saved")


@routes.get("/jobs/{job_id:\\d+}/edit", name="edit_job")
async def edit_job_page(request: web.Request) -> web.Response:
    user = require_user(request, Role.MERCHANT)
    async with request.app[keys.sessionmaker]() as session:
        job = await postings.get_job(session, int(request.match_info["job_id"]))
    postings.require_poster(user, job)
    return await _job_form(request, job.show_id, job, _form_of(job))


@routes.post("/jobs/{job_id:\\d+}/edit")
async def edit_job(request: web.Request) -> web.StreamResponse:
    user = require_user(request, Role.MERCHANT)
    job_id = int(request.match_info["job_id"])
    form = await request.post()
    async with request.app[keys.sessionmaker]() as session:
        job = await postings.get_job(session, job_id)
    postings.require_poster(user, job)
    try:
        data = _job_input(form)
        async with request.app[keys.sessionmaker].begin() as session:
            job = await postings.get_job(session, job_id)
            await postings.update_job(session, user, job, data)
    except DomainError as exc:
        if exc.status not in (409, 422):
            raise
        return await _job_form(
            request, job.show_id, job, _form_of(job, form), _error(request, exc), exc.status
        )
    return redirect(f"/jobs/{job_id}?flash=saved")


@routes.post("/jobs/{job_id:\\d+}/close")
async def close_job(request: web.Request) -> web.StreamResponse:
    user = require_user(request, Role.MERCHANT)
    job_id = int(request.match_info["job_id"])
    async with request.app[keys.sessionmaker].begin() as session:
        await postings.close_job(session, user, await postings.get_job(session, job_id))
    return redirect(f"/jobs/{job_id}?flash=saved")


@routes.get("/jobs/{job_id:\\d+}/applicants", name="applicants")
async def applicants_page(request: web.Request) -> web.Response:
    user = require_user(request, Role.MERCHANT, Role.OPERATOR)
    return await _applicants(request, user, int(request.match_info["job_id"]))


async def _applicants(
    request: web.Request,
    user: User,
    job_id: int,
    extra: dict[str, Any] | None = None,
    status: int = 200,
) -> web.Response:
    sales = request.app[keys.figure_sources].sales
    async with request.app[keys.sessionmaker]() as session:
        job = await postings.get_job(session, job_id)
        items = await applications.of_job(session, user, job)
        compared = []
        for item in items:
            try:
                profile = await profiles.public_profile(session, item.creator_id, sales)
            except DomainError:
                profile = None
            compared.append((item, profile))
    context = {"job": job, "compared": compared, "is_poster": _poster(user, job)}
    context.update(extra or {})
    return render(request, "jobs/applicants.html", context, status=status)


@routes.post("/applications/{application_id:\\d+}/{answer:hire|decline}")
async def answer(request: web.Request) -> web.StreamResponse:
    user = require_user(request, Role.MERCHANT)
    application_id = int(request.match_info["application_id"])
    form = await request.post()
    try:
        async with request.app[keys.job_notifier].transaction() as (session, outbox):
            if request.match_info["answer"] == "hire":
                done = await applications.hire(
                    session, outbox, user, application_id, form_str(form, "role") or None
                )
            else:
                done = await applications.decline(session, outbox, user, application_id)
    except DomainError as exc:
        if exc.status not in (409, 422):
            raise
        async with request.app[keys.sessionmaker]() as session:
            job_id = (await applications.get_application(session, application_id)).job_id
        return await _applicants(request, user, job_id, _error(request, exc), exc.status)
    after = form_str(form, "next")
    if after.startswith("/start"):
        return redirect(after)
    return redirect(f"/jobs/{done.job_id}/applicants?flash=saved")


@routes.get("/merchant/jobs", name="merchant_jobs")
async def merchant_jobs(request: web.Request) -> web.Response:
    user = require_user(request, Role.MERCHANT)
    async with request.app[keys.sessionmaker]() as session:
        jobs = await postings.jobs_of_store(session, user.store_id or -1)
        planned = await shows.shows_of_store(session, user.store_id or -1)
    with_job = {j.show_id for j in jobs if j.status.value in ("open", "filled")}
    open_shows = [s for s in planned if s.state.value == "scheduled" and s.id not in with_job]
    return render(request, "jobs/merchant.html", {"jobs": jobs, "open_shows": open_shows})
