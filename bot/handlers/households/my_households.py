"""🏠 My households: the paged list, searching by typing part of a name, the household card."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from aiogram import F, Router
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message

from bot.core.households.my_households import (
    HouseholdCard,
    HouseholdLine,
    HouseholdPage,
    household_card,
    household_name,
    list_households,
)
from bot.core.policy import Actor, duties_of
from bot.domain.model import HouseholdStatus, Role
from bot.domain.problems import problem_wording
from bot.errors import DomainError
from bot.handlers.dialogs import replace_pressed
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages.keyboards import (
    LOG_CONTACT,
    MY_HOUSEHOLDS,
    HouseholdAct,
    HouseholdAction,
    LogPage,
    Page,
    inline_grid,
    main_menu,
    pager,
)
from bot.storage.uow import App
from bot.telegram.filters import MenuButton
from bot.text_preview import IN_LIST, preview

# A search rides in the ◀ ▶ buttons' callback data (64 bytes at most). No head's name or
# 户编号 is this long, so longer text cannot match and is answered without a query.
SEARCH_MAX_BYTES = 40
# The limit as people are told it: Chinese characters take 3 bytes, so 13 always fit.
SEARCH_MAX_CHARS = SEARCH_MAX_BYTES // 3
SEARCH_ECHO_CHARS = 30
REPORT_RISK = N_("🚩 Report a risk")
HOUSEHOLD_HISTORY = N_("📜 Household history")


def household_label(line: HouseholdLine) -> str:
    """A household button: this month's status, then its name."""
    return f"{line.status_marks} {household_name(line)}"


def no_households_text() -> str:
    return _(
        "No households are assigned to you yet. The town office assigns them; "
        "please ask them if this is wrong."
    )


async def told_none_are_theirs(message: Message, app: App, actor: Actor, total: int) -> bool:
    """True once someone with no households of their own (`total` 0) is told so: a contact
    person asks the town office; the town office or a village admin (with an old keyboard,
    or typing) is shown their own buttons."""
    if total:
        return False
    if actor.role == Role.CONTACT:
        await message.answer(no_households_text())
        return True
    await message.answer(
        _("You have no households of your own to contact. Your work is on the buttons below."),
        reply_markup=main_menu(await duties_of(app, actor)),
    )
    return True


def _echo(search: str) -> str:
    return search if len(search) <= SEARCH_ECHO_CHARS else search[:SEARCH_ECHO_CHARS] + "…"


def render_page(page: HouseholdPage) -> tuple[str, InlineKeyboardMarkup]:
    where = {"page": page.page + 1, "pages": page.pages, "total": page.total}
    if page.search:
        heading = _("🔍 Your households matching “{search}”: {total} (page {page} of {pages})")
        heading = heading.format(search=_echo(page.search), **where)
    else:
        heading = _("🏠 Your households: {total} (page {page} of {pages})").format(**where)
    text = "\n".join(
        (
            heading,
            _("⏳ not contacted yet this month · ✅ contacted · 🚩 open risk"),
            _("Tap a household to open its card. To search, type part of a name."),
        )
    )
    return text, household_buttons(page, HouseholdAct.CARD, Page)


def household_buttons(
    page: HouseholdPage, act: HouseholdAct, page_press: type[Page | LogPage]
) -> InlineKeyboardMarkup:
    """A page of households as buttons that `act` on one, and ◀ ▶ below them carrying the
    search along (`page_press`: the list's own page buttons)."""
    buttons = [
        (household_label(line), HouseholdAction(action=act, household_id=line.household_id))
        for line in page.lines
    ]
    search = page.search or ""
    footer = pager(page.page, page.pages, lambda number: page_press(page=number, search=search))
    return inline_grid(buttons, footer=footer)


def listing(items: Iterable[str]) -> str:
    """Items joined as the reader's language lists them (、 in Chinese)."""
    return _(", ").join(items)


def findings(problems: Iterable[str]) -> str:
    """What a contact found: the guarantees with a problem, or that all six were fine."""
    wordings = [problem_wording(problem) for problem in problems]
    if not wordings:
        return _("all six fine")
    return _("problems found ({guarantees})").format(guarantees=listing(wordings))


def _money(amount: Decimal) -> str:
    text = f"{amount:,.2f}"
    return text[:-3] if text.endswith(".00") else text


def _day(day: date) -> str:
    return day.isoformat()


