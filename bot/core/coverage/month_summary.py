"""What a monthly coverage summary holds: the numbers of the town, each village and each
contact person, and the households and people that need action. Plain data, stored as JSON
once a month's summary is sent (`summary_to_json`, `summary_from_json`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import TypeAdapter

from bot.clock import Month


@dataclass
class Tally:
    """The numbers of one row of the summary: the town, a village, a contact person."""

    households: int = 0  # monitored and assigned during the month
    contacted: int = 0
    home_visited: int = 0  # households with at least one home visit
    by_channel: dict[str, int] = field(default_factory=dict)
    flags_raised: int = 0
    flags_acknowledged: int = 0
    flags_closed: int = 0
    flags_past_deadline: int = 0
    flags_open: int = 0  # open at the month's end (or now, while it runs)

    @property
    def uncontacted(self) -> int:
        return self.households - self.contacted

    @property
    def coverage(self) -> float | None:
        """Share of households contacted, 0..1; None when there are none to contact."""
        return self.contacted / self.households if self.households else None

    @property
    def home_visit_share(self) -> float | None:
        """Share of contacted households that had a home visit, 0..1."""
        return self.home_visited / self.contacted if self.contacted else None

    @property
    def contacts(self) -> int:
        return sum(self.by_channel.values())

    def add(self, other: Tally) -> None:
        self.households += other.households
        self.contacted += other.contacted
        self.home_visited += other.home_visited
        for channel, count in other.by_channel.items():
            self.by_channel[channel] = self.by_channel.get(channel, 0) + count
        self.flags_raised += other.flags_raised
        self.flags_acknowledged += other.flags_acknowledged
        self.flags_closed += other.flags_closed
        self.flags_past_deadline += other.flags_past_deadline
        self.flags_open += other.flags_open


@dataclass
class HouseholdLine:
    """A household as the summary lists it (uncontacted, without contact person, late entry)."""

    household_id: int
    number: str  # 户编号
    village: str
    group: str  # 组
    head_name: str  # 户主姓名
    person_id: int | None = None  # the contact person it counts for
    contact_person: str | None = None


@dataclass
class PersonCoverage:
    person_id: int
    name: str
    phone: str | None
    tally: Tally
    unreachable_since: datetime | None = None


@dataclass
class VillageCoverage:
    village_id: int
    name: str
    tally: Tally
    persons: list[PersonCoverage]  # each person's households in this village
    uncontacted: list[HouseholdLine]
    unassigned: list[HouseholdLine]


@dataclass
class UnreachablePerson:
    person_id: int
    name: str
    phone: str | None
    since: datetime
    households: int  # households assigned to them at the month's end (or now)


@dataclass
class LateEntry:
    """A contact logged for a month whose summary had already been sent."""

    contact_id: int
    household: HouseholdLine
    occurred_on: date
    entered_at: datetime
    channel: str
    logged_by: str


@dataclass
class MonthCoverage:
    month: Month
    computed_at: datetime
    town: Tally
    villages: list[VillageCoverage]
    persons: list[PersonCoverage]  # town-wide, one row per contact person
    unassigned: list[HouseholdLine]
    unreachable: list[UnreachablePerson]
    late_entries: list[LateEntry] = field(default_factory=list)

    @property
    def uncontacted_count(self) -> int:
        return sum(len(village.uncontacted) for village in self.villages)

    def narrowed(self, village_ids: set[int] | None) -> MonthCoverage:
        """The summary of these villages only (a town office's town out of the county's);
        `None` keeps it whole. The totals and each person's row add up the villages kept."""
        if village_ids is None:
            return self
        villages = [village for village in self.villages if village.village_id in village_ids]
        names = {village.name for village in villages}
        town = Tally()
        persons: dict[int, PersonCoverage] = {}
        for village in villages:
            town.add(village.tally)
            for person in village.persons:
                kept = persons.setdefault(
                    person.person_id,
                    PersonCoverage(
                        person.person_id,
                        person.name,
                        person.phone,
                        Tally(),
                        person.unreachable_since,
                    ),
                )
                kept.tally.add(person.tally)
        order = {person.person_id: n for n, person in enumerate(self.persons)}
        return MonthCoverage(
            month=self.month,
            computed_at=self.computed_at,
            town=town,
            villages=villages,
            persons=sorted(persons.values(), key=lambda person: order.get(person.person_id, 0)),
            unassigned=[line for line in self.unassigned if line.village in names],
            unreachable=[person for person in self.unreachable if person.person_id in persons],
            late_entries=[entry for entry in self.late_entries if entry.household.village in names],
        )


SUMMARY_JSON = TypeAdapter(MonthCoverage)


def summary_to_json(summary: MonthCoverage) -> dict[str, Any]:
    return SUMMARY_JSON.dump_python(summary, mode="json")


def summary_from_json(data: dict[str, Any]) -> MonthCoverage:
    return SUMMARY_JSON.validate_python(data)
