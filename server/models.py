"""Imports every package's models so that `Base.metadata` knows all tables.

Alembic's autogenerate and the tests read the metadata from here.
"""

import chat.models  # noqa: F401 - registers the chat tables
from server.accounts import models as accounts_models
from server.db import Base
from server.notifications import models as notification_models
from server.shows import models as shows_models

__all__ = ["Base", "accounts_models", "notification_models", "shows_models"]
