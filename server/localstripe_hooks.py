"""The only place that touches localstripe's private names, with a self-test; also the
entry point of the localstripe child process (`python -m server.localstripe_hooks`).

localstripe's own `start()` always binds `::` (every interface, IPv4 and IPv6) and keeps
its objects in `/tmp/localstripe.pickle`, rewritten in place after every change: one
sandbox for every checkout on the machine, reachable from the network, and a file that a
process killed mid-write leaves truncated, after which every start fails. What we rely
on beyond its command line:

* `localstripe.resources.store`: the one `Store` (a dict) holding every object; it
  calls `self.dump_to_disk()` after each change and `try_load_from_disk()` at start.
  We give the instance our own `dump_to_disk` (to our file, written atomically) and
  load it ourselves.
* `localstripe.server.app`: the aiohttp application `start()` serves.

`self_test()` runs first thing in the child (importing localstripe's server module sets
up its routes, which the parent does not need), so an upgrade that moved any of these
stops the start at once with a last log line naming localstripe's version, and the
parent quotes that line.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import pickle
import sys
from collections.abc import AsyncIterator, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from aiohttp import web

PARENT_CHECK_SECONDS = 1.0


class LocalstripeHooksBroken(RuntimeError):
    """The installed localstripe lacks something the launcher relies on."""


def self_test() -> None:
    """Raise LocalstripeHooksBroken, naming localstripe's version, if anything is gone."""
    from localstripe import resources, server

    missing: list[str] = []
    store = getattr(resources, "store", None)
    if not isinstance(store, dict):
        missing.append("localstripe.resources.store")
    for name in ("dump_to_disk", "try_load_from_disk"):
        if not callable(getattr(store, name, None)):
            missing.append(f"localstripe.resources.store.{name}")
    if not isinstance(getattr(server, "app", None), web.Application):
        missing.append("localstripe.server.app")
    if missing:
        raise LocalstripeHooksBroken(
            f"localstripe {metadata.version('localstripe')} lacks {', '.join(missing)}"
        )


def read_data(path: Path) -> dict[str, Any]:
    """The objects saved in `path` (none if there is no file); raises if it is damaged."""
    from localstripe import resources  # noqa: F401  (its classes must be importable)

    try:
        with path.open("rb") as file:
            data = pickle.load(file)  # noqa: S301 - our own sandbox's file
    except FileNotFoundError:
        return {}
    if not isinstance(data, dict):
        raise pickle.UnpicklingError(f"expected a dict, found {type(data).__name__}")
    return data


def move_aside_if_damaged(path: Path) -> tuple[Path, str] | None:
    """Move a data file that cannot be read out of the way (kept for a look, not
    deleted); return where it went and why it could not be read, or None if it is fine."""
    try:
        read_data(path)
    except Exception as exc:  # truncated, garbage, classes that moved: all mean unreadable
        n = 1
        while (aside := path.with_name(f"{path.name}.damaged-{n}")).exists():
            n += 1
        path.rename(aside)
        return aside, f"{type(exc).__name__}: {exc}"
    return None


def _write_atomically(data: dict[str, Any], path: Path) -> None:
    # A temporary file renamed over the old one: a process killed mid-write leaves the
    # last whole file, never half of one.
    partial = path.with_name(path.name + ".partial")
    with partial.open("wb") as file:
        pickle.dump(dict(data), file, protocol=pickle.HIGHEST_PROTOCOL)
        file.flush()
        os.fsync(file.fileno())
    os.replace(partial, path)


async def _exit_with_parent(app: web.Application) -> AsyncIterator[None]:
    """Stop when the server that started us is gone (killed, not shut down): an orphan
    would hold the port and the data file until someone found it."""
    parent = os.getppid()

    async def watch() -> None:
        # Polled: no event tells a process that its parent died.
        while os.getppid() == parent:  # noqa: ASYNC110
            await asyncio.sleep(PARENT_CHECK_SECONDS)
        logging.getLogger("jangteo.localstripe").warning("the server is gone; stopping")
        os._exit(0)  # every write is atomic, so nothing is left half-written

    task = asyncio.create_task(watch())
    yield
    task.cancel()


def serve(host: str, port: int, data_file: Path) -> None:
    """Run localstripe on host:port with its objects kept in `data_file`."""
    from localstripe import resources, server

    store = resources.store
    store.update(read_data(data_file))
    # An instance attribute wins over the method: every change now lands in our file.
    store.dump_to_disk = lambda: _write_atomically(store, data_file)
    server.app.cleanup_ctx.append(_exit_with_parent)
    web.run_app(server.app, host=host, port=port, access_log=logging.getLogger("aiohttp.access"))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m server.localstripe_hooks")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-file", type=Path, required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    self_test()
    serve(args.host, args.port, args.data_file)
    return 0


if __name__ == "__main__":
    sys.exit(main())
