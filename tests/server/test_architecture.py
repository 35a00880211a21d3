"""The shape of the code base that the other tests cannot see: one list of event names
shared with the pages, and no late lookups of the application."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from server.events import ChatCommand, ChatEvent, LiveEvent

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("server", "chat", "checkout", "streaming")


def _js_enum(source: str, name: str) -> dict[str, str]:
    block = source.split(f"export const {name} = Object.freeze({{", 1)[1].split("});", 1)[0]
    return dict(re.findall(r'(\w+): "([^"]+)"', block))


def test_the_pages_use_the_servers_event_names() -> None:
    source = (ROOT / "static" / "js" / "events.js").read_text()
    for enum in (LiveEvent, ChatCommand, ChatEvent):
        assert _js_enum(source, enum.__name__) == {e.name: e.value for e in enum}


def test_every_event_name_has_one_style() -> None:
    for enum in (LiveEvent, ChatCommand, ChatEvent):
        for event in enum:
            assert re.fullmatch(r"[a-z_]+:[a-z_]+", event.value), event


def test_no_object_looks_the_application_up_later() -> None:
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text()
            assert "lambda: app[" not in text, path
            assert "def __getattr__" not in text, path


# --- import cycles and private names of libraries -------------------------------------------

HOOKS_MODULES = {
    "streaming/aiortc_hooks.py",
    "chat/socketio_hooks.py",
    "checkout/stripe_hooks.py",
    "server/localstripe_hooks.py",
}
# Documented names that start with an underscore (os._exit, namedtuple's API).
DOCUMENTED = {"_exit", "_asdict", "_replace", "_fields", "_make"}
CHECKED_TREES = (*PACKAGES, "bench", "tests")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, name: str, modules: set[str]) -> set[str]:
    """The project modules `path` imports, at any level (TYPE_CHECKING blocks included)."""
    found: set[str] = set()
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            for alias in node.names:
                if f"{module}.{alias.name}" in modules:
                    found.add(f"{module}.{alias.name}")
                elif module in modules:
                    found.add(module)
    return found - {name}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in graph[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in graph:
        if node not in index:
            visit(node)
    return groups


def test_no_import_cycles_not_even_for_type_checking() -> None:
    paths = {_module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}
    modules = set(paths)
    graph = {name: _imports(path, name, modules) for name, path in paths.items()}
    assert _cycles(graph) == []


def _python_files() -> list[Path]:
    return [p for tree in CHECKED_TREES for p in (ROOT / tree).rglob("*.py")]


def _names_we_define(paths: list[Path]) -> set[str]:
    """Every private name the project itself defines (functions, classes, attributes)."""
    names: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                names.add(node.target.id)
    return {name for name in names if name.startswith("_")}


def test_private_names_of_libraries_only_in_the_hooks_modules() -> None:
    paths = _python_files()
    ours = _names_we_define(paths)
    reached: list[str] = []
    for path in paths:
        relative = path.relative_to(ROOT).as_posix()
        if relative in HOOKS_MODULES:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            name = ""
            if isinstance(node, ast.Attribute):
                name = node.attr
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                name = next((a.name for a in node.names if a.name.startswith("_")), "")
            if name.startswith("_") and not name.startswith("__") and name not in ours | DOCUMENTED:
                reached.append(f"{relative}:{getattr(node, 'lineno', 0)} {name}")
    assert reached == []
