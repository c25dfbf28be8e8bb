"""Routers, one per user task. Onboarding is open to anyone; every other router sits behind
the `Registered` filter, and whatever is left falls to the polite gate at the end.

The town office's group sees only the office's work (alerts, flag steps, reports, the
platform list), and only the town office's: a person's own households, forms and reply
keyboard belong in their private chat, where colleagues in the group do not read along. Any
other group gets no office work at all (chat_scope.py)."""

from __future__ import annotations

from aiogram import F, Router

from bot.handlers import (
    contact_log,
    corrections,
    flag_alerts,
    flag_steps,
    gate,
    household_history,
    households,
    invites,
    measure_form,
    menu,
    month,
    office_group,
    onboarding,
    reports,
    risk,
    roster_forms,
    town_office,
)
from bot.handlers.chat_scope import OfficeChatsOnly
from bot.handlers.filters import Registered

IN_PRIVATE = F.chat.type == "private"
PRESSED_IN_PRIVATE = F.message.chat.type == "private"


def build_router() -> Router:
    root = Router(name="root")
    # Setting the office's group is answered for anyone: the service decides who may.
    root.include_router(office_group.router)
    root.include_router(onboarding.router)

    members = Router(name="members")
    members.message.filter(Registered())
    members.callback_query.filter(Registered())

    # A person's own work: their buttons are only ever sent to their private chat.
    personal = Router(name="personal")
    personal.message.filter(IN_PRIVATE)
    personal.callback_query.filter(PRESSED_IN_PRIVATE)
    # Order matters: forms first, so text typed inside a form reaches the form's step.
    personal.include_routers(
        contact_log.router,
        risk.router,
        corrections.router,
        households.router,
        month.router,
    )

    # The town office's work, in its group as well as in private: alert buttons, flag removal,
    # measures, roster changes, /find, the platform list, /summary and /export. Whatever
    # matched here is first checked against the chat it would be answered in.
    office = Router(name="office")
    office.message.middleware(OfficeChatsOnly())
    office.callback_query.middleware(OfficeChatsOnly())
    office.include_routers(
        flag_alerts.router,
        measure_form.router,
        roster_forms.router,
        flag_steps.router,
        household_history.router,
        town_office.router,
        reports.router,
        invites.router,
    )

    # Help, language and the reply keyboard are the person's own; its catch-all for stale
    # buttons stays open everywhere, so an old button in the group still gets an answer.
    own_menu = Router(name="own_menu")
    own_menu.message.filter(IN_PRIVATE)
    own_menu.include_router(menu.router)

    members.include_routers(personal, office, own_menu)
    root.include_router(members)
    root.include_router(gate.router)
    return root
