"""Structured logs: one JSON object per line, with whatever `extra=` fields were given.

Our own loggers (`jangteo.*`) log at `LOG_LEVEL`; every other library at
`LIBRARY_LOG_LEVEL`, WARNING by default: at INFO, aioice alone wrote a third of a
show's console lines (one per ICE candidate pair and check), and alembic, stripe and
aiohttp add their own chatter. Their warnings and errors still show.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


OURS = "jangteo"


def configure(level: str = "INFO", library_level: str = "WARNING") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    # The root's level is every library's; ours is set on our own tree. A record's level
    # is checked once, against its own logger, so the handler on the root sees both.
    root.setLevel(library_level)
    logging.getLogger(OURS).setLevel(level)
    # aiohttp's own access log would duplicate our request line, whatever the level.
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
