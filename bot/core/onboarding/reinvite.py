"""A new invitation link for someone who never opened theirs, issued by the town office from
the notice that says so (no command line needed): the clerk forwards the link."""

from __future__ import annotations

from bot.core.onboarding.invites import IssuedInvite, issue_code
from bot.core.policy import Act, Actor, reachable_person, require
from bot.domain.model import Role
from bot.errors import Conflict, NotFound
from bot.i18n import N_
from bot.storage.models import Person
from bot.storage.uow import App, UnitOfWork


async def reissue_invite(app: App, actor: Actor, person_id: int) -> IssuedInvite:
    """A fresh link for the person (their older links stop working). Town office only; the
    person must still be active and not yet have opened the bot."""
    async with app.uow() as uow:
        person = await _reinvitable(uow, actor, person_id)
        role = Role(person.role)
        village = person.village.name if person.village else None
        code, expires_at = await issue_code(uow, actor, person, role, app.settings.invite_ttl_days)
        await uow.commit()
    return IssuedInvite(
        person=person, code=code, expires_at=expires_at, role=role, village_name=village
    )


async def check_reissue(app: App, actor: Actor, person_id: int) -> None:
    """What `reissue_invite` checks, changing nothing: so the caller can make sure the link
    has somewhere safe to go before the old one is replaced."""
    async with app.uow() as uow:
        await _reinvitable(uow, actor, person_id)


async def _reinvitable(uow: UnitOfWork, actor: Actor, person_id: int) -> Person:
    require(actor, Act.INVITE)
    person = await reachable_person(uow, actor, person_id)  # another town's: not found
    if person is None or not person.active:
        raise NotFound(N_("This person is no longer on the roster."))
    if person.telegram_user_id is not None:
        raise Conflict(
            N_("{name} has opened the bot already: no new link is needed."), name=person.name
        )
    return person
