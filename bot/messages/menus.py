"""What each person is offered, by their duties: /help, /office and the "/" command list.

One table of commands per duty feeds Telegram's command menu (set per private chat) and the
/office list, so the two never disagree; the reply keyboard's buttons are in keyboards.py.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.config import Settings
from bot.core.policy import Actor, Duty
from bot.i18n import N_
from bot.i18n import gettext as _

# Everyone's, whatever they do.
COMMON_COMMANDS = (
    ("help", N_("What this bot does, and the menu")),
    ("language", N_("Switch between Chinese and English")),
    ("cancel", N_("Stop the form you are filling in")),
)

COMMANDS_BY_DUTY: dict[Duty, tuple[tuple[str, str], ...]] = {
    Duty.OWN_HOUSEHOLDS: (("recent", N_("Correct or withdraw your latest contacts")),),
    Duty.VILLAGE: (
        ("flags", N_("Your village's open red flags (and requesting removal)")),
        ("export", N_("Your village's six forms as spreadsheets")),
        ("web", N_("Sign-in link to the office dashboard (web)")),
        ("office", N_("What you can do for your village")),
    ),
    Duty.TOWN_OFFICE: (
        ("flags", N_("Open red flags (measures, removal, the county's decision)")),
        ("summary", N_("Last month's contact coverage (or /summary 2026-03)")),
        ("export", N_("A village's six forms as spreadsheets")),
        ("find", N_("Any household's history (/find and part of a name)")),
        ("unassigned", N_("Households without a contact person, to reassign")),
        ("newhousehold", N_("Add a newly found household")),
        ("deactivate", N_("A contact person who leaves (/deactivate and the name)")),
        ("invite_all", N_("Invitation links for everyone not yet joined, as a sheet (privately)")),
        ("web", N_("Sign-in link to the office dashboard (web)")),
        ("office", N_("All town office commands")),
    ),
    Duty.COUNTY_OFFICE: (
        ("county", N_("The towns' coverage side by side (or /county 2026-03)")),
        ("awaiting", N_("Removals the towns approved, for the county's decision (县级审定)")),
        ("flags", N_("Every town's open red flags")),
        ("summary", N_("Last month's contact coverage of the whole county")),
        ("export", N_("A town's or a village's six forms as spreadsheets")),
        ("find", N_("Any household's history (/find and part of a name)")),
        ("web", N_("Sign-in link to the office dashboard (web)")),
        ("office", N_("All county office commands")),
    ),
}

# The town office's group: the office's work only, nothing personal.
OFFICE_GROUP_COMMANDS = tuple(
    (name, text)
    for name, text in COMMANDS_BY_DUTY[Duty.TOWN_OFFICE]
    if name in ("flags", "summary", "export", "find", "office")
)


def commands_for(duties: Iterable[Duty]) -> list[tuple[str, str]]:
    """The person's commands (name, untranslated description): their duties', then help,
    language and cancel; each once."""
    listed: dict[str, str] = {}
    for duty in duties:
        for name, text in COMMANDS_BY_DUTY[duty]:
            listed.setdefault(name, text)
    for name, text in COMMON_COMMANDS:
        listed.setdefault(name, text)
    return list(listed.items())


def help_text(actor: Actor, duties: Iterable[Duty], settings: Settings) -> str:
    duties = tuple(duties)
    parts = [_("Hello {name} ({role}).").format(name=actor.name, role=actor.role.label)]
    for duty in duties:
        if duty == Duty.OWN_HOUSEHOLDS:
            parts.append(_own_households_help(settings))
        elif duty == Duty.VILLAGE:
            parts.append(
                _(
                    "For your village:\n"
                    "🚩 Red flags: your village's open red flags. You are told at once when a "
                    "household in your village is flagged; when its risk is gone, open the "
                    "flag and request its removal.\n"
                    "📋 Not contacted: who in your village is still to be contacted this month.\n"
                    "📤 Six forms: your village's six forms as spreadsheets."
                )
            )
        elif duty == Duty.COUNTY_OFFICE:
            parts.append(
                _(
                    "For the county office:\n"
                    "🏙 Towns compared: each town's monthly coverage side by side (text, chart, "
                    "spreadsheet).\n"
                    "⚖️ County decisions: the removals the towns approved; open one and record "
                    "the county's decision (县级审定).\n"
                    "📤 Six forms: a town's or a village's six forms as spreadsheets.\n"
                    "Send the provincial platform's red-flag list here as a spreadsheet: each "
                    "household's alert goes to its own town's office. /office lists the commands."
                )
            )
        else:
            parts.append(
                _(
                    "For the town office:\n"
                    "🚩 Red flags: open red flags; add measures, review removals, record the "
                    "county's decision.\n"
                    "📋 Not contacted: this month's households not yet contacted, by village "
                    "and contact person.\n"
                    "📊 Monthly summary: last month's coverage (text, chart, spreadsheet).\n"
                    "📤 Six forms: a village's six forms as spreadsheets.\n"
                    "🗂 Roster changes: a new household, households without a contact person, "
                    "a contact person who leaves.\n"
                    "🔍 Find a household: any household's history.\n"
                    "Send the provincial platform's red-flag list here as a spreadsheet to "
                    "import it. /office lists the commands."
                )
            )
    parts.append(
        _(
            "/language: switch between Chinese and English.\n"
            "/cancel: stop the form you are filling in."
        )
    )
    return "\n\n".join(parts)


def _own_households_help(settings: Settings) -> str:
    return _(
        "Every household on your list needs at least one contact each month: "
        "a home visit, a phone call, an SMS, WeChat or a video call.\n"
        "🏠 My households: your list, not yet contacted first. Type part of a name to search.\n"
        "✍️ Log a contact: pick the household, how you contacted it, and whether all six "
        "guarantees are fine.\n"
        "📅 This month: how many you have contacted, and who is left.\n"
        "/recent: correct or withdraw a contact you logged in the last {hours} hours."
    ).format(hours=settings.contact_edit_window_hours)


def office_text(duties: Iterable[Duty]) -> str | None:
    """The /office list: exactly the commands of the person's village or town office duty
    (None when they have neither)."""
    duties = tuple(duties)
    if Duty.COUNTY_OFFICE in duties:
        heading, desk = _("🏙 County office"), Duty.COUNTY_OFFICE
    elif Duty.TOWN_OFFICE in duties:
        heading, desk = _("🏛 Town office"), Duty.TOWN_OFFICE
    elif Duty.VILLAGE in duties:
        heading, desk = _("🏘 Your village"), Duty.VILLAGE
    else:
        return None
    lines = [heading]
    lines += [
        _("/{command}: {description}").format(command=name, description=_(text))
        for name, text in COMMANDS_BY_DUTY[desk]
        if name != "office"
    ]
    if desk in (Duty.TOWN_OFFICE, Duty.COUNTY_OFFICE):
        lines.append(
            _(
                "Send the provincial platform's red-flag list (.xlsx or .csv, with 户编号 or "
                "身份证号 and 原因) here as a file to flag those households."
            )
        )
    lines.append(_("The buttons below do the same."))
    return "\n".join(lines)
