"""The reminder sweeper: a background task that tells shoppers a show is about to start,
in the app and by e-mail when SMTP is configured."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.db import utcnow
from server.errors import N_
from server.i18n import Catalogs, format_seoul
from server.notifications import service
from server.notifications.mail import Mailer

log = logging.getLogger("jangteo.reminders")
SWEEP_SECONDS = 20.0
REMINDER_TEMPLATE = N_("\u201c%(title)s\u201d starts at %(time)s. Tap to watch.")


class ReminderSweeper:
    """Tells shoppers who asked for it that a show is about to start."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        catalogs: Catalogs,
        public_url: str,
        mailer: Mailer | None,
    ) -> None:
        self._sessionmaker = sessionmaker
        self._catalogs = catalogs
        self._public_url = public_url
        self._mailer = mailer

    async def send_due_reminders(self) -> int:
        """Send every reminder that is due now; returns how many went out."""
        now = utcnow()
        async with self._sessionmaker() as session:
            due = await service.due_reminders(session, now)
        sent = 0
        for item in due:
            time = format_seoul(item.show.scheduled_start, item.user.locale)
            link = f"/shows/{item.show.id}"
            async with self._sessionmaker.begin() as session:
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
            if self._mailer is not None:
                await self._mail(item.user.email, item.user.locale, item.show.title, time, link)
        return sent

    async def _mail(self, to: str, locale: str, title: str, time: str, link: str) -> None:
        assert self._mailer is not None
        text = self._catalogs.get(locale).gettext(REMINDER_TEMPLATE) % {
            "title": title,
            "time": time,
        }
        try:
            await self._mailer.send(to, text, f"{text}\n\n{self._public_url}{link}\n")
        except OSError:
            log.exception("reminder e-mail failed", extra={"to": to})
