"""Trust tests reuse checkout's shop (a live show, its merchant, localstripe)."""

from tests.checkout.conftest import shop
from tests.localstripe import localstripe_url

__all__ = ["localstripe_url", "shop"]
