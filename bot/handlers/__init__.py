"""Routers, one per user task. Onboarding is open to anyone; every other router sits behind
the `Registered` filter, and whatever is left falls to the polite gate at the end.

The town office's group sees only the office's work (alerts, flag steps, reports, the
platform list), and only the town office's: a person's own households, forms and reply
keyboard belong in their private chat, where colleagues in the group do not read along. Any
other group gets no office work at all (chat_scope.py)."""

from __future__ import annotations

from aiogram import F, Router

from bot.handlers.contacts import contact_log, corrections, household_picker
from bot.handlers.contacts import progress as month
from bot.handlers.dashboard import signin as dashboard_signin
from bot.handlers.dialogs import MenuPressLeavesForm
from bot.handlers.flags import alerts as flag_alerts
from bot.handlers.flags import measures as measure_form
from bot.handlers.flags import removal as flag_steps
from bot.handlers.flags import risk_report as risk
from bot.handlers.households import history as household_history
from bot.handlers.households import my_households as households
from bot.handlers.households import search as household_search
from bot.handlers.onboarding import gate, menu
from bot.handlers.onboarding import start as onboarding
from bot.handlers.reports import county as county_reports
from bot.handlers.reports import summary_and_forms as reports
from bot.handlers.roster import changes as roster_forms
from bot.handlers.town_office import buttons as desk_buttons
from bot.handlers.town_office import desk as town_office
from bot.handlers.town_office import escalations, invites, office_group
from bot.telegram.chat_scope import OfficeChatsOnly
from bot.telegram.filters import Registered

IN_PRIVATE = F.chat.type == "private"
PRESSED_IN_PRIVATE = F.message.chat.type == "private"


def build_router() -> Router:
    root = Router(name="root")
    # Setting the office's group is answered for anyone: the service decides who may.
    root.include_router(office_group.build_router())
    root.include_router(onboarding.build_router())

    members = Router(name="members")
    members.message.filter(Registered())
    members.message.outer_middleware(MenuPressLeavesForm())  # before any form sees the press
    members.callback_query.filter(Registered())

    # A person's own work: their buttons are only ever sent to their private chat.
    personal = Router(name="personal")
    personal.message.filter(IN_PRIVATE)
    personal.callback_query.filter(PRESSED_IN_PRIVATE)
    # Order matters: the menu's buttons first (the commonest press; a press inside a form has
    # left the form already), then the forms, so text typed inside a form reaches its step.
    personal.include_routers(
        households.build_router(),
        month.build_router(),
        dashboard_signin.build_router(),  # /web: a sign-in link is a secret, so private only
        household_picker.build_router(),
        contact_log.build_router(),
        risk.build_router(),
        corrections.build_router(),
        household_search.build_router(),  # last: typed text no form or button took
    )

    # The town office's work, in its group as well as in private: alert buttons, flag removal,
    # measures, roster changes, /find, the platform list, /summary and /export. Whatever
    # matched here is first checked against the chat it would be answered in.
    office = Router(name="office")
    office.message.middleware(OfficeChatsOnly())
    office.callback_query.middleware(OfficeChatsOnly())
    office.include_routers(
        desk_buttons.build_router(),  # the desk's menu buttons first, as in `personal`
        flag_alerts.build_router(),
        measure_form.build_router(),
        roster_forms.build_router(),
        flag_steps.build_router(),
        household_history.build_router(),
        town_office.build_router(),
        escalations.build_router(),
        reports.build_router(),
        county_reports.build_router(),
        invites.build_router(),
    )

    # Help, language and the reply keyboard are the person's own; its catch-all for stale
    # buttons stays open everywhere, so an old button in the group still gets an answer.
    own_menu = Router(name="own_menu")
    own_menu.message.filter(IN_PRIVATE)
    own_menu.include_router(menu.build_router())

    members.include_routers(personal, office, own_menu)
    root.include_router(members)
    root.include_router(gate.build_router())
    return root
