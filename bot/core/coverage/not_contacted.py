"""Who is still to be contacted this month (本月未联系), asked for at any time: the village's
for its admins, the whole town's for the town office, by village and contact person."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.clock import Month
from bot.core.coverage.escalations import NOBODY
from bot.core.coverage.reminders import uncontacted
from bot.core.households.my_households import household_name
from bot.core.policy import Actor
from bot.domain.model import Role
from bot.errors import NotAllowed
from bot.i18n import N_
from bot.storage.uow import App

VILLAGE_OR_TOWN_ONLY = N_(
    "Only the town office and village admins see who is not contacted yet. "
    "Your own households are under 📅 This month."
)


@dataclass
class PersonLeft:
    """One contact person's households not yet contacted; `person` None: nobody assigned."""

    person: str | None
    person_id: int  # escalations.NOBODY when nobody is assigned (the 📋 button's id)
    households: list[str] = field(default_factory=list)


@dataclass
class VillageLeft:
    village: str
    people: list[PersonLeft] = field(default_factory=list)
    household_ids: set[int] = field(default_factory=set)

    @property
    def households(self) -> int:
        """Each household once, though listed under each of its contact persons."""
        return len(self.household_ids)


@dataclass(frozen=True)
class NotContacted:
    month: Month
    villages: list[VillageLeft]

    @property
    def households(self) -> int:
        return sum(village.households for village in self.villages)


async def not_contacted_this_month(app: App, actor: Actor) -> NotContacted:
    """The monitored households with no contact yet this month that the actor oversees. A
    household with two contact persons is listed under each."""
    if actor.office:
        village_id = None  # the office's own town, or the county (`reach`)
    elif actor.role == Role.VILLAGE_ADMIN and actor.village_id is not None:
        village_id = actor.village_id
    else:
        raise NotAllowed(VILLAGE_OR_TOWN_ONLY)
    async with app.uow() as uow:
        month = uow.clock.this_month()
        rows = await uncontacted(uow, month, village_id=village_id, reach=actor)
        villages: dict[int, VillageLeft] = {}
        people: dict[tuple[int, int | None], PersonLeft] = {}
        for row in rows:  # ordered by village, contact person, group, name
            household = row.household
            village = villages.setdefault(household.village_id, VillageLeft(household.village.name))
            person_id = row.person.id if row.person else None
            key = (household.village_id, person_id)
            if key not in people:
                people[key] = PersonLeft(
                    row.person.name if row.person else None, person_id or NOBODY
                )
                village.people.append(people[key])
            people[key].households.append(household_name(household))
            village.household_ids.add(household.id)
    return NotContacted(month, list(villages.values()))
