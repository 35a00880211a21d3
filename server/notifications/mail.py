"""E-mail through SMTP when `SMTP_URL` is set (smtp://user:pass@host:port?from=addr;
smtps:// for implicit TLS, ?starttls=1 for STARTTLS)."""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    sender: str
    username: str = ""
    password: str = ""
    implicit_tls: bool = False
    starttls: bool = False

    @classmethod
    def from_url(cls, url: str) -> SmtpConfig:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("SMTP_URL must look like smtp://user:pass@host:port?from=addr")
        query = parse_qs(parts.query)
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if parts.scheme == "smtps" else 25),
            sender=query.get("from", [f"no-reply@{parts.hostname}"])[0],
            username=unquote(parts.username or ""),
            password=unquote(parts.password or ""),
            implicit_tls=parts.scheme == "smtps",
            starttls=query.get("starttls", ["0"])[0] == "1",
        )


class Mailer:
    def __init__(self, config: SmtpConfig) -> None:
        self.config = config

    def _send(self, to: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"] = self.config.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        smtp_class = smtplib.SMTP_SSL if self.config.implicit_tls else smtplib.SMTP
        with smtp_class(self.config.host, self.config.port, timeout=20) as smtp:
            if self.config.starttls:
                smtp.starttls()
            if self.config.username:
                smtp.login(self.config.username, self.config.password)
            smtp.send_message(message)

    async def send(self, to: str, subject: str, body: str) -> None:
        # smtplib blocks; a thread keeps the event loop serving everyone else.
        await asyncio.to_thread(self._send, to, subject, body)
