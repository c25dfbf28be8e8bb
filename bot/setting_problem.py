"""Why a setting's value is not valid, said in the town's language where it is printed.

The settings are read before any language is chosen (the language is one of them), so a
validator cannot translate its reason. It raises `SettingProblem` with the reason's msgid
(marked with the `N_` defined here, for the catalogs) and its values;
`bot/cli/settings_errors.py` says it in zh or en. Anywhere else (a log, a traceback, a test)
it reads in English.
"""

from __future__ import annotations

from collections.abc import Callable


def N_(message: str) -> str:
    """Marks a reason for the catalogs, as bot.i18n's `N_` does: the settings cannot import
    bot.i18n, which reads them."""
    return message


class SettingProblem(ValueError):
    def __init__(self, reason: str, **values: object) -> None:
        self.reason = reason
        self.values = values
        super().__init__(reason.format(**values))

    def said(self, translate: Callable[[str], str]) -> str:
        """The reason as `translate` (gettext, in the language chosen) says it."""
        return translate(self.reason).format(**self.values)
