"""A setting that is missing or not valid, said as a line the person who deploys can act on
(not pydantic's traceback), in the town's language: read before the settings themselves."""

from __future__ import annotations

import os
import sys
from typing import Any

from dotenv import dotenv_values
from pydantic import ValidationError

from bot.cli.output import say
from bot.config import LOCALES_DIR, Settings
from bot.i18n import gettext as _
from bot.i18n import load_catalogs, set_language
from bot.setting_problem import SettingProblem

# pydantic's kinds of error that read better said in the town's language.
_REASONS = {
    "int_parsing": lambda context: _("it must be a whole number"),
    "greater_than_equal": lambda context: _("it must be at least {limit}").format(
        limit=context.get("ge")
    ),
}


def settings_or_why() -> Settings | None:
    """The settings, or None once each wrong one has been named on stderr."""
    try:
        return Settings()
    except ValidationError as error:
        _speak_the_town_s_language()
        for problem in error.errors():
            name = str(problem["loc"][0]).upper() if problem["loc"] else "?"
            reason = _reason(problem)
            say(
                _("The setting {name} (in .env or the environment) is not valid: {reason}").format(
                    name=name, reason=reason
                ),
                file=sys.stderr,
            )
        say(_("Correct it as .env.example shows, then start bangfu again."), file=sys.stderr)
        return None


def _speak_the_town_s_language() -> None:
    chosen = os.environ.get("DEFAULT_LANGUAGE") or dotenv_values(".env").get("DEFAULT_LANGUAGE")
    load_catalogs(LOCALES_DIR)
    set_language(chosen or "zh")  # one it does not know is zh too


def _reason(problem: Any) -> str:
    """Why, in the town's language: bangfu's validators' own reasons, pydantic's commonest
    kinds, else pydantic's English."""
    context = problem.get("ctx") or {}
    if isinstance(context.get("error"), SettingProblem):
        return str(context["error"].said(_))
    kind = _REASONS.get(problem["type"])
    return kind(context) if kind else str(problem["msg"]).removeprefix("Value error, ")
