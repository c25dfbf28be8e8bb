"""Translations: gettext catalogs under `locales/<lang>/LC_MESSAGES/*.po`.

Every concern keeps its own `.po` file; at start they are merged per language and compiled
into one `bangfu.mo`, so the running code asks a single catalog. The current user's language
lives in a context variable that the bot's middleware sets per update, and that the CLI and
scheduler set around each message they render.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LANGUAGES = ("zh", "en")
DOMAIN = "bangfu"

_current_language: ContextVar[str] = ContextVar("bangfu_language", default="zh")
_translations: dict[str, _gettext.NullTranslations] = {}
_loads = 0  # how many times the catalogs were loaded


def compile_catalogs(locales_dir: Path) -> None:
    """Merge each language's `.po` files into `bangfu.mo`, when any `.po` is newer."""
    for language in LANGUAGES:
        folder = locales_dir / language / "LC_MESSAGES"
        sources = sorted(folder.glob("*.po"))
        target = folder / f"{DOMAIN}.mo"
        if not sources:
            continue
        if target.exists() and target.stat().st_mtime >= max(p.stat().st_mtime for p in sources):
            continue
        merged = Catalog(locale=language, domain=DOMAIN)
        for source in sources:
            with source.open("rb") as handle:
                for message in read_po(handle, locale=language):
                    if message.id and message.string:
                        merged.add(message.id, message.string, context=message.context)
        with target.open("wb") as handle:
            write_mo(handle, merged)


def load_catalogs(locales_dir: Path) -> None:
    global _loads
    compile_catalogs(locales_dir)
    for language in LANGUAGES:
        _translations[language] = _gettext.translation(
            DOMAIN, localedir=str(locales_dir), languages=[language], fallback=True
        )
    _loads += 1


def catalogs_version() -> int:
    """Changes whenever the catalogs are loaded again: what is worked out from translations
    (the menu buttons' labels) may be kept until then."""
    if not _translations:
        _catalog()
    return _loads


def set_language(language: str) -> None:
    _current_language.set(language if language in LANGUAGES else "zh")


def current_language() -> str:
    return _current_language.get()


@contextmanager
def use_language(language: str) -> Iterator[None]:
    token = _current_language.set(language if language in LANGUAGES else "zh")
    try:
        yield
    finally:
        _current_language.reset(token)


def _catalog() -> _gettext.NullTranslations:
    if not _translations:
        from bot.config import LOCALES_DIR

        load_catalogs(LOCALES_DIR)
    return _translations.get(current_language()) or _gettext.NullTranslations()


def gettext(message: str) -> str:
    return _catalog().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _catalog().ngettext(singular, plural, n)


def N_(message: str) -> str:
    return message


_ = gettext


def join_list(items: Iterable[str]) -> str:
    """Join names as the reader's language does: 、 in Chinese, ", " in English."""
    return gettext("、").join(items)


def language_for(telegram_language_code: str | None, chosen: str | None, default: str) -> str:
    """The chosen language wins; else English when Telegram says so; else the town's default."""
    if chosen in LANGUAGES:
        return chosen
    if telegram_language_code and telegram_language_code.lower().startswith("en"):
        return "en"
    if telegram_language_code and telegram_language_code.lower().startswith("zh"):
        return "zh"
    return default
