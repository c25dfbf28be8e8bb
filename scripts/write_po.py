"""Write a concern's zh and en catalogs from a Python table of (English msgid, Chinese).

Usage: python scripts/write_po.py CONCERN TABLE.py — TABLE.py defines MESSAGES = [(msgid, zh), ...]
(or (msgid, zh, en) where the English text differs from the msgid).
Kept for translators who prefer editing one table to two .po files; the .po files are the source
the bot reads.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po

ROOT = Path(__file__).resolve().parent.parent


def write(concern: str, messages: list[tuple[str, ...]]) -> None:
    for language in ("zh", "en"):
        catalog = Catalog(
            locale=language, domain=concern, project="bangfu", charset="utf-8", fuzzy=False
        )
        for msgid, chinese, *english in messages:
            catalog.add(msgid, chinese if language == "zh" else (english or [msgid])[0])
        target = ROOT / "locales" / language / "LC_MESSAGES" / f"{concern}.po"
        with target.open("wb") as handle:
            write_po(handle, catalog, width=0, omit_header=False)


if __name__ == "__main__":
    write(sys.argv[1], runpy.run_path(sys.argv[2])["MESSAGES"])
