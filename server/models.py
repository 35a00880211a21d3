"""Imports every package's models so that `Base.metadata` knows all tables.

Alembic's autogenerate and the tests read the metadata from here.
"""

from chat import models as chat_models
from checkout import models as checkout_models
from server.accounts import models as accounts_models
from server.analytics import models as analytics_models
from server.db import Base
from server.jobs import models as job_models
from server.markets import models as market_models
from server.notifications import models as notification_models
from server.onboarding import models as onboarding_models
from server.shows import models as shows_models
from server.trust import models as trust_models

__all__ = [
    "Base",
    "accounts_models",
    "analytics_models",
    "chat_models",
    "checkout_models",
    "job_models",
    "market_models",
    "notification_models",
    "onboarding_models",
    "shows_models",
    "trust_models",
]
