"""What the server remembers about one Socket.IO connection, typed.

Set at connect (who is behind the socket, read once from the page's session cookie, and
their language), completed at join (the show, the poster's badge and staff status) and
read by every handler.
"""

from __future__ import annotations

from dataclasses import dataclass

from chat.posting import Poster
from chat.service import Chatter


@dataclass
class SocketSession:
    chatter: Chatter | None
    locale: str
    # The browser's CSRF cookie: tells apart an anonymous viewer's visits.
    browser: str | None = None
    show_id: int | None = None
    store_id: int | None = None
    badge: str = ""
    staff: bool = False
    # The presence log's row for the current visit, while it is counted.
    visit_id: int | None = None

    @property
    def poster(self) -> Poster:
        return Poster(self.chatter, badge=self.badge, staff=self.staff)
