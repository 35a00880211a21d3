"""The OpenAPI document, built from the routes themselves so it cannot drift from them.

Every `/api/` handler is decorated with `@documented(...)`; `build_spec` walks the router
and turns each decorated route into an operation. A test checks that no `/api/` route
is left undocumented.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web

F = TypeVar("F", bound=Callable[..., Any])

ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string", "description": "In the caller's language"},
                "field": {"type": "string"},
            },
            "required": ["code", "message"],
        }
    },
}


def documented(
    summary: str,
    *,
    responses: dict[int, str] | None = None,
    request_body: dict[str, Any] | None = None,
    response_schema: dict[str, Any] | None = None,
    tags: tuple[str, ...] = (),
    auth: str = "",
) -> Callable[[F], F]:
    def mark(handler: F) -> F:
        handler.openapi = {  # type: ignore[attr-defined]
            "summary": summary,
            "responses": responses or {200: "OK"},
            "request_body": request_body,
            "response_schema": response_schema,
            "tags": tags,
            "auth": auth,
        }
        return handler

    return mark


def _openapi_path(resource: web.AbstractResource) -> tuple[str, list[str]]:
    info = resource.get_info()
    path = info.get("path") or info.get("formatter") or ""
    params = re.findall(r"{(\w+)(?::[^}]*)?}", path)
    return re.sub(r"{(\w+)(?::[^}]*)?}", r"{\1}", path), params


def api_routes(app: web.Application) -> list[tuple[str, str, Any]]:
    out = []
    for route in app.router.routes():
        if route.resource is None or route.method == "HEAD":
            continue
        path, _ = _openapi_path(route.resource)
        if path.startswith("/api/") and path != "/api/openapi.json":
            out.append((route.method.lower(), path, route.handler))
    return out


def build_spec(app: web.Application, public_url: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for method, path, handler in api_routes(app):
        doc = getattr(handler, "openapi", None)
        if doc is None:
            continue
        params = re.findall(r"{(\w+)}", path)
        operation: dict[str, Any] = {
            "summary": doc["summary"],
            "operationId": f"{method}_{handler.__name__}",
            "tags": list(doc["tags"]),
            "parameters": [
                {"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                for p in params
            ],
            "responses": {},
        }
        for status, description in doc["responses"].items():
            response: dict[str, Any] = {"description": description}
            schema = doc["response_schema"] if status < 300 else ERROR_SCHEMA
            if schema is not None:
                response["content"] = {"application/json": {"schema": schema}}
            operation["responses"][str(status)] = response
        if doc["request_body"] is not None:
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": doc["request_body"]}},
            }
        if doc["auth"]:
            operation["security"] = [{"session": []}]
            operation["description"] = f"Needs: {doc['auth']}."
        paths.setdefault(path, {})[method] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "Jangteo Live API", "version": "1"},
        "servers": [{"url": public_url}],
        "paths": paths,
        "components": {
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "jt_session"},
            }
        },
    }
