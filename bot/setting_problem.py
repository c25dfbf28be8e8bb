"""Why a setting's value is not valid, said in the town's language where it is printed.

The settings are read before any language is chosen (the language is one of them), so a
validator cannot translate its reason. It raises `SettingProblem` with the reason's msgid
(marked with `N_` for the catalogs) and its values; `bot/cli/settings_errors.py` says it in
zh or en. Anywhere else (a log, a traceback, a test) it reads in English.
"""

from __future__ import annotations

from bot.i18n import gettext as _


class SettingProblem(ValueError):
    def __init__(self, reason: str, **values: object) -> None:
        self.reason = reason
        self.values = values
        super().__init__(reason.format(**values))

    def said(self) -> str:
        """The reason in the language chosen now."""
        return _(self.reason).format(**self.values)
