"""Imports every package's models so that `Base.metadata` knows all tables.

Alembic's autogenerate and the tests read the metadata from here.
"""

from checkout import models as checkout_models
from server.accounts import models as accounts_models
from server.db import Base
from server.shows import models as shows_models

__all__ = ["Base", "accounts_models", "checkout_models", "shows_models"]
