"""Sign-in to the office dashboard (办公网页): who may, how a browser gets a session, and
who a session is on each request.

Two ways in, one kind of session:
- `/web` in the bot: `issue_link` makes a one-time token (short-lived, single use; only its
  SHA-256 is stored), and opening the link calls `redeem_link`;
- inside Telegram (the Mini App): the adapter checks the init data's signature with the bot
  token, and `start_mini_app_session` finds the person by their Telegram account.

A session's secret lives only in the browser's cookie; the database keeps its SHA-256.
`actor_for_session` is asked on every request: an expired or ended session, or one whose
person was deactivated or lost an office role, is no session (deactivation ends them at once).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update

from bot.core.policy import Act, Actor, may, require
from bot.domain.model import Role
from bot.errors import NotAllowed
from bot.i18n import N_
from bot.storage.models import Person
from bot.storage.sign_in_models import WebSession, WebSignInLink
from bot.storage.uow import App, UnitOfWork

log = logging.getLogger(__name__)

TOKEN_BYTES = 32
LINK = "link"
MINI_APP = "mini_app"

# The same words whether the link never existed, was used or expired: a link is a secret.
LINK_NOT_VALID = N_(
    "This sign-in link is not valid any more (it works once, for a few minutes). "
    "Send /web to the bot for a new one."
)
NOT_AN_OFFICE_ACCOUNT = N_(
    "This Telegram account cannot use the office dashboard: it is for the town office and "
    "village admins."
)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def csrf_token(session_token: str) -> str:
    """The session's CSRF token: derived from its secret, so a page that cannot read the
    cookie cannot know it, and nothing more is stored."""
    return hashlib.sha256(b"csrf:" + session_token.encode("utf-8")).hexdigest()


def csrf_matches(session_token: str, sent: str | None) -> bool:
    return bool(sent) and hmac.compare_digest(csrf_token(session_token), sent or "")


@dataclass(frozen=True)
class NewSession:
    """A session just started: `token` goes into the cookie and is never stored."""

    token: str
    actor: Actor
    max_age_seconds: int


def _actor(person: Person) -> Actor:
    return Actor(person.id, person.name, Role(person.role), person.village_id, person.town_id)


async def issue_link(app: App, actor: Actor) -> str:
    """A one-time sign-in token for the actor (town office or village admin)."""
    require(actor, Act.USE_DASHBOARD)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = app.clock.now()
    async with app.uow() as uow:
        uow.session.add(
            WebSignInLink(
                token_hash=token_hash(token),
                person_id=actor.person_id,
                created_at=now,
                expires_at=now + timedelta(minutes=app.settings.web_link_minutes),
            )
        )
        uow.audit_by(actor, "person", actor.person_id or 0, "web_link")
        await uow.commit()
    return token


async def redeem_link(app: App, token: str) -> NewSession:
    """The link's session, once; NotAllowed for an unknown, used or expired link (logged)."""
    now = app.clock.now()
    async with app.uow() as uow:
        link = (
            await uow.session.execute(
                select(WebSignInLink).where(WebSignInLink.token_hash == token_hash(token))
            )
        ).scalar_one_or_none()
        if link is None or link.used_at is not None or link.expires_at <= now:
            log.warning(
                "refused: web sign-in link %s",
                "unknown" if link is None else ("reused" if link.used_at else "expired"),
            )
            raise NotAllowed(LINK_NOT_VALID)
        # Claimed by a conditional update: two tabs opening the link at once get one session.
        claimed = await uow.session.execute(
            update(WebSignInLink)
            .where(WebSignInLink.id == link.id, WebSignInLink.used_at.is_(None))
            .values(used_at=now)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            log.warning("refused: web sign-in link reused at once")
            raise NotAllowed(LINK_NOT_VALID)
        person = await uow.session.get(Person, link.person_id)
        started = await _start(uow, app, person, LINK)
        await uow.commit()
        return started


async def start_mini_app_session(app: App, telegram_user_id: int) -> NewSession:
    """A session for the Telegram account whose init data the adapter has checked."""
    async with app.uow() as uow:
        person = (
            await uow.session.execute(
                select(Person).where(Person.telegram_user_id == telegram_user_id)
            )
        ).scalar_one_or_none()
        started = await _start(uow, app, person, MINI_APP)
        await uow.commit()
        return started


async def _start(uow: UnitOfWork, app: App, person: Person | None, via: str) -> NewSession:
    if person is None or not person.active or not may(_actor(person), Act.USE_DASHBOARD):
        log.warning("refused: web sign-in (%s) by person %s", via, person and person.id)
        raise NotAllowed(NOT_AN_OFFICE_ACCOUNT)
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = app.clock.now()
    lifetime = timedelta(hours=app.settings.web_session_hours)
    uow.session.add(
        WebSession(
            token_hash=token_hash(token),
            person_id=person.id,
            via=via,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    actor = _actor(person)
    uow.audit_by(actor, "person", person.id, "web_sign_in", {"via": via})
    return NewSession(token, actor, int(lifetime.total_seconds()))


async def actor_for_session(app: App, token: str) -> Actor | None:
    """Who the session is now, or None: unknown, expired or ended, or its person deactivated
    or no longer allowed the dashboard."""
    now = app.clock.now()
    async with app.uow() as uow:
        row = (
            await uow.session.execute(
                select(WebSession, Person)
                .join(Person, Person.id == WebSession.person_id)
                .where(WebSession.token_hash == token_hash(token))
            )
        ).one_or_none()
    if row is None:
        return None
    session, person = row
    if session.ended_at is not None or session.expires_at <= now or not person.active:
        return None
    actor = _actor(person)
    return actor if may(actor, Act.USE_DASHBOARD) else None


async def end_session(app: App, token: str) -> None:
    """Sign out: the session ends now."""
    async with app.uow() as uow:
        await uow.session.execute(
            update(WebSession)
            .where(WebSession.token_hash == token_hash(token), WebSession.ended_at.is_(None))
            .values(ended_at=app.clock.now())
        )
        await uow.commit()


async def end_sessions_of(uow: UnitOfWork, person_id: int) -> None:
    """End every session of the person (called where a person is deactivated)."""
    await uow.session.execute(
        update(WebSession)
        .where(WebSession.person_id == person_id, WebSession.ended_at.is_(None))
        .values(ended_at=uow.clock.now())
    )