def render_card(card: HouseholdCard) -> tuple[str, InlineKeyboardMarkup]:
    group = f" {card.group_name}" if card.group_name else ""
    lines = [
        f"🏠 {card.head_name} · {card.village_name}{group}",
        _("Household number: {number}").format(number=card.number),
        _("Category: {category}").format(category=card.category.label),
        _("Members: {members}").format(members=card.members),
    ]
    if card.income is None:
        lines.append(_("Income per person: not recorded"))
    elif card.income_measured_on is None:
        lines.append(
            _("Income per person: {income} yuan a year").format(income=_money(card.income))
        )
    else:
        lines.append(
            _("Income per person: {income} yuan a year (as of {day})").format(
                income=_money(card.income), day=_day(card.income_measured_on)
            )
        )
    lines.append(_("ID number: {id_number}").format(id_number=card.masked_id_number))
    lines.append(_("Phone: {phone}").format(phone=card.phone or _("none on record")))
    lines.append(
        _("Contact person: {names}").format(
            names=listing(card.contact_persons) or _("none assigned")
        )
    )
    if card.status != HouseholdStatus.MONITORED:
        lines.append(_("Status: {status}").format(status=card.status.label))
    lines.append(
        _("This month: ✅ contacted") if card.contacted_this_month else _("This month: ⏳ not yet")
    )
    lines.append("")
    if card.recent_contacts:
        lines.append(_("Last contacts:"))
        for contact in card.recent_contacts:
            lines.append(
                _("• {day} {channel}: {found}").format(
                    day=_day(contact.occurred_on),
                    channel=contact.channel.label,
                    found=findings(contact.problems),
                )
            )
    else:
        lines.append(_("No contacts recorded yet."))
    if card.open_flags:
        lines.append("")
        lines.append(_("🚩 Open risks:"))
        for flag in card.open_flags:
            lines.append(
                _("• {day} {reason} ({status})").format(
                    day=_day(flag.raised_on),
                    reason=preview(flag.reason, IN_LIST, one_line=True),
                    status=flag.status.label,
                )
            )
        if card.more_open_flags:
            lines.append(_("…and {count} more").format(count=card.more_open_flags))
    buttons = []
    if card.actor_is_contact_person:
        buttons.append(
            (
                _(LOG_CONTACT),
                HouseholdAction(action=HouseholdAct.LOG, household_id=card.household_id),
            )
        )
    buttons.append(
        (_(REPORT_RISK), HouseholdAction(action=HouseholdAct.RISK, household_id=card.household_id))
    )
    # Every flag with its steps, the assistance plan, roster changes (households/history.py).
    buttons.append(
        (
            _(HOUSEHOLD_HISTORY),
            HouseholdAction(action=HouseholdAct.HISTORY, household_id=card.household_id),
        )
    )
    return "\n".join(lines), inline_grid(buttons, columns=2)


async def show_card(message: Message, app: App, actor: Actor, household_id: int) -> None:
    text, markup = render_card(await household_card(app, actor, household_id))
    await message.answer(text, reply_markup=markup)


async def my_households(message: Message, app: App, actor: Actor) -> None:
    # A form open at the press was ended before routing (dialogs.MenuPressLeavesForm).
    page = await list_households(app, actor)
    if await told_none_are_theirs(message, app, actor, page.total):
        return
    text, markup = render_page(page)
    await message.answer(text, reply_markup=markup)


async def turn_page(query: CallbackQuery, callback_data: Page, app: App, actor: Actor) -> None:
    page = await list_households(
        app, actor, page=callback_data.page, search=callback_data.search or None
    )
    await query.answer()
    if page.total == 0:
        await replace_pressed(query, no_households_text(), None)
        return
    await replace_pressed(query, *render_page(page))


async def open_card(
    query: CallbackQuery, callback_data: HouseholdAction, app: App, actor: Actor
) -> None:
    try:
        text, markup = render_card(await household_card(app, actor, callback_data.household_id))
    except DomainError as error:
        await query.answer(error.render(), show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(text, reply_markup=markup)


def build_router() -> Router:
    router = Router(name="households")
    router.message.register(my_households, MenuButton(MY_HOUSEHOLDS))
    router.callback_query.register(turn_page, Page.filter())
    router.callback_query.register(open_card, HouseholdAction.filter(F.action == HouseholdAct.CARD))
    return router
