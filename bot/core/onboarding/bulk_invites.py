"""Inviting everyone not yet joined at once (批量邀请): one row per person, with a link to hand
out, instead of one `bangfu invite` per person.

Who: active people of the role (contact persons by default), in one village if asked, who have
no Telegram account bound yet (the first-start admin is left to its own link).

Re-running reissues only what needs it. A code is a secret stored as its hash, so a link
cannot be shown twice; therefore:
- a person whose last link expired, or who never had one, gets a new link;
- a person whose last link is unused and still valid keeps it (it may be on its way to them
  already, and replacing it would break the one they hold): their row says until when it
  works, without a link. `renew=True` replaces those links too (the sheet was lost).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select

from bot.core.free_text import optional_text
from bot.core.onboarding.first_start import FIRST_ADMIN_NAME
from bot.core.onboarding.invites import invite_link, issue_code, village_named
from bot.core.policy import Act, Actor, in_reach, person_in_reach, require
from bot.domain.model import Role
from bot.domain.text_rules import NAME_MAX_CHARS
from bot.errors import NotFound
from bot.i18n import N_
from bot.storage.batches import DEFAULT_BATCH_SIZE, batches
from bot.storage.models import Invite, Person, Village
from bot.storage.uow import App, UnitOfWork


class InviteState(StrEnum):
    NEW = "new"  # never had a link
    RENEWED = "renewed"  # the last link expired (or was replaced on request)
    STILL_VALID = "still_valid"  # the last link is unused and still works: kept, not shown


@dataclass(frozen=True)
class InviteRow:
    person_id: int
    name: str
    phone: str | None
    village: str | None
    role: Role
    state: InviteState
    expires_at: datetime
    link: str | None  # None when the still-valid link is kept


@dataclass(frozen=True)
class BulkInvites:
    role: Role
    village: str | None  # None: the whole town
    village_id: int | None
    rows: list[InviteRow]

    @property
    def issued(self) -> int:
        return sum(row.link is not None for row in self.rows)

    @property
    def kept(self) -> int:
        return sum(row.link is None for row in self.rows)


async def invite_everyone_not_joined(
    app: App,
    actor: Actor,
    bot_username: str,
    role: Role | str = Role.CONTACT,
    village: str | None = None,
    renew: bool = False,
    village_id: int | None = None,
) -> BulkInvites:
    """Links for every active person of `role` (in `village`, by name or id) not yet on
    Telegram: new ones for those without a working link, and with `renew` for everyone.
    One transaction."""
    require(actor, Act.INVITE)
    role = Role(role)
    village = optional_text(village, NAME_MAX_CHARS, one_line=True)
    async with app.uow() as uow:
        place = None
        if village_id is not None:  # from a button: another town's village reads as none
            query = select(Village).where(Village.id == village_id, in_reach(actor, Village.id))
            place = (await uow.session.execute(query)).scalar_one_or_none()
        if village_id is not None and place is None:
            raise NotFound(N_("There is no such village."))
        if village is not None:
            place, _created = await village_named(uow, actor, village, create=False)
        people = await _not_joined(uow, actor, role, place.id if place else None)
        ids = [person.id for person in people]
        valid, invited_before = await _working_links(uow, ids), await _invited_before(uow, ids)
        rows = []
        for person in people:
            kept = valid.get(person.id)
            if kept is not None and not renew:
                rows.append(_row(person, InviteState.STILL_VALID, kept, None))
                continue
            code, expires_at = await issue_code(
                uow, actor, person, Role(person.role), app.settings.invite_ttl_days
            )
            state = InviteState.RENEWED if person.id in invited_before else InviteState.NEW
            rows.append(_row(person, state, expires_at, invite_link(bot_username, code)))
        await uow.commit()
    return BulkInvites(
        role=role,
        village=place.name if place else None,
        village_id=place.id if place else None,
        rows=rows,
    )


async def _not_joined(
    uow: UnitOfWork, actor: Actor, role: Role, village_id: int | None
) -> list[Person]:
    query = (
        select(Person)
        .where(
            person_in_reach(actor),
            Person.role == role,
            Person.active.is_(True),
            Person.telegram_user_id.is_(None),
            Person.name != FIRST_ADMIN_NAME,
        )
        .order_by(Person.village_id, Person.name, Person.id)
    )
    if village_id is not None:
        query = query.where(Person.village_id == village_id)
    return list((await uow.session.execute(query)).unique().scalars())


async def _working_links(uow: UnitOfWork, person_ids: list[int]) -> dict[int, datetime]:
    """When each person's unused, still valid link expires (a new link withdraws the older,
    so there is at most one)."""
    expiries: dict[int, datetime] = {}
    now = uow.clock.now()
    for batch in batches(person_ids, DEFAULT_BATCH_SIZE):
        query = select(Invite.person_id, Invite.expires_at).where(
            Invite.person_id.in_(batch), Invite.used_at.is_(None), Invite.expires_at > now
        )
        for person_id, expires_at in await uow.session.execute(query):
            expiries[person_id] = max(expires_at, expiries.get(person_id, expires_at))
    return expiries


async def _invited_before(uow: UnitOfWork, person_ids: list[int]) -> set[int]:
    invited: set[int] = set()
    for batch in batches(person_ids, DEFAULT_BATCH_SIZE):
        query = select(Invite.person_id).where(Invite.person_id.in_(batch)).distinct()
        invited.update((await uow.session.execute(query)).scalars())
    return invited


def _row(person: Person, state: InviteState, expires_at: datetime, link: str | None) -> InviteRow:
    return InviteRow(
        person_id=person.id,
        name=person.name,
        phone=person.phone,
        village=person.village.name if person.village else None,
        role=Role(person.role),
        state=state,
        expires_at=expires_at,
        link=link,
    )
