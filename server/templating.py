"""Jinja2 set-up: autoescaping, gettext from the request's catalog, KRW and Seoul time."""

from __future__ import annotations

import datetime as dt
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from jinja2 import pass_context

from server.i18n import LANGUAGE_NAMES, LOCALES, format_krw, format_seoul
from server.limits import text_limit
from server.media import thumb_path


@pass_context
def _gettext(context: Any, message: str, **params: Any) -> str:
    text: str = context["i18n"].gettext(message)
    return text % params if params else text


@pass_context
def _ngettext(context: Any, singular: str, plural: str, n: int, **params: Any) -> str:
    text: str = context["i18n"].ngettext(singular, plural, n)
    params.setdefault("num", n)
    return text % params


@pass_context
def _seoul(context: Any, value: dt.datetime | None, pattern: str | None = None) -> str:
    return format_seoul(value, context.get("locale", "ko"), pattern)


def setup_templates(app: web.Application, loader: jinja2.BaseLoader) -> jinja2.Environment:
    env = aiohttp_jinja2.setup(
        app,
        loader=loader,
        autoescape=jinja2.select_autoescape(["html"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
    )
    # Our callables format with %(name)s themselves, so newstyle's own formatting is off.
    env.globals.update(_=_gettext, gettext=_gettext, ngettext=_ngettext)
    env.globals.update(language_names=LANGUAGE_NAMES, locales=LOCALES)
    # Forms say the edge's limits (server/limits.py) as maxlength, so a browser stops
    # typing where the server would refuse.
    env.globals.update(text_limit=text_limit)
    env.filters["krw"] = format_krw
    env.filters["seoul"] = _seoul
    env.filters["thumb"] = thumb_path
    return env
