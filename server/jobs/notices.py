"""Telling people what happened to their jobs: in the app at once (in the same
transaction as the change), and by e-mail once it committed, when SMTP is configured.

Services write to an `Outbox`; `JobNotifier.transaction()` opens the transaction,
writes the in-app notifications before it commits and sends the e-mails after.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from server.accounts.models import User
from server.i18n import Catalogs
from server.notifications import service as notifications
from server.notifications.mail import Mailer

log = logging.getLogger("jangteo.jobs")


@dataclass(frozen=True)
class Notice:
    user_ids: tuple[int, ...]
    template: str
    link: str
    params: dict[str, str]


@dataclass
class Outbox:
    notices: list[Notice] = field(default_factory=list)

    def tell(self, user_ids: Iterable[int], template: str, link: str, **params: str) -> None:
        ids = tuple(dict.fromkeys(user_ids))
        if ids:
            self.notices.append(Notice(ids, template, link, params))


class JobNotifier:
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

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[tuple[AsyncSession, Outbox]]:
        outbox = Outbox()
        async with self._sessionmaker.begin() as session:
            yield session, outbox
            for notice in outbox.notices:
                await notifications.notify(
                    session, notice.user_ids, notice.template, notice.link, **notice.params
                )
        await self.mail(outbox.notices)

    async def mail(self, notices: list[Notice]) -> None:
        if self._mailer is None or not notices:
            return
        ids = {i for n in notices for i in n.user_ids}
        async with self._sessionmaker() as session:
            people = {u.id: u for u in await session.scalars(select(User).where(User.id.in_(ids)))}
        for notice in notices:
            for user_id in notice.user_ids:
                person = people.get(user_id)
                if person is not None:
                    await self._send(person, notice)

    async def _send(self, person: User, notice: Notice) -> None:
        assert self._mailer is not None
        template = self._catalogs.get(person.locale).gettext(notice.template)
        text = template % notice.params if notice.params else template
        try:
            await self._mailer.send(
                person.email, text, f"{text}\n\n{self._public_url}{notice.link}\n"
            )
        except OSError:
            log.exception("job e-mail failed", extra={"to": person.email})
