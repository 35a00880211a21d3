"""Run the real app on one port, for tests that need separate server processes.

    python -m tests.chat.serve PORT DATABASE_URL REDIS_URL

`python -m server serve` is not used because it also starts localstripe; here a dummy
Stripe key keeps anything else from starting. CHAT_REDIS_PREFIX comes from the
environment, so each test run has its own Redis keys and channel.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from aiohttp import web

from server.app import create_app
from server.settings import Secret, Settings


def main() -> None:
    port, database_url, redis_url, data_dir = sys.argv[1:5]
    settings = Settings(
        environment="test",
        database_url=database_url,
        redis_url=redis_url,
        port=int(port),
        public_url=f"http://127.0.0.1:{port}",
        internal_url=f"http://127.0.0.1:{port}",
        data_dir=Path(data_dir),
        stripe_secret_key=Secret("sk_test_x"),
        stripe_api_base="http://127.0.0.1:9",
        chat_redis_prefix=os.environ.get("CHAT_REDIS_PREFIX", "jangteo:chat:"),
    )
    web.run_app(create_app(settings), host="127.0.0.1", port=int(port), print=None, access_log=None)


if __name__ == "__main__":
    main()
