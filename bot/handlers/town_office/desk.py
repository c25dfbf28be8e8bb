"""The town office's desk in the bot: /office lists it all; the provincial platform's red-flag
list sent as a document; /find any household; /unassigned households and reassigning them
(with a confirm screen); /deactivate a contact person. The services check every role."""

from __future__ import annotations

import asyncio
import re
import tempfile
from pathlib import Path

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, Message

from bot.core.delivery import office_group
from bot.core.flags.platform_list import PlatformImportReport, PlatformRow, import_platform_flags
from bot.core.households.history import find_households
from bot.core.households.my_households import household_name
from bot.core.policy import Actor, Duty, duties_of
from bot.core.roster import changes as roster_changes
from bot.core.roster.columns import Table
from bot.core.roster.rows import RowsRejected
from bot.documents.roster_sheet import read_platform_list
from bot.domain.model import Role
from bot.errors import DomainError
from bot.handlers.dialogs import replace_pressed, unless_refused
from bot.handlers.households.history import offer_found
from bot.handlers.town_office.invites import invite_all_button
from bot.i18n import N_, join_list
from bot.i18n import gettext as _
from bot.messages.keyboards import HouseholdAct, HouseholdAction, RowId, inline_grid
from bot.messages.menus import office_text
from bot.messages.rendering import split_text
from bot.ops.backup import human_size
from bot.storage.uow import App

SPREADSHEETS = (".xlsx", ".csv")
MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # a town's monthly list is far smaller
LIST_LIMIT = 40
ROW_LINE = N_("Row {row}: {value}")
UNSAFE_IN_FILE_NAME = re.compile(r"[^\w-]+")  # \w takes Chinese characters too


class ReassignPick(CallbackData, prefix="ra"):
    household_id: RowId
    person_id: RowId
    confirmed: bool = False


class DeactivatePick(CallbackData, prefix="dp"):
    person_id: RowId


class OfficeCancel(CallbackData, prefix="oc"):
    pass


async def office_help(message: Message, app: App, actor: Actor) -> None:
    duties = await duties_of(app, actor)
    text = office_text(duties)
    if text is None:
        await message.answer(_("These commands are for the town office and village admins."))
        return
    if Duty.TOWN_OFFICE not in duties:
        await message.answer(text)
        return
    # The town office also sees which group is its desk and where that was set, and invites
    # everyone not yet joined with one button.
    group = office_group.describe(await office_group.resolve_now(app), app.settings.tz)
    await message.answer(f"{text}\n\n{group}", reply_markup=inline_grid([invite_all_button()]))


async def platform_list(message: Message, app: App, actor: Actor, bot: Bot) -> None:
    document = message.document
    assert document is not None
    name = document.file_name or "list.xlsx"
    if not name.lower().endswith(SPREADSHEETS):
        if message.chat.type == "private":
            await message.answer(_("Please send the list as an .xlsx or .csv file."))
        return
    if (document.file_size or 0) > MAX_UPLOAD_BYTES:  # refused before it is downloaded
        await message.answer(
            _(
                "That file is {size}: a red-flag list may be at most {limit}. Nothing was read."
            ).format(size=human_size(document.file_size or 0), limit=human_size(MAX_UPLOAD_BYTES))
        )
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / _local_name(name)
        try:
            table: Table = []  # others are refused by the service, their file unread
            if actor.role == Role.TOWN_OFFICE:
                await bot.download(document, destination=path)
                # In a thread: a long file must not hold up everyone else's answers meanwhile.
                table = await asyncio.to_thread(read_platform_list, path)
            report = await import_platform_flags(app, actor, table)
        except TelegramAPIError:
            await message.answer(
                _("The file could not be downloaded from Telegram. Please send it again.")
            )
            return
        except RowsRejected as rejected:
            lines = [rejected.render(), *(problem.line() for problem in rejected.problems)]
            for text in split_text(lines):
                await message.answer(text)
            return
        except DomainError as error:
            await message.answer(error.render())
            return
    for text in split_text(_report_lines(report)):
        await message.answer(text)


