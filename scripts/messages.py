"""Extract translatable strings into one catalog per package and merge them into the
existing `.po` files, keeping every translation already made.

    python scripts/messages.py          # update translations/ko/LC_MESSAGES/*.po
    python scripts/messages.py chat     # only chat.po

Each package owns its catalog: `server` (the core pages), `streaming`, `chat`,
`checkout`, and the server sub-packages that keep their own (`markets`, `jobs`,
`onboarding`, `trust`: their code under server/<name>/). Templates under templates/<package>/
belong to that package; the rest of templates/ belongs to `server`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = (
    "server",
    "streaming",
    "chat",
    "checkout",
    "markets",
    "jobs",
    "onboarding",
    "trust",
)
# Sub-packages of server with a catalog of their own, and where their code lives.
SUBPACKAGES = {
    "markets": "server/markets",
    "jobs": "server/jobs",
    "onboarding": "server/onboarding",
    "trust": "server/trust",
}
# English is the language of the source strings, so only Korean needs a catalog.
LOCALES = ("ko",)
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def _templates_of(package: str) -> list[Path]:
    templates = ROOT / "templates"
    if package == "server":
        return [
            p
            for p in templates.rglob("*.html")
            if p.relative_to(templates).parts[0] not in PACKAGES[1:]
        ]
    return sorted((templates / package).rglob("*.html"))


def extract(package: str) -> Catalog:
    catalog = Catalog(project="jangteo-live", fuzzy=False)
    folder = SUBPACKAGES.get(package, package)
    source = ROOT / folder
    own_catalogs = tuple(f"{name}/" for name in SUBPACKAGES) if package == "server" else ()
    if source.is_dir():
        for filename, lineno, message, comments, context in extract_from_dir(
            source,
            method_map=[("**.py", "python")],
            keywords=KEYWORDS,
        ):
            if "migrations" not in filename and not filename.startswith(own_catalogs):
                catalog.add(
                    message,
                    locations=[(f"{folder}/{filename}", lineno)],
                    auto_comments=comments,
                    context=context,
                )
    for path in _templates_of(package):
        for filename, lineno, message, comments, context in extract_from_dir(
            path.parent,
            method_map=[(path.name, "jinja2")],
            keywords=KEYWORDS,
            options_map={path.name: {"extensions": "jinja2.ext.i18n"}},
        ):
            catalog.add(
                message,
                locations=[(str(path.parent.relative_to(ROOT) / filename), lineno)],
                auto_comments=comments,
                context=context,
            )
    return catalog


def update(package: str) -> int:
    template = extract(package)
    missing = 0
    if not len(template):
        return 0
    for locale in LOCALES:
        po_path = ROOT / "translations" / locale / "LC_MESSAGES" / f"{package}.po"
        po_path.parent.mkdir(parents=True, exist_ok=True)
        if po_path.exists():
            with po_path.open("rb") as fh:
                catalog = read_po(fh, locale=locale)
        else:
            catalog = Catalog(locale=locale, project="jangteo-live")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.obsolete.clear()
        with po_path.open("wb") as fh:
            write_po(fh, catalog, width=100, omit_header=False, sort_output=True, no_location=True)
        if locale == "ko":
            missing += sum(1 for m in catalog if m.id and not m.string)
    return missing


def main() -> int:
    wanted = sys.argv[1:] or list(PACKAGES)
    unknown = [p for p in wanted if p not in PACKAGES]
    if unknown:
        print(f"unknown package(s): {unknown}; choose from {PACKAGES}", file=sys.stderr)
        return 2
    for package in wanted:
        missing = update(package)
        print(f"{package}: {missing} Korean translation(s) missing")
    return 0


if __name__ == "__main__":
    sys.exit(main())
