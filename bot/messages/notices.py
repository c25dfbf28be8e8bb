"""How the scheduler's messages read: contact digests, village and town lists, red-flag
alerts and "reassign this person" notices. Rendered when sent, in the reader's language.

A renderer re-reads the database, so a household contacted (or a flag acknowledged) between
queueing and sending is left out, and a message with nothing left to say is not sent at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.filters.callback_data import CallbackData

from bot.clock import Month, days_left_in_month, local_minute
from bot.core.coverage import reminders
from bot.core.delivery import reachability
from bot.core.delivery.kinds import MessageKind
from bot.core.delivery.reachability import households_held
from bot.core.flags import acknowledgement as flag_workflow
from bot.core.flags.acknowledgement import UNACKNOWLEDGED, FlagView, deadline_stands
from bot.core.households.my_households import NamedHousehold, household_name
from bot.core.households.ordering import by_group_and_pinyin
from bot.domain.model import Category, FlagSource, FlagStatus, LabelledEnum
from bot.i18n import N_, join_list, use_language
from bot.i18n import gettext as _
from bot.messages.keyboards import (
    HouseholdAct,
    HouseholdAction,
    LogPage,
    NewInvite,
    flag_alert_keyboard,
    inline_grid,
)
from bot.messages.rendering import OutgoingMessage
from bot.storage.models import OutboxMessage, Person
from bot.storage.uow import UnitOfWork
from bot.text_preview import IN_FULL, preview

RULE = N_("Contact each household at least once a month. Days left this month: {days}.")
NEW_INVITE = N_("🔗 New invitation link")
ALL_LEFT = N_("📋 All {total}")  # the button to the whole list, a page at a time
FIRST_FEW = 6  # households named in a digest; the rest are a button away
# People listed in one "never opened the invitation" message: a button each, and the
# message stays readable on a phone (Telegram allows about 100 buttons).
NEVER_JOINED_PER_MESSAGE = 20


def current_month(uow: UnitOfWork, row: OutboxMessage) -> Month | None:
    """The payload's month while it is still this month: once the month is over its
    reminders are moot (the monthly summary takes over)."""
    month = Month.parse(row.payload["month"])
    return month if uow.clock.this_month() == month else None


async def contact_digest(
    uow: UnitOfWork, row: OutboxMessage, language: str
) -> list[OutgoingMessage]:
    """Under one phone screen whatever the caseload: the count, the count per group, the
    first few households as buttons, and a button to the whole list (a page at a time)."""
    month = current_month(uow, row)
    if month is None:
        return []
    person_id = row.payload["person_id"]
    rows = await reminders.uncontacted(uow, month, household_ids=row.payload["household_ids"])
    # Households contacted, or reassigned to someone else, since this was queued are left out.
    households = by_group_and_pinyin(
        r.household for r in rows if r.person is not None and r.person.id == person_id
    )
    if not households:
        return []
    with use_language(language):
        lines = []
        if row.payload.get("nudged_by"):
            lines.append(_("🔔 {name} reminds you:").format(name=row.payload["nudged_by"]))
        lines += [
            _("📋 Households not contacted yet this month: {count}").format(count=len(households)),
            _(RULE).format(days=days_left_in_month(uow.clock.today())),
        ]
        if len({household.group_name for household in households}) > 1:
            lines.append(_("By group: {groups}").format(groups=group_counts(households)))
        first = households[:FIRST_FEW]
        buttons: list[tuple[str, CallbackData | str]] = [
            ("✍️ " + household_name(h), HouseholdAction(action=HouseholdAct.LOG, household_id=h.id))
            for h in first
        ]
        # The households are the buttons: named once, not listed above them again.
        footer: list[tuple[str, CallbackData | str]] = []
        if len(households) > len(first):
            lines.append(
                _(
                    "Tap a household to log a contact now, or “All {total}” for the whole list."
                ).format(total=len(households))
            )
            footer.append((_(ALL_LEFT).format(total=len(households)), LogPage(page=0)))
        else:
            lines.append(_("Tap a household to log a contact now."))
        keyboard = inline_grid(buttons, columns=2, footer=footer)
        return [OutgoingMessage("\n".join(lines), keyboard)]


def group_counts(households: Sequence[NamedHousehold]) -> str:
    """一组 12 户、二组 8 户: how many households in each group (组), in register order."""
    counts: dict[str, int] = {}
    for household in by_group_and_pinyin(households):
        counts[household.group_name] = counts.get(household.group_name, 0) + 1
    return join_list(
        _("{group} {count}").format(group=group or _("no group"), count=count)
        for group, count in counts.items()
    )


async def flag_alert(uow: UnitOfWork, row: OutboxMessage, language: str) -> list[OutgoingMessage]:
    view = await flag_workflow.flag_view(uow, row.payload["flag_id"])
    occasion = row.payload.get("occasion")
    if view is None or not view.is_open or not _still_true(view, occasion):
        return []
    with use_language(language):
        today = uow.clock.today()
        text = flag_alert_text(view, row.payload, uow.clock.tz, today)
        return [OutgoingMessage(text, flag_alert_keyboard(view, today))]


def _still_true(view: FlagView, occasion: str | None) -> bool:
    """A repeat whose reason went away before sending (acknowledged, new deadline) is moot."""
    if occasion == UNACKNOWLEDGED:
        return view.flag.status == FlagStatus.RAISED
    if occasion:
        return view.flag.deadline is not None and occasion.endswith(view.flag.deadline.isoformat())
    return True


def flag_alert_text(view: FlagView, payload: dict[str, Any], tz: ZoneInfo, today: date) -> str:
    """The alert as the town office reads it; `payload` says whether it is a repeat, and why
    (empty: the alert edited to the flag's state now). It ends with what to do next."""
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
    elif not deadline_stands(flag, today):
        lines.append(_("Please set a deadline to remove the risk."))
    else:
        lines.append(_("Measures and the way to removal: 📋 Details."))
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
    # Counted now, not when queued: quiet hours or a retry may have passed, and the office may
    # have reassigned them meanwhile. With none left there is nothing to ask for.
    count = await households_held(uow, person.id)
    if not count:
        return []
    with use_language(language):
        village = person.village.name if person.village else "—"
        keyboard = None
        if unreachable and person.telegram_user_id is None:
            gathered = await reachability.never_joined_together(uow, row)
            if len(gathered) > 1:
                return _never_joined_list(gathered)
            text = _(
                "⚠️ Contact person {name} ({village}) has not opened their invitation link yet, "
                "so the bot cannot remind them. They hold {count} households.\n"
                "Tap “🔗 New invitation link” and forward the link to this contact person, "
                "or reassign these households."
            ).format(name=person.name, village=village, count=count)
            keyboard = inline_grid([(_(NEW_INVITE), NewInvite(person_id=person.id))])
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
        return [OutgoingMessage(text, keyboard)]


def _never_joined_list(gathered: list[reachability.NeverJoined]) -> list[OutgoingMessage]:
    """Several people who never opened their link, in one message (more, past
    NEVER_JOINED_PER_MESSAGE people), each with their own 🔗 button for a new link."""
    messages = []
    for start in range(0, len(gathered), NEVER_JOINED_PER_MESSAGE):
        chunk = gathered[start : start + NEVER_JOINED_PER_MESSAGE]
        lines = [
            _(
                "⚠️ {count} contact persons have not opened their invitation link yet, so the "
                "bot cannot remind them:"
            ).format(count=len(chunk))
        ]
        lines += [
            _("• {name} ({village}): {count} households").format(
                name=entry.person.name,
                village=entry.person.village.name if entry.person.village else "—",
                count=entry.households,
            )
            for entry in chunk
        ]
        lines.append(
            _(
                "Tap 🔗 beside a name for a new invitation link to forward to that contact "
                "person, or reassign their households."
            )
        )
        buttons: list[tuple[str, CallbackData | str]] = [
            (_("🔗 {name}").format(name=entry.person.name), NewInvite(person_id=entry.person.id))
            for entry in chunk
        ]
        messages.append(OutgoingMessage("\n".join(lines), inline_grid(buttons, columns=2)))
    return messages


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
