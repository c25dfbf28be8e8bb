"""How the scheduler's messages read: contact digests, village and town lists, red-flag
alerts and "reassign this person" notices. Rendered when sent, in the reader's language.

A renderer re-reads the database, so a household contacted (or a flag acknowledged) between
queueing and sending is left out, and a message with nothing left to say is not sent at all.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import Month, days_left_in_month, local_minute
from bot.core.coverage import reminders
from bot.core.delivery.kinds import MessageKind
from bot.core.flags import acknowledgement as flag_workflow
from bot.core.flags.acknowledgement import UNACKNOWLEDGED, FlagView
from bot.core.households.my_households import household_name
from bot.domain.model import Category, FlagSource, FlagStatus, LabelledEnum
from bot.i18n import N_, join_list, use_language
from bot.i18n import gettext as _
from bot.messages.keyboards import HouseholdAct, HouseholdAction, flag_alert_keyboard, inline_grid
from bot.messages.rendering import OutgoingMessage, split_text
from bot.storage.models import OutboxMessage, Person, Village
from bot.storage.uow import UnitOfWork
from bot.text_preview import IN_FULL, preview

RULE = N_("Contact each household at least once a month. Days left this month: {days}.")
NO_CONTACT_PERSON = N_("No contact person")
# Telegram shows at most about 100 inline buttons per message; a digest stays well under.
BUTTONS_PER_MESSAGE = 40
NAMES_PER_LINE = 6


def _current_month(uow: UnitOfWork, row: OutboxMessage) -> Month | None:
    """The payload's month while it is still this month: once the month is over its
    reminders are moot (the monthly summary takes over)."""
    month = Month.parse(row.payload["month"])
    return month if uow.clock.this_month() == month else None


async def contact_digest(
    uow: UnitOfWork, row: OutboxMessage, language: str
) -> list[OutgoingMessage]:
    month = _current_month(uow, row)
    if month is None:
        return []
    person_id = row.payload["person_id"]
    rows = await reminders.uncontacted(uow, month, household_ids=row.payload["household_ids"])
    # Households contacted, or reassigned to someone else, since this was queued are left out.
    households = [r.household for r in rows if r.person is not None and r.person.id == person_id]
    if not households:
        return []
    with use_language(language):
        header = [
            _("📋 Households not contacted yet this month: {count}").format(count=len(households)),
            _(RULE).format(days=days_left_in_month(uow.clock.today())),
            "",
        ]
        footer = ["", _("Tap a household below to log a contact now.")]
        messages: list[OutgoingMessage] = []
        batches = [
            households[start : start + BUTTONS_PER_MESSAGE]
            for start in range(0, len(households), BUTTONS_PER_MESSAGE)
        ]
        for number, batch in enumerate(batches):
            lines = [f"· {household_name(household)}" for household in batch]
            if number == 0:
                lines = header + lines
            if number == len(batches) - 1:
                lines = lines + footer
            keyboard = inline_grid(
                [
                    (
                        "✍️ " + household_name(h),
                        HouseholdAction(action=HouseholdAct.LOG, household_id=h.id),
                    )
                    for h in batch
                ],
                columns=2,
            )
            *leading, last = split_text(lines)
            messages.extend(OutgoingMessage(text, None) for text in leading)
            messages.append(OutgoingMessage(last, keyboard))
        return messages


def _person_lines(rows: Sequence[reminders.Uncontacted]) -> list[str]:
    lines = []
    for person, households in reminders.by_person(list(rows)).items():
        name = person.name if person is not None else _(NO_CONTACT_PERSON)
        lines.append(f"👤 {name} ({len(households)})")
        labels = [household_name(household) for household in households]
        # A few names per line, so a long list splits between lines and is never cut.
        lines += [
            "    " + join_list(labels[start : start + NAMES_PER_LINE])
            for start in range(0, len(labels), NAMES_PER_LINE)
        ]
    return lines


async def village_list(uow: UnitOfWork, row: OutboxMessage, language: str) -> list[OutgoingMessage]:
    month = _current_month(uow, row)
    village = await uow.session.get(Village, row.payload["village_id"])
    if month is None or village is None:
        return []
    rows = await reminders.uncontacted(
        uow, month, village_id=village.id, household_ids=row.payload["household_ids"]
    )
    if not rows:
        return []
    with use_language(language):
        lines = [
            _("📋 {village}: households not contacted yet this month: {count}").format(
                village=village.name, count=reminders.household_count(rows)
            ),
            _(RULE).format(days=days_left_in_month(uow.clock.today())),
            "",
            *_person_lines(rows),
            "",
            _(
                "Please remind these contact persons to reach every household "
                "before the month ends."
            ),
        ]
        return [OutgoingMessage(text, None) for text in split_text(lines)]


async def town_list(uow: UnitOfWork, row: OutboxMessage, language: str) -> list[OutgoingMessage]:
    month = _current_month(uow, row)
    if month is None:
        return []
    rows = await reminders.uncontacted(uow, month, household_ids=row.payload["household_ids"])
    if not rows:
        return []
    by_village: dict[int, list[reminders.Uncontacted]] = {}
    for entry in rows:
        by_village.setdefault(entry.household.village_id, []).append(entry)
    with use_language(language):
        lines = [
            _(
                "📋 Town: households not contacted yet this month: {count}, in {villages} villages"
            ).format(count=reminders.household_count(rows), villages=len(by_village)),
            _(RULE).format(days=days_left_in_month(uow.clock.today())),
        ]
        for village_rows in by_village.values():
            village = village_rows[0].household.village
            count = reminders.household_count(village_rows)
            lines += ["", f"🏘 {village.name} ({count})", *_person_lines(village_rows)]
        lines += [
            "",
            _(
                "Please have the villages reach these households today, and assign a "
                "contact person to any household without one."
            ),
        ]
        return [OutgoingMessage(text, None) for text in split_text(lines)]


async def flag_alert(uow: UnitOfWork, row: OutboxMessage, language: str) -> list[OutgoingMessage]:
    view = await flag_workflow.flag_view(uow, row.payload["flag_id"])
    occasion = row.payload.get("occasion")
    if view is None or not view.is_open or not _still_true(view, occasion):
        return []
    with use_language(language):
        text = flag_alert_text(view, row.payload, uow.clock.tz)
        return [OutgoingMessage(text, flag_alert_keyboard(view))]


def _still_true(view: FlagView, occasion: str | None) -> bool:
    """A repeat whose reason went away before sending (acknowledged, new deadline) is moot."""
    if occasion == UNACKNOWLEDGED:
        return view.flag.status == FlagStatus.RAISED
    if occasion:
        return view.flag.deadline is not None and occasion.endswith(view.flag.deadline.isoformat())
    return True


def flag_alert_text(view: FlagView, payload: dict[str, Any], tz: ZoneInfo) -> str:
    """The alert as the town office reads it; `payload` says whether it is a repeat, and why."""
    flag, household = view.flag, view.household
    repeat, occasion = int(payload.get("repeat", 0)), payload.get("occasion")
    lines = [_("🚩 Red flag")]
    if repeat and occasion == UNACKNOWLEDGED:
        lines.append(
            _("🔁 Repeat {repeat}: nobody has acknowledged it for {hours} hours.").format(
                repeat=repeat, hours=payload.get("hours", "")
            )
        )
    elif repeat:
        lines.append(
            _(
                "🔁 Repeat {repeat}: the deadline {deadline} has passed "
                "and the risk is still there."
            ).format(repeat=repeat, deadline=_day(flag.deadline))
        )
    lines += [
        _("Village: {village}, {group}").format(
            village=household.village.name, group=household.group_name or "—"
        ),
        _("Household head: {head} ({category})").format(
            head=household.head_name, category=_label(Category, household.category)
        ),
        _("Reason: {reason}").format(reason=preview(flag.reason, IN_FULL)),
        _("Source: {source}").format(source=_source(flag.source, view.raised_by)),
        _("Raised: {when}").format(when=local_minute(flag.raised_at, tz)),
    ]
    if view.acknowledged_by is not None or flag.acknowledged_at is not None:
        lines.append(
            _("✅ Acknowledged by {name}, {when}").format(
                name=view.acknowledged_by or "—", when=local_minute(flag.acknowledged_at, tz)
            )
        )
    if flag.deadline is not None:
        lines.append(
            _("⏱ Deadline to remove the risk: {deadline}").format(deadline=_day(flag.deadline))
        )
    lines.append("")
    if flag.status == FlagStatus.RAISED:
        lines.append(_("Please acknowledge it, then set a deadline to remove the risk."))
    else:
        lines.append(_("Set or change the deadline to remove the risk."))
    return "\n".join(lines)


async def person_to_reassign(
    uow: UnitOfWork, row: OutboxMessage, language: str
) -> list[OutgoingMessage]:
    person = await uow.session.get(Person, row.payload["person_id"])
    if person is None or not person.active:
        return []
    unreachable = row.kind == MessageKind.PERSON_UNREACHABLE
    if unreachable and person.unreachable_since is None:
        return []  # they opened the bot again before this was sent
    with use_language(language):
        village = person.village.name if person.village else "—"
        count = row.payload["households"]
        if unreachable and person.telegram_user_id is None:
            text = _(
                "⚠️ Contact person {name} ({village}) has not opened their invitation link yet, "
                "so the bot cannot remind them. They hold {count} households.\n"
                "Please send them an invitation link ({command}), "
                "or reassign these households."
            ).format(
                name=person.name,
                village=village,
                count=count,
                command=shlex.join(["bangfu", "invite", "--name", person.name]),  # pasteable
            )
        elif unreachable:
            text = _(
                "⚠️ Contact person {name} ({village}) cannot get messages from the bot: they "
                "blocked it or never opened it. They hold {count} households.\n"
                "Please reassign these households, or ask {name} to open the bot again."
            ).format(name=person.name, village=village, count=count)
        else:
            last = row.payload.get("last_entered")
            text = _(
                "⚠️ Contact person {name} ({village}) has logged no contact for {days} days "
                "(last one: {last}). They hold {count} households.\n"
                "Please check with them, or reassign these households."
            ).format(
                name=person.name,
                village=village,
                days=row.payload.get("days", ""),
                last=local_minute(datetime.fromisoformat(last), uow.clock.tz)
                if last
                else _("never"),
                count=count,
            )
        return [OutgoingMessage(text, None)]


def _label(kind: type[LabelledEnum], code: str) -> str:
    try:
        return kind(code).label
    except ValueError:  # a value added as data (a new category), not a built-in word
        return code


def _source(code: str, raised_by: str | None) -> str:
    label = _label(FlagSource, code)
    return f"{label} · {raised_by}" if raised_by else label


def _day(day: date | None) -> str:
    return day.isoformat() if day else "—"
