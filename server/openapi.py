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

from server.limits import MAX_ID

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


# What any operation may answer besides what its handler documents: the edge refuses
# bad input (server/inputs.py), the session middleware a write without its CSRF token.
UNREADABLE = (
    "The request could not be read: a malformed body, a value of the wrong JSON type, "
    "text that cannot be stored or is too long"
)
NO_SUCH_ID = "No such id (ids are 1 to 2^31-1)"
NOT_ALLOWED = "Not allowed for this account, or csrf_failed: the X-CSRF-Token header is missing"
SIGN_IN = "Not signed in"
TOO_LARGE = "The body is too large"
INVALID = "Invalid input"
OTHER_METHOD = "A method this path does not have; the Allow header names those it has"
UNSAFE = frozenset({"post", "put", "patch", "delete"})
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _openapi_path(resource: web.AbstractResource) -> tuple[str, list[str]]:
    info = resource.get_info()
    path = info.get("formatter") or info.get("path") or ""
    params = re.findall(r"{(\w+)(?::[^}]*)?}", path)
    return re.sub(r"{(\w+)(?::[^}]*)?}", r"{\1}", path), params


def _path_parameters(resource: web.AbstractResource) -> list[dict[str, Any]]:
    """Each `{name}` of the route; a `{name:\\d+}` one is an id."""
    pattern = resource.get_info().get("pattern")
    source = pattern.pattern if isinstance(pattern, re.Pattern) else ""
    _, names = _openapi_path(resource)
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": ID_SCHEMA if f"(?P<{name}>\\d+)" in source else {"type": "string"},
        }
        for name in names
    ]


def _edge_responses(method: str, has_params: bool, has_body: bool, auth: bool) -> dict[int, str]:
    out = {400: UNREADABLE, 405: OTHER_METHOD}
    if has_params:
        out[404] = NO_SUCH_ID
    if auth:
        out[401] = SIGN_IN
        out[403] = NOT_ALLOWED
    if method in UNSAFE:
        out[403] = NOT_ALLOWED
        out[413] = TOO_LARGE
    if has_body:
        out[422] = INVALID
    return out


def api_routes(app: web.Application) -> list[tuple[str, str, Any]]:
    return [(method, path, handler) for method, path, handler, _ in _api_routes(app)]


def _api_routes(app: web.Application) -> list[tuple[str, str, Any, web.AbstractResource]]:
    out = []
    for route in app.router.routes():
        if route.resource is None or route.method == "HEAD":
            continue
        path, _ = _openapi_path(route.resource)
        if path.startswith("/api/") and path != "/api/openapi.json":
            out.append((route.method.lower(), path, route.handler, route.resource))
    return out


def build_spec(app: web.Application, public_url: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for method, path, handler, resource in _api_routes(app):
        doc = getattr(handler, "openapi", None)
        if doc is None:
            continue
        parameters = _path_parameters(resource)
        operation: dict[str, Any] = {
            "summary": doc["summary"],
            "operationId": f"{method}_{handler.__name__}",
            "tags": list(doc["tags"]),
            "parameters": parameters,
            "responses": {},
        }
        edge = _edge_responses(
            method, bool(parameters), doc["request_body"] is not None, bool(doc["auth"])
        )
        responses = {**edge, **doc["responses"]}
        for status in edge.keys() & doc["responses"].keys():
            if edge[status] != doc["responses"][status]:
                responses[status] = f"{doc['responses'][status]}; or: {edge[status]}"
        for status, description in sorted(responses.items()):
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
