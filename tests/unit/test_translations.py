"""Every user-visible string must be translated in both catalogs, Chinese and English."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2)}


def _code_messages() -> dict[str, str]:
    found: dict[str, str] = {}
    for package in ("bot", "scheduler"):
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / package,
            # The dashboard's templates (bot/web/templates) call _() and ngettext() too.
            method_map=[("**.py", "python"), ("**/templates/**.html", "jinja2.ext:babel_extract")],
            options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}},
            keywords=KEYWORDS,
        ):
            # A plural (ngettext) is one catalog entry, keyed by its singular.
            msgid = message[0] if isinstance(message, tuple) else message
            if msgid:
                found.setdefault(msgid, f"{package}/{filename}:{lineno}")
    return found


def _catalog(language: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for po in sorted((ROOT / "locales" / language / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as handle:
            for message in read_po(handle):
                if message.id:
                    key = message.id[0] if isinstance(message.id, tuple) else message.id
                    text = message.string
                    text = text[0] if isinstance(text, tuple) else text
                    merged[key] = text
    return merged


def test_every_user_visible_string_has_chinese_and_english() -> None:
    messages = _code_messages()
    assert len(messages) > 20, "extraction found too few strings: is the keyword list right?"
    for language in ("zh", "en"):
        catalog = _catalog(language)
        missing = sorted(
            f"{where}: {msgid!r}" for msgid, where in messages.items() if not catalog.get(msgid)
        )
        assert not missing, f"{language}: {len(missing)} untranslated\n" + "\n".join(missing)


def test_translations_keep_the_same_placeholders() -> None:
    import re

    placeholder = re.compile(r"\{[a-z_]*\}")
    for language in ("zh", "en"):
        for msgid, text in _catalog(language).items():
            if text:
                assert sorted(placeholder.findall(msgid)) == sorted(placeholder.findall(text)), (
                    f"{language}: placeholders differ in {msgid!r}"
                )
