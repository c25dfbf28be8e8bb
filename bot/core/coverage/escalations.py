"""Acting on an escalation (催办): the village list (27th) and the town list (last day) name
each contact person with households left; the reader opens one person's households, or
reminds that person now with one private nudge.

Who may: the town office for the whole town, a village admin for their own village. A nudge
goes out at most once per contact person and day (whoever asks), and is audited.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.clock import Month
from bot.config import Settings
from bot.core.coverage import reminders
from bot.core.delivery.kinds import MessageKind
from bot.core.delivery.outbox import PersonAudience, queue
from bot.core.delivery.timing import in_quiet_hours
from bot.core.policy import Act, Actor, require
from bot.domain.model import Role
from bot.errors import Conflict, NotAllowed
from bot.i18n import N_
from bot.storage.models import Household, Person
from bot.storage.uow import App, UnitOfWork

NOBODY = 0  # in callback data: the households without a contact person
NOT_YOURS = N_("Only the town office, or the village's admin for their village, can do this.")
NOTHING_LEFT = N_("Nothing left: every household of this contact person is contacted this month.")


@dataclass(frozen=True)
class PersonBacklog:
    """One contact person's households not yet contacted this month, in the reader's scope."""

    person: Person | None  # None: households without a contact person
    households: list[Household]
    month: Month
    waits_for_morning: bool = False  # a reminder asked for in the quiet hours goes out at their end


def can_be_reminded(person: Person) -> bool:
    """Whether the bot can write to this contact person: on the roster, opened their
    invitation, and not found blocked since. The others get no 🔔 (a 🔗 new link, or a call)."""
    return (
        person.active and person.telegram_user_id is not None and person.unreachable_since is None
    )


def scope_village(actor: Actor) -> int | None:
    """The village the actor escalates for (None: the office's whole town, `in_reach`);
    NotAllowed otherwise."""
    require(actor, Act.ESCALATE)
    if actor.role == Role.TOWN_OFFICE:
        return None
    if actor.village_id is None:  # a village admin without a village oversees nothing
        raise NotAllowed(NOT_YOURS)
    return actor.village_id


async def _backlog(uow: UnitOfWork, actor: Actor, person_id: int) -> PersonBacklog:
    month = uow.clock.this_month()
    rows = await reminders.uncontacted(uow, month, village_id=scope_village(actor), reach=actor)
    wanted = None if person_id == NOBODY else person_id
    households = [
        row.household for row in rows if (row.person.id if row.person else None) == wanted
    ]
    person = await uow.session.get(Person, person_id) if wanted is not None else None
    if wanted is not None and (person is None or not households):
        # A person out of the reader's scope and one with nothing left read the same: the ids
        # come from a button, and the answer must not tell who holds what elsewhere.
        raise Conflict(NOTHING_LEFT)
    return PersonBacklog(person, households, month)


async def person_backlog(app: App, actor: Actor, person_id: int) -> PersonBacklog:
    """The person's households left this month, within what the actor oversees."""
    async with app.uow() as uow:
        return await _backlog(uow, actor, person_id)


async def remind_now(app: App, actor: Actor, person_id: int) -> PersonBacklog:
    """Queue one private reminder to the contact person listing their households left (in the
    actor's scope): sent at once by day, at the end of the quiet hours by night (the backlog
    says which). Conflict when they were reminded today already or cannot be reached."""
    settings: Settings = app.settings
    async with app.uow() as uow:
        backlog = await _backlog(uow, actor, person_id)
        person = backlog.person
        if person is None:
            raise Conflict(N_("These households have no contact person to remind."))
        if not person.active or person.telegram_user_id is None:
            raise Conflict(
                N_(
                    "This contact person has not opened their invitation link yet, so the bot "
                    "cannot remind them. Please send them a new link."
                )
            )
        if person.unreachable_since is not None:
            raise Conflict(
                N_(
                    "The bot cannot reach this contact person (they blocked it). "
                    "Please call them, or reassign their households."
                )
            )
        today = uow.clock.today()
        # By day it jumps the queue ("now"); at night it waits like every other reminder.
        quiet = in_quiet_hours(settings, uow.clock.now())
        queued = await queue(
            uow,
            settings,
            PersonAudience(person.id),
            f"nudge:person:{person.id}:{today.isoformat()}",
            MessageKind.CONTACT_DIGEST,
            {
                "person_id": person.id,
                "month": str(backlog.month),
                "step": "nudge",
                "household_ids": [household.id for household in backlog.households],
                "nudged_by": actor.name,
            },
            urgent=not quiet,
        )
        if not queued:
            raise Conflict(
                N_("{name} was already reminded today. One reminder a day is enough."),
                name=person.name,
            )
        uow.audit_by(
            actor,
            "person",
            person.id,
            "reminded",
            {"month": str(backlog.month), "households": len(backlog.households)},
        )
        await uow.commit()
    return replace(backlog, waits_for_morning=quiet)
