"""Who may see what (谁能看什么), and where. Every service asks here; handlers never decide.

- a contact person reads and writes only the households assigned to them;
- a village admin reads the whole village;
- a town office person reads their own town (乡镇) and nothing of another town;
- the county office (and the operator at the command line) reads the whole county.
Writing a contact is always the assigned contact person's own act.

Where: office work (flags, household histories, roster changes, reports, the platform list)
is shown in the person's private chat, and the town office's also in the town office's
group; nowhere else (`check_office_chat`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from enum import StrEnum

from sqlalchemy import ColumnElement, Select, and_, exists, false, select, true

from bot.domain.model import HouseholdStatus, Role
from bot.errors import NotAllowed
from bot.i18n import N_
from bot.storage.models import Assignment, Household, Person, RedFlag, Village
from bot.storage.uow import App, UnitOfWork

log = logging.getLogger(__name__)

NOT_YOUR_HOUSEHOLD = N_("That household is not one of yours.")
# A red flag that does not exist and one out of reach get the same answer: ids come from
# callback data, and the answer must not tell which ids exist.
NOT_YOUR_FLAG = N_("There is no such red flag among yours.")
# Where to ask instead, when office work is asked for in a chat where it may not be shown.
OFFICE_CHATS_ONLY = N_(
    "Town office work is shown only in the town office's group or in a private chat with me."
)
PRIVATE_CHAT_ONLY = N_("Not shown here: please ask me in a private chat.")
OFFICE_GROUP_IS_THE_OFFICES = N_(
    "Only the town office works in this group. For your own households and village, "
    "please use your private chat with me."
)


@dataclass(frozen=True)
class Actor:
    """The registered person behind an update, or the operator at the CLI (person_id None)."""

    person_id: int | None
    name: str
    role: Role
    village_id: int | None = None
    town_id: int | None = None  # a town office person's town (乡镇); the county's, narrowed

    @property
    def label(self) -> str:
        return self.name if self.person_id is not None else "cli"

    @property
    def county_wide(self) -> bool:
        """Reads the whole county: the county office, and the operator at the command line,
        unless narrowed to one town (`within_town`)."""
        county = self.role == Role.COUNTY_OFFICE or (
            self.person_id is None and self.role == Role.TOWN_OFFICE
        )
        return county and self.town_id is None

    @property
    def office(self) -> bool:
        """A town or the county office: oversees every village in reach, not one."""
        return self.role in OFFICES


OFFICES = frozenset({Role.TOWN_OFFICE, Role.COUNTY_OFFICE})
# The operator at the command line does the town office's work for any town of the county.
CLI_OPERATOR = Actor(person_id=None, name="cli", role=Role.TOWN_OFFICE)
NO_SUCH_TOWN = N_("There is no such town among yours.")


def within_town(actor: Actor, town_id: int) -> Actor:
    """The county office's reach narrowed to one of its towns (the dashboard's drill-down
    into a town): the same person and acts, the town's villages, households and people only.
    Anyone else is refused alike (NotAllowed): a town office has its own town already."""
    if not actor.county_wide or actor.person_id is None:
        raise NotAllowed(NO_SUCH_TOWN)
    return replace(actor, town_id=town_id)


class Act(StrEnum):
    """What only some roles may do at all. Which households or village it may touch (the
    scope) is then checked by the functions below (`readable_household`, `readable_flag`…)."""

    IMPORT_ROSTER = "import_roster"
    CHANGE_ROSTER = "change_roster"
    INVITE = "invite"
    ACKNOWLEDGE_FLAG = "acknowledge_flag"  # and set its deadline
    DECIDE_REMOVAL = "decide_removal"  # review a 销号 request, record the county's decision
    DECIDE_RETRACTION = "decide_retraction"  # keep or withdraw a flag whose contact went back
    IMPORT_PLATFORM_LIST = "import_platform_list"
    READ_TOWN_SUMMARY = "read_town_summary"
    SET_OFFICE_GROUP = "set_office_group"  # confirm a group as the town or county office's
    RECORD_COUNTY_DECISION = "record_county_decision"  # 县级审定 on a town-approved removal
    READ_COUNTY = "read_county"  # the towns side by side
    ESCALATE = "escalate"  # act on the uncontacted lists: remind a contact person, see theirs
    USE_DASHBOARD = "use_dashboard"  # sign in to the office dashboard (bot/web/)
    READ_PEOPLE = "read_people"  # the people in reach, their households and invitations


TOWN_OFFICE = frozenset({Role.TOWN_OFFICE})
# role × act: who may; and the sentence that refuses anyone else, naming what was refused.
ALLOWED: dict[Act, tuple[frozenset[Role], str]] = {
    Act.IMPORT_ROSTER: (TOWN_OFFICE, N_("Only the town office can import the roster.")),
    Act.CHANGE_ROSTER: (TOWN_OFFICE, N_("Only the town office can change the roster.")),
    Act.INVITE: (TOWN_OFFICE, N_("Only the town office can invite people.")),
    Act.ACKNOWLEDGE_FLAG: (
        TOWN_OFFICE,
        N_("Only the town office can acknowledge a red flag or set its deadline."),
    ),
    Act.DECIDE_REMOVAL: (
        TOWN_OFFICE,
        N_("Only the town office can review a removal or record the county's decision."),
    ),
    Act.DECIDE_RETRACTION: (
        TOWN_OFFICE,
        N_("Only the town office can decide whether to keep or withdraw a red flag."),
    ),
    Act.IMPORT_PLATFORM_LIST: (
        OFFICES,
        N_("Only the town office can import the platform's red-flag list."),
    ),
    Act.READ_TOWN_SUMMARY: (
        OFFICES,
        N_("Only the town office can read the town's monthly summary."),
    ),
    Act.SET_OFFICE_GROUP: (
        OFFICES,
        N_("Only a town office person can confirm the town office group."),
    ),
    Act.ESCALATE: (
        frozenset({Role.TOWN_OFFICE, Role.VILLAGE_ADMIN}),
        N_("Only the town office, or the village's admin for their village, can do this."),
    ),
    # The town office records it on the county's behalf only while no county office person
    # is registered (`towns.county_decides`).
    Act.RECORD_COUNTY_DECISION: (
        OFFICES,
        N_("Only the county office records the county's decision."),
    ),
    Act.READ_COUNTY: (
        frozenset({Role.COUNTY_OFFICE}),
        N_("Only the county office can compare the towns."),
    ),
    Act.USE_DASHBOARD: (
        frozenset({Role.TOWN_OFFICE, Role.COUNTY_OFFICE, Role.VILLAGE_ADMIN}),
        N_("Only the offices and village admins can use the office dashboard."),
    ),
    # Reading only: inviting and changing the roster stay the town office's (above).
    Act.READ_PEOPLE: (OFFICES, N_("Only the town and county offices can see the people page.")),
}


def may(actor: Actor, act: Act) -> bool:
    return actor.role in ALLOWED[act][0]


def require(actor: Actor, act: Act) -> None:
    """Refuse (NotAllowed, in the person's words) an act the actor's role may not do."""
    roles, refusal = ALLOWED[act]
    if actor.role not in roles:
        raise NotAllowed(refusal)


class Duty(StrEnum):
    """A part of the work a person does with the bot; their menu, help and command list are
    made of the parts they have. A clerk or a village admin who also has households
    assigned (帮扶) does both."""

    OWN_HOUSEHOLDS = "own_households"  # 帮扶联系人: the households assigned to them
    VILLAGE = "village"  # 村两委: their village's red flags, uncontacted list and forms
    TOWN_OFFICE = "town_office"  # 镇扶贫办: the whole town's work
    COUNTY_OFFICE = "county_office"  # 县乡村振兴局: the towns compared, the county's decisions


async def duties_of(app: App, actor: Actor) -> tuple[Duty, ...]:
    """The actor's duties, their role's own first."""
    if actor.role == Role.CONTACT:
        return (Duty.OWN_HOUSEHOLDS,)
    if actor.role == Role.COUNTY_OFFICE:
        return (Duty.COUNTY_OFFICE,)
    desk = Duty.TOWN_OFFICE if actor.role == Role.TOWN_OFFICE else Duty.VILLAGE
    async with app.uow() as uow:
        query = select(
            exists().where(
                Assignment.person_id == (actor.person_id or -1),
                Assignment.ended_at.is_(None),
                Assignment.household_id == Household.id,
                Household.status == HouseholdStatus.MONITORED,
            )
        )
        has_households = bool((await uow.session.execute(query)).scalar_one())
    return (desk, Duty.OWN_HOUSEHOLDS) if has_households else (desk,)


class ChatKind(StrEnum):
    """Where an answer would be posted, as far as who reads it along is concerned."""

    PRIVATE = "private"  # the person and the bot
    OFFICE_GROUP = "office_group"  # an office's group (core/delivery/office_group.py); to an
    # office person, their own office's
    OTHER_GROUP = "other_group"  # any other group or channel: its members are unknown


def check_office_chat(actor: Actor, chat: ChatKind) -> None:
    """Office work may be shown here, or NotAllowed saying where to ask instead.

    A private chat is read by the person alone, and the services decide what they may see
    there. The town office's group is the office's own desk: the town office works there,
    but a village admin's or contact person's view (their village's flags, their households'
    histories) is not for the other members, so they are sent to their private chat. Any
    other group may hold anyone: no office work is shown there at all.
    """
    if chat == ChatKind.PRIVATE:
        return
    if actor.office:  # OFFICE_GROUP: the actor's own office's group (chat_scope.chat_kind)
        if chat == ChatKind.OFFICE_GROUP:
            return
        raise NotAllowed(OFFICE_CHATS_ONLY)
    if chat == ChatKind.OFFICE_GROUP:
        raise NotAllowed(OFFICE_GROUP_IS_THE_OFFICES)
    raise NotAllowed(PRIVATE_CHAT_ONLY)


def assigned_to(person_id: int | ColumnElement[int]) -> Select[tuple[int]]:
    """Ids of households currently assigned to the person (an id, or a bound parameter)."""
    return select(Assignment.household_id).where(
        Assignment.person_id == person_id, Assignment.ended_at.is_(None)
    )


def town_villages(town_id: int | None) -> Select[tuple[int]]:
    """Ids of the town's villages."""
    return select(Village.id).where(Village.town_id == (town_id if town_id is not None else -1))


def in_reach(actor: Actor, village_id: ColumnElement[int]) -> ColumnElement[bool]:
    """Whether a village (a column or value) is one the actor's office oversees: any, for
    the county; the town's, for a town office person; their village, for a village admin."""
    if actor.county_wide:
        return true()
    if actor.office:
        return village_id.in_(town_villages(actor.town_id))
    if actor.role == Role.VILLAGE_ADMIN and actor.village_id is not None:
        return village_id == actor.village_id
    return false()


async def villages_in_reach(uow: UnitOfWork, actor: Actor) -> set[int] | None:
    """The ids of the villages the actor's office oversees; None: all of the county's."""
    if actor.county_wide:
        return None
    query = select(Village.id).where(in_reach(actor, Village.id))
    return set((await uow.session.execute(query)).scalars())


def person_in_reach(actor: Actor) -> ColumnElement[bool]:
    """Whether a person is one the actor's office works with: anyone, for the county; the
    town's people, for a town office person (a namesake in another town is not found)."""
    if actor.county_wide:
        return true()
    if actor.office:
        return Person.town_id == (actor.town_id if actor.town_id is not None else -1)
    if actor.role == Role.VILLAGE_ADMIN and actor.village_id is not None:
        return Person.village_id == actor.village_id
    return Person.id == (actor.person_id if actor.person_id is not None else -1)


async def reachable_person(uow: UnitOfWork, actor: Actor, person_id: int) -> Person | None:
    """The person, if in the actor's reach (ids come from buttons); else None, logged."""
    query = select(Person).where(Person.id == person_id, person_in_reach(actor))
    person = (await uow.session.execute(query)).scalar_one_or_none()
    if person is None:
        log.warning(
            "refused: %s (person %s) reach person %s", actor.role, actor.person_id, person_id
        )
    return person


def visible_households(actor: Actor) -> Select[tuple[Household]]:
    """A query of the households the actor may read, to be narrowed further by the caller."""
    query = select(Household)
    if actor.county_wide:
        return query
    if actor.office:
        return query.where(in_reach(actor, Household.village_id))
    own = Household.id.in_(assigned_to(actor.person_id or -1))
    if actor.role == Role.VILLAGE_ADMIN and actor.village_id is not None:
        return query.where((Household.village_id == actor.village_id) | own)
    return query.where(own)


async def readable_household(uow: UnitOfWork, actor: Actor, household_id: int) -> Household:
    """The household, if the actor may read it; else NotAllowed (logged: ids come from users)."""
    query = visible_households(actor).where(Household.id == household_id)
    household = (await uow.session.execute(query)).scalar_one_or_none()
    if household is None:
        log.warning(
            "refused: %s (person %s) read household %s", actor.role, actor.person_id, household_id
        )
        raise NotAllowed(NOT_YOUR_HOUSEHOLD)
    return household


async def readable_flag(uow: UnitOfWork, actor: Actor, flag_id: int) -> tuple[RedFlag, Household]:
    """The flag and its household, if the actor may read the household; else NotAllowed,
    the same whether the flag does not exist or is out of reach."""
    flag = await uow.session.get(RedFlag, flag_id)
    household = None
    if flag is not None:
        query = visible_households(actor).where(Household.id == flag.household_id)
        household = (await uow.session.execute(query)).scalar_one_or_none()
    if flag is None or household is None:
        log.warning("refused: %s (person %s) read flag %s", actor.role, actor.person_id, flag_id)
        raise NotAllowed(NOT_YOUR_FLAG)
    return flag, household


async def own_household(uow: UnitOfWork, actor: Actor, household_id: int) -> Household:
    """The household, if it is assigned to the actor now (needed to log a contact)."""
    query = select(Household).where(
        Household.id == household_id,
        exists().where(
            and_(
                Assignment.household_id == Household.id,
                Assignment.person_id == (actor.person_id or -1),
                Assignment.ended_at.is_(None),
            )
        ),
    )
    household = (await uow.session.execute(query)).scalar_one_or_none()
    if household is None:
        log.warning("refused: person %s wrote household %s", actor.person_id, household_id)
        raise NotAllowed(NOT_YOUR_HOUSEHOLD)
    return household
