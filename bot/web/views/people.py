"""People (帮扶联系人): contact persons and village admins with their households, this month's
coverage, last contact and invitation; a new invitation link, a household reassigned,
a person deactivated — the bot's own use cases. The town office sees its town's and acts;
the county office reads the county's (a town's with `?town=<id>`), its acts the policy's."""

from __future__ import annotations

from aiohttp import web

from bot.core.onboarding.first_start import bot_username
from bot.core.onboarding.invites import invite_link
from bot.core.onboarding.reinvite import check_reissue, reissue_invite
from bot.core.policy import Actor
from bot.core.roster.changes import deactivate_person, reassign
from bot.core.roster.people_board import InviteState, people_board
from bot.errors import Conflict, InvalidInput
from bot.i18n import N_
from bot.web.pages import app_of, month_asked, render, see_other, signed_in
from bot.web.views.reach import form_of, row_id

routes = web.RouteTableDef()
PERSON = r"/web/people/{person_id:\d{1,9}}"

INVITE_LABELS = {
    InviteState.REGISTERED: N_("Using the bot"),
    InviteState.PENDING: N_("Link sent, not opened yet"),
    InviteState.EXPIRED: N_("Link expired"),
    InviteState.NONE: N_("Not invited"),
}
DONE = {
    "reassigned": N_("Reassigned: the new contact person is responsible from now on."),
    "deactivated": N_(
        "Deactivated. Their households are listed under 'Without a contact person' until "
        "you reassign them."
    ),
}
NO_USERNAME = N_(
    "The bot's username is not known yet, so no link can be made: start the bot once "
    "(bangfu run), then try again."
)
CHOOSE_PERSON = N_("Choose an active contact person.")


@routes.get("/web/people")
@signed_in
async def people(request: web.Request, actor: Actor) -> web.StreamResponse:
    found = await people_board(app_of(request), actor, month_asked(request))
    return render(
        request,
        "people.html",
        page="people",
        b=found,
        invite_labels=INVITE_LABELS,
        done=DONE.get(request.query.get("done", "")),
    )


@routes.post(PERSON + "/invite")
@signed_in
async def invited(request: web.Request, actor: Actor) -> web.StreamResponse:
    """A new link, shown once on this answer (never put in a URL, never stored)."""
    app = app_of(request)
    person_id = row_id(request, "person_id")
    await check_reissue(app, actor, person_id)
    username = await bot_username(app)
    if not username:  # checked before a new link replaces the old one
        raise Conflict(NO_USERNAME)
    issued = await reissue_invite(app, actor, person_id)
    return render(
        request,
        "invite.html",
        page="people",
        issued=issued,
        link=invite_link(username, issued.code),
        valid_until=app.clock.local_date(issued.expires_at),
    )


@routes.post(r"/web/households/{household_id:\d{1,9}}/reassign")
@signed_in
async def reassigned(request: web.Request, actor: Actor) -> web.StreamResponse:
    form = await form_of(request)
    person = form.get("person", "")
    if not person.isdigit() or len(person) > 9:
        raise InvalidInput(CHOOSE_PERSON)
    await reassign(app_of(request), actor, row_id(request, "household_id"), int(person))
    raise see_other(request, f"/web/people?done=reassigned#person-{int(person)}")


@routes.post(PERSON + "/deactivate")
@signed_in
async def deactivated(request: web.Request, actor: Actor) -> web.StreamResponse:
    await deactivate_person(app_of(request), actor, row_id(request, "person_id"))
    raise see_other(request, "/web/people?done=deactivated#unassigned")
