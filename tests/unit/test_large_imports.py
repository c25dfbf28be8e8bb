"""A large roster or platform list is matched against the database in batches: PostgreSQL
takes at most 32,767 values in one query, so no query may carry more than IMPORT_BATCH_SIZE.
Here the batch is 40 and the files a few hundred rows; `bench/big_roster.py` imports 100,000
rows on PostgreSQL for real."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select

from bot.clock import FrozenClock
from bot.config import Settings
from bot.core.flags.platform_list import import_platform_flags
from bot.core.policy import CLI_OPERATOR
from bot.core.roster.importing import import_roster
from bot.documents.roster_sheet import read_platform_list, read_roster
from bot.domain.model import Role
from bot.storage.models import Assignment, Household, Person, RedFlag
from bot.storage.uow import App
from bot.telegram.app import build_app
from tests.fixtures.rosters import household_row, id_number, write_csv
from tests.town_builder import TownBuilder

BATCH = 40
ROWS = 230
# A batched query carries its batch and a few values of its own (a status, a source).
OWN_VALUES = 5


class QuerySizes:
    """The number of values bound to each SELECT the engine runs."""

    def __init__(self) -> None:
        self.sizes: list[int] = []

    def __call__(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            self.sizes.append(len(parameters or ()))


@pytest.fixture
async def batched_app(
    settings: Settings, clock: FrozenClock, _clean_postgres: None
) -> AsyncIterator[tuple[App, QuerySizes]]:
    app = build_app(settings.model_copy(update={"import_batch_size": BATCH}), clock)
    sizes = QuerySizes()
    event.listen(app.sessions.kw["bind"].sync_engine, "before_cursor_execute", sizes)
    yield app, sizes
    await app.close()


def roster(rows: int) -> list[dict[str, Any]]:
    return [
        household_row(
            serial,
            户编号=f"3415251030{serial:06d}",
            身份证号=id_number(serial, born=f"19{50 + serial // 1000 % 40}0714"),
            帮扶联系人=f"联系人{serial % 60}",
            帮扶联系人电话=f"1390564{serial % 60:04d}",
            村=f"村{serial % 7}",
        )
        for serial in range(1, rows + 1)
    ]


async def count(app: App, model: type) -> int:
    async with app.uow() as uow:
        return (await uow.session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_a_roster_larger_than_a_batch_is_looked_up_a_batch_at_a_time(
    batched_app: tuple[App, QuerySizes], tmp_path: Path
) -> None:
    app, sizes = batched_app
    path = write_csv(tmp_path / "roster.csv", roster(ROWS))

    first = await import_roster(app, CLI_OPERATOR, read_roster(path))
    again = await import_roster(
        app, CLI_OPERATOR, read_roster(path)
    )  # every household known: updates

    assert (first.created, again.unchanged) == (ROWS, ROWS)
    assert await count(app, Household) == ROWS and await count(app, Assignment) == ROWS
    assert await count(app, Person) == 60
    assert sizes.sizes and max(sizes.sizes) <= BATCH + OWN_VALUES


async def test_a_platform_list_larger_than_a_batch_is_matched_a_batch_at_a_time(
    batched_app: tuple[App, QuerySizes], tmp_path: Path
) -> None:
    app, sizes = batched_app
    town = TownBuilder(app)
    office = await town.person("周主任", role=Role.TOWN_OFFICE)
    village = await town.village("河口村")
    households = [await town.household(village) for _ in range(120)]
    path = tmp_path / "list.csv"
    lines = [f"{h.number},收入骤减" for h in households] + [
        f"{h.id_number}x,收入骤减" for h in households
    ]
    path.write_text("户编号,原因\n" + "\n".join(lines) + "\n", encoding="utf-8")
    sizes.sizes.clear()

    report = await import_platform_flags(app, office, read_platform_list(path))

    assert len(report.flagged) == 120 and len(report.unknown) == 120
    assert await count(app, RedFlag) == 120
    assert max(sizes.sizes) <= BATCH + OWN_VALUES
