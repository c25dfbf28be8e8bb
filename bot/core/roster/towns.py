"""The towns (乡镇) of the county, as the roster and the commands name them: which town a
roster's village belongs to, and that a town office's file touches its own town only."""

from __future__ import annotations

from sqlalchemy import exists, select

from bot.core.policy import Actor
from bot.core.roster.columns import TOWN, VILLAGE
from bot.core.roster.rows import RosterRejected, RosterRow, RowProblem
from bot.domain.model import Role
from bot.errors import NotFound
from bot.i18n import N_
from bot.storage.models import FIRST_TOWN_ID, Person, Town, Village
from bot.storage.uow import UnitOfWork

OTHER_TOWN = N_("This village is not in your town: a town office imports its own villages only.")
NOT_YOUR_TOWN = N_("You can only import your own town's villages ({town}).")
NAME_THE_TOWN = N_("The county has several towns: say which town the new village {village} is in.")
WRONG_TOWN = N_("The village {village} is in {town}, not in {given}.")


async def town_named(uow: UnitOfWork, name: str) -> Town:
    """The town of this name; NotFound naming the known ones otherwise."""
    town = (
        await uow.session.execute(select(Town).where(Town.name == name.strip()))
    ).scalar_one_or_none()
    if town is None:
        known = (await uow.session.execute(select(Town.name).order_by(Town.name))).scalars()
        raise NotFound(
            N_("There is no town called {town}. Known towns: {known}."),
            town=name,
            known="、".join(known) or "-",
        )
    return town


async def town_of_villages(uow: UnitOfWork) -> dict[int, int]:
    """Each village's town, by village id."""
    rows = await uow.session.execute(select(Village.id, Village.town_id))
    return {village_id: town_id for village_id, town_id in rows.all()}


async def town_ids(uow: UnitOfWork) -> list[int]:
    """Every town of the county, by id."""
    return list((await uow.session.execute(select(Town.id).order_by(Town.id))).scalars())


async def county_office_exists(uow: UnitOfWork) -> bool:
    """Whether the county office has an active person (then it gets the county's messages)."""
    query = select(exists().where(Person.role == Role.COUNTY_OFFICE, Person.active.is_(True)))
    return bool((await uow.session.execute(query)).scalar_one())


async def roster_towns(
    uow: UnitOfWork, actor: Actor, rows: list[RosterRow], villages: dict[str, Village]
) -> dict[str, int]:
    """The town id of each village the roster names that is not known yet; refuses (with
    every row's problem) a row whose village or 乡镇 is not the importing office's town.

    Without the 乡镇 column the town is the town office person's own, or, at the command
    line, the county's only town. The command line adds a town the roster names first."""
    towns = {town.name: town for town in (await uow.session.execute(select(Town))).scalars()}
    names = {town.id: town.name for town in towns.values()}
    problems: list[RowProblem] = []
    new_villages: dict[str, int] = {}
    for row in rows:
        known = villages.get(row.village)
        given = towns.get(row.town) if row.town else None
        if not actor.county_wide:
            if row.town and (given is None or given.id != actor.town_id):
                own = names.get(actor.town_id or -1, "-")
                problems.append(RowProblem(row.row_number, TOWN, NOT_YOUR_TOWN, {"town": own}))
                continue
            if known is not None and known.town_id != actor.town_id:
                problems.append(RowProblem(row.row_number, VILLAGE, OTHER_TOWN))
                continue
        if known is not None:
            if given is not None and known.town_id != given.id:
                problems.append(
                    RowProblem(
                        row.row_number,
                        TOWN,
                        WRONG_TOWN,
                        {"village": row.village, "town": names[known.town_id], "given": row.town},
                    )
                )
            continue
        if row.town and given is None:  # the command line names a new town
            given = await uow.add_audited(actor, Town(name=row.town), "town", {"name": row.town})
            towns[row.town], names[given.id] = given, row.town
        if given is not None:
            town_id = given.id
        elif actor.town_id is not None:
            town_id = actor.town_id
        elif len(towns) <= 1:
            town_id = next(iter(names), FIRST_TOWN_ID)
        else:
            problems.append(
                RowProblem(row.row_number, TOWN, NAME_THE_TOWN, {"village": row.village})
            )
            continue
        if new_villages.setdefault(row.village, town_id) != town_id:
            problems.append(
                RowProblem(
                    row.row_number,
                    TOWN,
                    WRONG_TOWN,
                    {
                        "village": row.village,
                        "town": names[new_villages[row.village]],
                        "given": row.town,
                    },
                )
            )
    if problems:
        raise RosterRejected(problems)
    return new_villages


async def county_decides(uow: UnitOfWork) -> bool:
    """Whether the county office records its decisions itself: an active county office
    person has opened their invitation."""
    query = select(
        exists().where(
            Person.role == Role.COUNTY_OFFICE,
            Person.active.is_(True),
            Person.telegram_user_id.is_not(None),
        )
    )
    return bool((await uow.session.execute(query)).scalar_one())
