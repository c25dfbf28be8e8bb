"""A contact's effect on its household's income (年人均纯收入), and undoing it.

The household keeps the newest measured income. Each change a contact makes is audited with
the contact's id, so withdrawing the contact can put back the income from before it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from bot.core.policy import Actor
from bot.storage.models import AuditEntry, Contact, Household
from bot.storage.uow import UnitOfWork

INCOME_RESTORED = "contact withdrawn"  # why an income was put back, in the audit trail


def audit_text(value: Decimal | date | None) -> str | None:
    if isinstance(value, date):
        return value.isoformat()
    return None if value is None else str(value)


def update_income(
    uow: UnitOfWork, actor: Actor, household: Household, contact: Contact, income: Decimal
) -> None:
    """A newer measurement replaces the household's income; a backdated one does not. The
    audit entry names the contact, so withdrawing it can put the previous income back."""
    day = contact.occurred_on
    if household.income_measured_on is not None and household.income_measured_on > day:
        return
    before = {
        "income": audit_text(household.income),
        "income_measured_on": audit_text(household.income_measured_on),
    }
    household.income = income
    household.income_measured_on = day
    household.updated_at = uow.clock.now()
    after = {"income": audit_text(income), "income_measured_on": day.isoformat()}
    uow.audit_by(
        actor,
        "household",
        household.id,
        "update",
        {"before": before, "after": after, "contact_id": contact.id},
    )


async def restore_income(
    uow: UnitOfWork, actor: Actor, household: Household, contact: Contact
) -> None:
    """If the household's income is the one this contact set (when logged or corrected), put
    back the one from before the contact's first change."""
    entries = await uow.session.execute(
        select(AuditEntry)
        .where(
            AuditEntry.entity == "household",
            AuditEntry.entity_id == household.id,
            AuditEntry.action == "update",
        )
        .order_by(AuditEntry.id.desc())
    )
    own: list[AuditEntry] = []  # this contact's latest run of income changes, newest first
    for entry in entries.scalars():
        if "income" not in entry.changes.get("after", {}):
            continue
        if entry.changes.get("contact_id") != contact.id:
            break  # a change by someone else: an earlier one stands, a later one wins
        own.append(entry)
    if not own or audit_text(household.income) != own[0].changes["after"]["income"]:
        return  # a later measurement (or none from this contact) stands
    previous = own[-1].changes["before"]
    before = {
        "income": audit_text(household.income),
        "income_measured_on": audit_text(household.income_measured_on),
    }
    household.income = None if previous["income"] is None else Decimal(previous["income"])
    household.income_measured_on = (
        None
        if previous["income_measured_on"] is None
        else date.fromisoformat(previous["income_measured_on"])
    )
    household.updated_at = uow.clock.now()
    uow.audit_by(
        actor,
        "household",
        household.id,
        "update",
        {"before": before, "after": previous, "reason": INCOME_RESTORED},
    )
