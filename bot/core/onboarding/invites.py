"""Invitations and onboarding (入户邀请): the town office issues a one-time link, the person
opens it in Telegram, and their account is bound to that person and role.

A code is a secret: only its SHA-256 is stored. It works once, for `invite_ttl_days`, and a
newer invite for the same person replaces the older unused ones, so only the latest link
the clerk handed out works. Accounts that guess codes are paused.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from bot.core.free_text import optional_text, required_text
from bot.core.onboarding.lockout import record_wrong_code, refuse_if_guessing
from bot.core.policy import Act, Actor, in_reach, require
from bot.core.roster.people import DEACTIVATED, add_person, describe, people_called
from bot.core.roster.towns import town_named
from bot.domain.model import Role
from bot.domain.text_rules import NAME_MAX_CHARS, PHONE_MAX_CHARS
from bot.errors import Conflict, Deactivated, DomainError, InvalidInput, NotAllowed
from bot.i18n import N_, join_list
from bot.storage.models import FIRST_TOWN_ID, Invite, Person, Village
from bot.storage.uow import App, UnitOfWork

log = logging.getLogger(__name__)

CODE_BYTES = 16  # 128 bits; token_urlsafe gives 22 characters of [A-Za-z0-9_-]
CODE_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what a Telegram deep-link payload can hold

# An invite never lowers a role: a village cadre who is also a contact person stays admin.
ROLE_RANK = {Role.CONTACT: 0, Role.VILLAGE_ADMIN: 1, Role.TOWN_OFFICE: 2, Role.COUNTY_OFFICE: 3}

WRONG_CODE = N_(
    "This invitation code is not valid. Please open the link from the town office again, "
    "exactly as you received it."
)
USED_CODE = N_(
    "This invitation link has already been used. If you need a new one, please ask the town office."
)
EXPIRED_CODE = N_("This invitation link has expired. Please ask the town office for a new link.")
OTHER_PERSON = N_(
    "This Telegram account is already registered for {name}. One account can belong to only "
    "one person. If this is wrong, please contact the town office."
)


@dataclass(frozen=True)
class IssuedInvite:
    """A fresh invite. `code` is shown once (as a link) and never stored."""

    person: Person
    code: str
    expires_at: datetime
    role: Role
    village_name: str | None = None
    new_person: bool = False
    new_village: bool = False


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def invite_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


async def create_invite(
    app: App,
    actor: Actor,
    name: str,
    role: Role | str,
    village: str | None = None,
    phone: str | None = None,
    town: str | None = None,
) -> IssuedInvite:
    """Invite the person called `name` (found in the roster, or added) to the bot as `role`.

    `phone` and `village` pick one person among namesakes. A village admin needs a village,
    which is created if the town has none by that name. `town`: the town a new person
    works for (the command line's, in a county; a town office person invites for their own).
    """
    require(actor, Act.INVITE)
    role = _role(role)
    if role == Role.COUNTY_OFFICE and not actor.county_wide:
        raise NotAllowed(N_("Only the county can invite a county office person."))
    name = required_text(name, NAME_MAX_CHARS, N_("Please give the person's name."), one_line=True)
    phone = optional_text(phone, PHONE_MAX_CHARS, one_line=True)
    village = optional_text(village, NAME_MAX_CHARS, one_line=True)
    if role == Role.VILLAGE_ADMIN and village is None:
        raise InvalidInput(N_("A village admin needs a village: add --village."))

    async with app.uow() as uow:
        town_id = None
        if town is not None:
            if not actor.county_wide:
                raise NotAllowed(N_("You can only invite people of your own town."))
            town_id = (await town_named(uow, town)).id
        place, new_village = await village_named(
            uow, actor, village, create=role == Role.VILLAGE_ADMIN
        )
        person = await _the_person_called(uow, actor, name, phone, place)
        new_person = person is None
        if person is None:
            person = await add_person(uow, actor, name, role, phone, place, town_id)
        else:
            _fill_in(uow, actor, person, phone, place)
        code, expires_at = await issue_code(uow, actor, person, role, app.settings.invite_ttl_days)
        await uow.commit()
    return IssuedInvite(
        person=person,
        code=code,
        expires_at=expires_at,
        role=role,
        village_name=place.name if place else None,
        new_person=new_person,
        new_village=new_village,
    )


async def redeem_invite(app: App, telegram_user_id: int, code: str) -> Actor:
    """Bind this Telegram account to the invited person; the invite is the authority.

    Opening the same link twice from the same account (a double delivery, a second tap) is
    a success, not an error. A deactivated person opening an old link is told that their
    account is inactive (Deactivated); only a new invite brings them back.
    """
    async with app.uow() as uow:
        now = uow.clock.now()
        await refuse_if_guessing(uow, telegram_user_id, now)
        invite = await _invite_for(uow, code)
        person = await uow.session.get(Person, invite.person_id) if invite else None
        if invite and person and _redeemed_by(invite, person, telegram_user_id):
            if not person.active:
                raise Deactivated(DEACTIVATED)
            return _actor(person)
        problem = _problem_with(invite, now)
        if problem is not None:
            record_wrong_code(uow, telegram_user_id, now)
            await uow.commit()
            if await _deactivated_account(uow, telegram_user_id):
                raise Deactivated(DEACTIVATED)
            raise problem
        assert invite is not None and person is not None
        if not await _claim(uow, invite, telegram_user_id, now):
            # Opened from two accounts (or delivered twice) at the same moment: one was first.
            await uow.session.refresh(person)
            if _redeemed_by(invite, person, telegram_user_id):
                return _actor(person)
            raise Conflict(USED_CODE)
        await _bind(uow, person, invite, telegram_user_id)
        await uow.commit()
        log.info("person %s registered with Telegram account %s", person.id, telegram_user_id)
        return _actor(person)


async def withdraw_invites(uow: UnitOfWork, person_id: int) -> None:
    """The person's unused invites stop working now (a newer one replaces them, or the
    person was deactivated: a link handed out before must not bring them back)."""
    now = uow.clock.now()
    await uow.session.execute(
        update(Invite)
        .where(Invite.person_id == person_id, Invite.used_at.is_(None), Invite.expires_at > now)
        .values(expires_at=now)
    )


def _role(value: Role | str) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidInput(
            N_("Unknown role {role}: use contact, village_admin, town_office or county_office."),
            role=value,
        ) from None


def _actor(person: Person) -> Actor:
    return Actor(
        person_id=person.id,
        name=person.name,
        role=Role(person.role),
        village_id=person.village_id,
        town_id=person.town_id,
    )


async def village_named(
    uow: UnitOfWork, actor: Actor, name: str | None, create: bool
) -> tuple[Village | None, bool]:
    """The named village; created only for a village admin invite (a new village's first
    admin), because elsewhere the village only narrows a name and a typo must not add one."""
    if name is None:
        return None, False
    village = (
        await uow.session.execute(select(Village).where(Village.name == name))
    ).scalar_one_or_none()
    if village is not None and await _village_in_reach(uow, actor, village.id):
        return village, False
    if village is not None or not create:  # another town's village reads as unknown
        known = (
            await uow.session.execute(
                select(Village.name).where(in_reach(actor, Village.id)).order_by(Village.name)
            )
        ).scalars()
        raise InvalidInput(
            N_("There is no village called {village}. Known villages: {known}."),
            village=name,
            known=join_list(known) or "-",
        )
    town_id = actor.town_id if actor.town_id is not None else FIRST_TOWN_ID
    created = Village(name=name, town_id=town_id)
    return await uow.add_audited(actor, created, "village", {"name": name}), True


async def _village_in_reach(uow: UnitOfWork, actor: Actor, village_id: int) -> bool:
    query = select(Village.id).where(Village.id == village_id, in_reach(actor, Village.id))
    return (await uow.session.execute(query)).first() is not None


async def _the_person_called(
    uow: UnitOfWork, actor: Actor, name: str, phone: str | None, village: Village | None
) -> Person | None:
    """The one person with this name that fits the phone and village given, if any."""
    candidates = await people_called(uow, name, phone, village, reach=actor)
    if len(candidates) > 1:
        raise InvalidInput(
            N_(
                "{count} people are called {name}: {people}. "
                "Add --phone or --village to say which one."
            ),
            count=len(candidates),
            name=name,
            people="; ".join(describe(person) for person in candidates),
        )
    return candidates[0] if candidates else None


def _fill_in(
    uow: UnitOfWork, actor: Actor, person: Person, phone: str | None, village: Village | None
) -> None:
    """Record the phone or village the clerk gave, where the roster had none."""
    changes: dict[str, object] = {}
    if phone and not person.phone:
        person.phone = phone
        changes["phone"] = [None, phone]
    if village is not None and person.village_id is None:
        person.village = village
        changes["village"] = [None, village.name]
    if changes:
        uow.audit_by(actor, "person", person.id, "update", changes)


async def issue_code(
    uow: UnitOfWork, actor: Actor, person: Person, role: Role, ttl_days: int
) -> tuple[str, datetime]:
    """A new code for the person; their older unused invites stop working now."""
    now = uow.clock.now()
    await withdraw_invites(uow, person.id)
    code = secrets.token_urlsafe(CODE_BYTES)
    expires_at = now + timedelta(days=ttl_days)
    invite = Invite(
        code_hash=hash_code(code),
        person_id=person.id,
        role=role,
        created_at=now,
        expires_at=expires_at,
    )
    await uow.add_audited(
        actor,
        invite,
        "invite",
        {"person_id": person.id, "role": str(role), "expires_at": expires_at.isoformat()},
    )
    return code, expires_at


async def _invite_for(uow: UnitOfWork, code: str) -> Invite | None:
    code = code.strip()
    if not CODE_SHAPE.fullmatch(code):
        return None
    query = select(Invite).where(Invite.code_hash == hash_code(code))
    return (await uow.session.execute(query)).scalar_one_or_none()


async def _deactivated_account(uow: UnitOfWork, telegram_user_id: int) -> bool:
    found = await uow.session.execute(
        select(Person.id).where(
            Person.telegram_user_id == telegram_user_id, Person.active.is_(False)
        )
    )
    return found.first() is not None


def _redeemed_by(invite: Invite, person: Person, telegram_user_id: int) -> bool:
    """This account already opened this link, and still belongs to the invited person."""
    return invite.used_by_telegram_id == telegram_user_id == person.telegram_user_id


def _problem_with(invite: Invite | None, now: datetime) -> DomainError | None:
    if invite is None:
        return InvalidInput(WRONG_CODE)
    if invite.used_at is not None:
        return Conflict(USED_CODE)
    if now >= invite.expires_at:
        return InvalidInput(EXPIRED_CODE)
    return None


async def _claim(uow: UnitOfWork, invite: Invite, telegram_user_id: int, now: datetime) -> bool:
    """Mark the invite used by this account unless another got there first.

    A conditional UPDATE rather than a read-then-write, so that of two accounts opening the
    same link at once only one UPDATE still finds it unused."""
    claimed = await uow.session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.used_at.is_(None))
        .values(used_at=now, used_by_telegram_id=telegram_user_id)
        .execution_options(synchronize_session=False)
    )
    await uow.session.refresh(invite)
    return claimed.rowcount == 1


async def _bind(uow: UnitOfWork, person: Person, invite: Invite, telegram_user_id: int) -> None:
    holder = (
        await uow.session.execute(
            select(Person).where(
                Person.telegram_user_id == telegram_user_id, Person.id != person.id
            )
        )
    ).scalar_one_or_none()
    if holder is not None and holder.active:
        raise Conflict(OTHER_PERSON, name=holder.name)
    if holder is not None:
        # Someone who left keeps no claim on the account; the invite is the authority.
        holder.telegram_user_id = None
        await uow.session.flush()
        uow.audit(
            person.id,
            person.name,
            "person",
            holder.id,
            "unbind",
            {"telegram_user_id": [telegram_user_id, None]},
        )
    before = {
        "telegram_user_id": person.telegram_user_id,
        "role": person.role,
        "active": person.active,
    }
    invited_role = Role(invite.role)
    if ROLE_RANK[invited_role] > ROLE_RANK[Role(person.role)]:
        person.role = invited_role
    person.telegram_user_id = telegram_user_id
    person.unreachable_since = None
    person.active = True
    after = {"telegram_user_id": telegram_user_id, "role": person.role, "active": True}
    actor = _actor(person)
    uow.audit(
        person.id,
        actor.label,
        "person",
        person.id,
        "register",
        {key: [before[key], after[key]] for key in after if before[key] != after[key]},
    )
    uow.audit(
        person.id, actor.label, "invite", invite.id, "use", {"telegram_user_id": telegram_user_id}
    )
