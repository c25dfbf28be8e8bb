"""The escalation lists (催办名单): the village's uncontacted households for its admins (27th)
and the town's for the town office (last day). Each contact person is one line, with how many
households they have left and their names, and two buttons: 🔔 remind this person now,
📋 their households (to open one, or for the town office to reassign it).

Rendered when sent, in the reader's language; households contacted since queueing drop out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aiogram.filters.callback_data import CallbackData

from bot.clock import days_left_in_month
from bot.core.coverage import reminders
from bot.core.coverage.escalations import NOBODY, can_be_reminded
from bot.core.households.my_households import household_name
from bot.i18n import N_, join_list
from bot.i18n import gettext as _
from bot.messages.keyboards import Backlog, RemindNow, inline_grid
from bot.messages.notices import RULE, current_month
from bot.messages.rendering import OutgoingMessage, split_text
from bot.storage.models import Household, OutboxMessage, Person, Village
from bot.storage.uow import UnitOfWork

NO_CONTACT_PERSON = N_("No contact person")
NAMES_PER_LINE = 6
# Telegram shows about 100 inline buttons at most; two per person, and a message that stays
# readable on a phone.
PEOPLE_PER_MESSAGE = 20
Button = tuple[str, CallbackData | str]


@dataclass(frozen=True)
class Block:
    """Lines about one contact person (or a village heading), and their buttons."""

    lines: list[str]
    buttons: list[Button]


def _person_block(person: Person | None, households: Sequence[Household], buttons: bool) -> Block:
    name = person.name if person is not None else _(NO_CONTACT_PERSON)
    labels = [household_name(household) for household in households]
    lines = [_("👤 {name}: {count} left").format(name=name, count=len(households))]
    # Every household is named (a few per line, so a long list splits between lines).
    lines += [
        "    " + join_list(labels[start : start + NAMES_PER_LINE])
        for start in range(0, len(labels), NAMES_PER_LINE)
    ]
    if not buttons:
        return Block(lines, [])
    person_id = person.id if person is not None else NOBODY
    row: list[Button] = []
    if person is not None and can_be_reminded(person):
        row.append((_("🔔 Remind {name}").format(name=name), RemindNow(person_id=person_id)))
    listing = _("📋 {name} ({count})").format(name=name, count=len(households))
    row.append((listing, Backlog(person_id=person_id)))
    return Block(lines, row)


def _people_blocks(rows: list[reminders.Uncontacted], seen: set[int | None]) -> list[Block]:
    blocks = []
    for person, households in reminders.by_person(rows).items():
        key = person.id if person is not None else None
        blocks.append(_person_block(person, households, buttons=key not in seen))
        seen.add(key)
    return blocks


def _messages(head: list[str], blocks: list[Block], foot: list[str]) -> list[OutgoingMessage]:
    """The blocks in messages of at most PEOPLE_PER_MESSAGE people; the buttons of each
    message's people under that message (each button row beside its person's line)."""
    chunks: list[list[Block]] = [[]]
    people = 0
    for block in blocks:
        if block.buttons and people == PEOPLE_PER_MESSAGE:
            chunks.append([])
            people = 0
        chunks[-1].append(block)
        people += bool(block.buttons)
    messages: list[OutgoingMessage] = []
    for number, chunk in enumerate(chunks):
        lines = [line for block in chunk for line in block.lines]
        if number == 0:
            lines = head + lines
        if number == len(chunks) - 1:
            lines = lines + foot
        builder_rows = [block.buttons for block in chunk if block.buttons]
        buttons = [button for row in builder_rows for button in row]
        keyboard = inline_grid(buttons, columns=[len(row) for row in builder_rows] or 1)
        *leading, last = split_text(lines)
        messages.extend(OutgoingMessage(text, None) for text in leading)
        messages.append(OutgoingMessage(last, keyboard if buttons else None))
    return messages


def _how_to() -> list[str]:
    return [
        "",
        _(
            "🔔 sends that contact person one private reminder now (once a day). "
            "📋 lists their households left: open one, or reassign it."
        ),
    ]


async def village_list(uow: UnitOfWork, row: OutboxMessage, language: str) -> list[OutgoingMessage]:
    month = current_month(uow, row)
    village = await uow.session.get(Village, row.payload["village_id"])
    if month is None or village is None:
        return []
    rows = await reminders.uncontacted(
        uow, month, village_id=village.id, household_ids=row.payload["household_ids"]
    )
    if not rows:
        return []
    head = [
        _("📋 {village}: households not contacted yet this month: {count}").format(
            village=village.name, count=reminders.household_count(rows)
        ),
        _(RULE).format(days=days_left_in_month(uow.clock.today())),
        "",
    ]
    return _messages(head, _people_blocks(rows, set()), _how_to())


async def town_list(uow: UnitOfWork, row: OutboxMessage, language: str) -> list[OutgoingMessage]:
    month = current_month(uow, row)
    if month is None:
        return []
    rows = await reminders.uncontacted(uow, month, household_ids=row.payload["household_ids"])
    if not rows:
        return []
    by_village: dict[int, list[reminders.Uncontacted]] = {}
    for entry in rows:
        by_village.setdefault(entry.household.village_id, []).append(entry)
    head = [
        _(
            "📋 Town: households not contacted yet this month: {count}, in {villages} villages"
        ).format(count=reminders.household_count(rows), villages=len(by_village)),
        _(RULE).format(days=days_left_in_month(uow.clock.today())),
    ]
    blocks: list[Block] = []
    seen: set[int | None] = set()  # a person in two villages gets their buttons once
    for village_rows in by_village.values():
        village = village_rows[0].household.village
        count = reminders.household_count(village_rows)
        heading = _("🏘 {village} ({count})").format(village=village.name, count=count)
        blocks.append(Block(["", heading], []))
        blocks += _people_blocks(village_rows, seen)
    foot = _how_to()
    if any(entry.person is None for entry in rows):
        foot.append(_("Households without a contact person need one assigned today."))
    return _messages(head, blocks, foot)