def _local_name(name: str) -> str:
    """The sent file's own name (the reader's messages quote it), made safe as a file name in
    a temporary folder: no folders, no dots or symbols that could mean one."""
    sent = Path(name)
    return (UNSAFE_IN_FILE_NAME.sub("_", sent.stem)[:60] or "list") + sent.suffix.lower()


def _report_lines(report: PlatformImportReport) -> list[str]:
    def rows(found: list[PlatformRow]) -> list[str]:
        return [
            "  " + _(ROW_LINE).format(row=row.row_number, value=row.household or row.value)
            for row in found
        ]

    if report.flagged:
        heading = _(
            "📥 Platform red-flag list: {flagged} households flagged, the town office is alerted."
        ).format(flagged=len(report.flagged))
    else:  # nothing happened: say so, claim no alert
        heading = _("📥 Platform red-flag list: no household newly flagged, so no alert was sent.")
    lines = [heading, *rows(report.flagged)]
    if report.already_open:
        lines.append(
            _("Already open, not flagged again: {count}").format(count=len(report.already_open))
        )
        lines += rows(report.already_open)
    if report.unknown:
        lines.append(_("Not found (check the number): {count}").format(count=len(report.unknown)))
        lines += rows(report.unknown)
    return lines


async def find(message: Message, command: CommandObject, app: App, actor: Actor) -> None:
    found = await find_households(app, actor, command.args or "")
    if not found:
        await message.answer(
            _("No household found. Type /find and part of a name or of the household number.")
        )
        return
    await offer_found(message, app, actor, found)


async def unassigned(message: Message, app: App, actor: Actor) -> None:
    try:
        households = await roster_changes.unassigned_households(app, actor)
    except DomainError as error:
        await message.answer(error.render())
        return
    if not households:
        await message.answer(_("Every monitored household has a contact person. 👍"))
        return
    buttons = [
        (
            f"👤 {household.village.name} {household_name(household)}",
            HouseholdAction(action=HouseholdAct.REASSIGN, household_id=household.id),
        )
        for household in households[:LIST_LIMIT]
    ]
    await message.answer(
        _("Households without a contact person: {count}. Tap one to assign someone.").format(
            count=len(households)
        ),
        reply_markup=inline_grid(buttons, columns=2),
    )


async def _reassignment(
    app: App, actor: Actor, household_id: int
) -> tuple[roster_changes.Reassignment, list[roster_changes.Assignable]]:
    """The household about to get a new contact person, and who may become it."""
    subject = await roster_changes.reassignment_of(app, actor, household_id)
    return subject, await roster_changes.assignable_people(app, actor, household_id)


async def choose_person(
    query: CallbackQuery, callback_data: HouseholdAction, app: App, actor: Actor
) -> None:
    choice = await unless_refused(query, _reassignment(app, actor, callback_data.household_id))
    if choice is None:
        return
    subject, people = choice
    await query.answer()
    if not isinstance(query.message, Message):
        return
    if not people:
        await query.message.answer(_("This village has no active contact person to assign."))
        return
    buttons = [
        (
            _("{name} ({count} households)").format(name=person.name, count=person.households),
            ReassignPick(household_id=callback_data.household_id, person_id=person.person_id),
        )
        for person in people
    ]
    if subject.current:
        question = _("Who will be the contact person of {household}? Now: {current}.")
    else:
        question = _("Who will be the contact person of {household}? It has none now.")
    await query.message.answer(
        question.format(household=subject.household, current=join_list(subject.current)),
        reply_markup=inline_grid(buttons, columns=2, footer=[(_("✖️ Cancel"), OfficeCancel())]),
    )


async def confirm_reassign(
    query: CallbackQuery, callback_data: ReassignPick, app: App, actor: Actor
) -> None:
    try:
        plan = await roster_changes.check_reassignment(
            app, actor, callback_data.household_id, callback_data.person_id
        )
    except DomainError as error:
        await query.answer(error.render(), show_alert=True)
        return
    await query.answer()
    buttons = [
        (_("✅ Reassign"), ReassignPick(**{**callback_data.model_dump(), "confirmed": True})),
        (_("✖️ Cancel"), OfficeCancel()),
    ]
    assert plan.person is not None
    if plan.current:
        question = _(
            "Make {person} the contact person of {household}? {current} will no longer be "
            "responsible for it from now on."
        )
    else:
        question = _("Make {person} the contact person of {household}?")
    text = question.format(
        person=plan.person.name, household=plan.household, current=join_list(plan.current)
    )
    await replace_pressed(query, text, inline_grid(buttons, columns=2))


