"""Fill a catalog's empty msgstr entries from a Python dict file (a translator's aid).

    python scripts/fill_po.py translations/ko/LC_MESSAGES/server.po translations.py

The dict file defines KO = {"English": "한국어", ...}.
"""

from __future__ import annotations

import runpy
import sys

from babel.messages.pofile import read_po, write_po


def main(po_path: str, dict_path: str) -> int:
    table = runpy.run_path(dict_path)["KO"]
    with open(po_path, "rb") as fh:
        catalog = read_po(fh, locale="ko")
    missing = []
    for message in catalog:
        if message.id and not message.string:
            key = message.id if isinstance(message.id, str) else message.id[0]
            if key in table:
                message.string = table[key]
            else:
                missing.append(key)
    with open(po_path, "wb") as fh:
        write_po(fh, catalog, width=100, sort_output=True, no_location=True)
    for key in missing:
        print(f"missing: {key!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
