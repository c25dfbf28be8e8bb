"""Routers, one per user task. Onboarding is open to anyone; every other router sits behind
the `Registered` filter, and whatever is left falls to the polite gate at the end."""

from __future__ import annotations

from aiogram import Router

from bot.handlers import (
    contact_log,
    corrections,
    flag_alerts,
    flag_steps,
    gate,
    household_history,
    households,
    measure_form,
    menu,
    month,
    onboarding,
    reports,
    risk,
    roster_forms,
    town_office,
)
from bot.handlers.filters import Registered


def build_router() -> Router:
    root = Router(name="root")
    root.include_router(onboarding.router)

    members = Router(name="members")
    members.message.filter(Registered())
    members.callback_query.filter(Registered())
    # Order matters: forms first, so text typed inside a form reaches the form's step.
    members.include_routers(
        contact_log.router,
        risk.router,
        corrections.router,
        households.router,
        month.router,
        # Alert buttons are pressed in the town office's group too, by registered people.
        flag_alerts.router,
        # The town office's work: flag removal, measures, roster changes, platform list.
        measure_form.router,
        roster_forms.router,
        flag_steps.router,
        household_history.router,
        town_office.router,
        # /summary and /export forms, in the town office's chat.
        reports.router,
        menu.router,
    )
    root.include_router(members)
    root.include_router(gate.router)
    return root