async def reassign(
    query: CallbackQuery, callback_data: ReassignPick, app: App, actor: Actor
) -> None:
    person = await unless_refused(
        query,
        roster_changes.reassign(app, actor, callback_data.household_id, callback_data.person_id),
    )
    if person is None:
        return
    await query.answer()
    await replace_pressed(
        query, _("✅ Reassigned: {name} is now the contact person.").format(name=person.name), None
    )


async def ask_deactivate(message: Message, command: CommandObject, app: App, actor: Actor) -> None:
    try:
        roster_changes.town_office_only(actor)
    except DomainError as error:
        await message.answer(error.render())
        return
    try:
        person = await roster_changes.find_person(app, command.args or "")
    except DomainError as error:
        await message.answer(error.render() + "\n" + _("Type /deactivate and the person's name."))
        return
    buttons = [
        (_("✅ Deactivate"), DeactivatePick(person_id=person.id)),
        (_("✖️ Cancel"), OfficeCancel()),
    ]
    if person.telegram_user_id is None:
        question = _(
            "Deactivate {name} ({phone})? This contact person never opened their invitation "
            "link; the links sent stop working, and the households become unassigned until "
            "you reassign them."
        )
    else:
        question = _(
            "Deactivate {name} ({phone})? This contact person can no longer use the bot, and "
            "the households become unassigned until you reassign them."
        )
    await message.answer(
        question.format(name=person.name, phone=person.phone or "—"),
        reply_markup=inline_grid(buttons, columns=2),
    )


async def deactivate(
    query: CallbackQuery, callback_data: DeactivatePick, app: App, actor: Actor
) -> None:
    person_id = callback_data.person_id
    freed = await unless_refused(query, roster_changes.deactivate_person(app, actor, person_id))
    if freed is None:
        return
    await query.answer()
    if not freed:
        await replace_pressed(query, _("✅ Deactivated. They had no households."), None)
        return
    names = join_list(household_name(household) for household in freed)
    buttons = [
        (
            "👤 " + household_name(household),
            HouseholdAction(action=HouseholdAct.REASSIGN, household_id=household.id),
        )
        for household in freed
    ]
    # Every freed household gets its button: LIST_LIMIT under this message, more below it.
    keyboards = [
        inline_grid(buttons[start : start + LIST_LIMIT], columns=2)
        for start in range(0, len(buttons), LIST_LIMIT)
    ]
    await replace_pressed(
        query,
        _(
            "✅ Deactivated. Households now without a contact person: {count} ({names}).\n"
            "Tap a household to give it a new contact person."
        ).format(count=len(freed), names=names),
        keyboards[0],
    )
    if isinstance(query.message, Message):
        for keyboard in keyboards[1:]:
            await query.message.answer(_("More households to reassign:"), reply_markup=keyboard)


async def cancelled(query: CallbackQuery, actor: Actor) -> None:
    try:  # only the town office may close its roster screens (callback data is forgeable)
        roster_changes.town_office_only(actor)
    except DomainError as error:
        await query.answer(error.render(), show_alert=True)
        return
    await query.answer()
    await replace_pressed(query, _("Cancelled. Nothing was changed."), None)


def build_router() -> Router:
    router = Router(name="town_office")
    router.message.register(office_help, Command("office"))
    router.message.register(platform_list, F.document)
    router.message.register(find, Command("find"))
    router.message.register(unassigned, Command("unassigned"))
    router.callback_query.register(
        choose_person, HouseholdAction.filter(F.action == HouseholdAct.REASSIGN)
    )
    router.callback_query.register(confirm_reassign, ReassignPick.filter(~F.confirmed))
    router.callback_query.register(reassign, ReassignPick.filter(F.confirmed))
    router.message.register(ask_deactivate, Command("deactivate"))
    router.callback_query.register(deactivate, DeactivatePick.filter())
    router.callback_query.register(cancelled, OfficeCancel.filter())
    return router
