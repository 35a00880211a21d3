from __future__ import annotations

from server.errors import N_, Invalid, NotFound


class MarketNotFound(NotFound):
    template = N_("Market %(market)s does not exist.")
    code = "market_not_found"


class BadMarketInput(Invalid):
    pass


class ImportRejected(Invalid):
    """The file had errors; nothing of it was imported. `problems` lists them all."""

    template = N_("Nothing was imported: %(count)d problem(s) in the file.")
    code = "import_rejected"
