"""The reminder sweeper: a background task that tells shoppers a show is about to start,
in the app and by e-mail when SMTP is configured."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from server import keys
from server.db import utcnow
from server.errors import N_
from server.i18n import format_seoul
from server.notifications import service
from server.notifications.mail import Mailer, SmtpConfig

log = logging.getLogger("jangteo.reminders")
SWEEP_SECONDS = 20.0
REMINDER_TEMPLATE = N_("\u201c%(title)s\u201d starts at %(time)s. Tap to watch.")
mailer_key = web.AppKey("mailer", Mailer)
sweeper_key = web.AppKey("reminder_sweeper", asyncio.Task)


async def send_due_reminders(app: web.Application) -> int:
    """Send every reminder that is due now; returns how many went out."""
    sessionmaker = app[keys.sessionmaker]
    catalogs = app[keys.catalogs]
    mailer = app.get(mailer_key)
    now = utcnow()
    async with sessionmaker() as session:
        due = await service.due_reminders(session, now)
    sent = 0
    for item in due:
        time = format_seoul(item.show.scheduled_start, item.user.locale)
        link = f"/shows/{item.show.id}"
        async with sessionmaker.begin() as session:
            if not await service.mark_sent(session, item.reminder_id, now):
                continue  # another process sent it
            await service.notify(
                session,
                [item.user.id],
                REMINDER_TEMPLATE,
                link=link,
                title=item.show.title,
                time=time,
            )
        sent += 1
        if mailer is not None:
            text = catalogs.get(item.user.locale).gettext(REMINDER_TEMPLATE) % {
                "title": item.show.title,
                "time": time,
            }
            url = app[keys.settings].public_url + link
            try:
                await mailer.send(item.user.email, text, f"{text}\n\n{url}\n")
            except OSError:
                log.exception("reminder e-mail failed", extra={"user_id": item.user.id})
    return sent


async def _sweep_forever(app: web.Application) -> None:
    while True:
        try:
            await send_due_reminders(app)
        except Exception:  # keep sweeping whatever one round ran into
            log.exception("reminder sweep failed")
        await asyncio.sleep(SWEEP_SECONDS)


async def reminder_context(app: web.Application) -> AsyncIterator[None]:
    smtp_url = app[keys.settings].smtp_url
    if smtp_url:
        app[mailer_key] = Mailer(SmtpConfig.from_url(smtp_url.reveal()))
    app[sweeper_key] = asyncio.create_task(_sweep_forever(app))
    yield
    app[sweeper_key].cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await app[sweeper_key]
