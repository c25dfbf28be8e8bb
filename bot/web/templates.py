"""The Jinja2 environment of the dashboard's pages: autoescaped, translated through bangfu's
gettext catalogs (in the language set for the request), with a few formatting filters."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from bot.core.flags.measures import MeasureType
from bot.domain.model import (
    Category,
    ContactChannel,
    FlagStatus,
    Guarantee,
    HouseholdStatus,
    Role,
)
from bot.domain.problems import problem_wording
from bot.i18n import gettext, ngettext
from bot.web.labels import CHANGE_KINDS, MEASURE_STATUS, STEP_LABELS, roster_value


def percent(share: float | None) -> str:
    return "—" if share is None else f"{share * 100:.0f}%"


def build_templates(tz: ZoneInfo) -> Environment:
    env = Environment(
        loader=PackageLoader("bot.web", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]

    def local_time(moment: datetime | None) -> str:
        return "" if moment is None else moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")

    def day(value: date | datetime | None) -> str:
        if value is None:
            return ""
        if isinstance(value, datetime):
            value = value.astimezone(tz).date()
        return value.isoformat()

    def label(kind: type, value: str) -> str:
        """The reader's word for a stored enum value (a category, a channel …)."""
        try:
            return kind(value).label
        except ValueError:
            return value

    env.filters.update(percent=percent, local_time=local_time, day=day)
    env.globals.update(
        label=label,
        problem=problem_wording,
        Category=Category,
        ContactChannel=ContactChannel,
        FlagStatus=FlagStatus,
        Guarantee=Guarantee,
        HouseholdStatus=HouseholdStatus,
        MeasureType=MeasureType,
        Role=Role,
        step_labels=STEP_LABELS,
        change_kinds=CHANGE_KINDS,
        measure_status=MEASURE_STATUS,
        roster_value=roster_value,
    )
    return env
