"""The real app in its own process, for the crash test: it can kill itself (SIGKILL, no
clean-up of any kind) right after the Nth PaymentIntent confirmation returns — the
moment a charge exists whose outcome the order does not know yet.

    python -m tests.checkout.crash_server --port P --database-url URL --stripe URL \\
        --data-dir DIR --webhook-name NAME --secret KEY [--kill-after-confirms N] \\
        [--claim-timeout SECONDS]

The kill is wired here, in the test harness, by wrapping the gateway's `confirm`; the
product has no such switch.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import os
import signal
from pathlib import Path

from aiohttp import web

from checkout.config import CheckoutConfig
from checkout.payments import PaymentResult, StripeGateway
from server import keys, logs
from server.app import create_app
from server.localstripe_process import localstripe_settings
from server.settings import Secret, Settings


def die_after_confirms(count: int) -> None:
    confirm = StripeGateway.confirm
    done = itertools.count(1)

    async def confirm_then_die(self: StripeGateway, intent_id: str) -> PaymentResult:
        result = await confirm(self, intent_id)
        if next(done) >= count:
            os.kill(os.getpid(), signal.SIGKILL)
        return result

    setattr(StripeGateway, "confirm", confirm_then_die)  # noqa: B010 - test harness only


def main() -> None:
    parser = argparse.ArgumentParser()
    for name in ("--database-url", "--stripe", "--data-dir", "--webhook-name", "--secret"):
        parser.add_argument(name, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--kill-after-confirms", type=int, default=0)
    parser.add_argument("--claim-timeout", type=float, default=180.0)
    args = parser.parse_args()
    logs.configure()
    if args.kill_after_confirms:
        die_after_confirms(args.kill_after_confirms)
    settings = localstripe_settings(
        Settings(
            environment="test",
            database_url=args.database_url,
            secret_key=Secret(args.secret),
            port=args.port,
            public_url=f"http://127.0.0.1:{args.port}",
            data_dir=Path(args.data_dir),
        ),
        args.stripe,
    )
    app = create_app(settings)
    app[keys.checkout_config] = CheckoutConfig(
        sweep_every_seconds=3600,
        webhook_name=args.webhook_name,
        claim_timeout=dt.timedelta(seconds=args.claim_timeout),
    )
    web.run_app(app, host="127.0.0.1", port=args.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
