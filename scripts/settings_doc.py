"""Write the README's table of settings from their declarations in server/settings.py.

`make settings-doc` runs this; tests/server/test_settings.py fails while the README's
table differs from what this would write.
"""

from __future__ import annotations

import sys
from pathlib import Path

from server.settings import readme_table

README = Path(__file__).resolve().parents[1] / "README.md"
START = "<!-- settings table: `make settings-doc` writes it from server/settings.py -->\n"
END = "<!-- end of the settings table -->\n"


def with_table(readme: str, table: str) -> str:
    """The README's text with `table` between the markers."""
    before, start, rest = readme.partition(START)
    _, end, after = rest.partition(END)
    if not start or not end:
        raise SystemExit(f"README.md lacks the markers {START.strip()} and {END.strip()}")
    return before + START + table + END + after


def main() -> int:
    text = README.read_text(encoding="utf-8")
    updated = with_table(text, readme_table())
    if updated != text:
        README.write_text(updated, encoding="utf-8")
        print("README.md: settings table updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
