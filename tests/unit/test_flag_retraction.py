"""A flag follows the contact that raised it (bot/core/flags/retraction.py): narrowed when
some of its problems remain, withdrawn when none do, and a problem swapped for another takes
back the old flag while the new problem raises its own."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.core.contacts.contact_log import log_contact
from bot.core.contacts.corrections import Correction, correct_contact
from bot.core.delivery.kinds import MessageKind
from bot.core.flags.retraction import decide_retraction
from bot.domain.model import FlagStatus, Role
from bot.errors import Conflict, NotAllowed
from bot.storage.models import AuditEntry, OutboxMessage, RedFlag
from bot.storage.uow import App
from tests.town_builder import TownBuilder
from tests.unit.test_contacts import Town, build_town, draft


@pytest.fixture
async def town(app: App) -> Town:
    return await build_town(app)


async def flags(app: App) -> list[RedFlag]:
    async with app.uow() as uow:
        return list((await uow.session.execute(select(RedFlag).order_by(RedFlag.id))).scalars())


async def kinds(app: App) -> list[str]:
    async with app.uow() as uow:
        rows = await uow.session.execute(select(OutboxMessage.kind).order_by(OutboxMessage.id))
        return list(rows.scalars())


async def test_a_problem_taken_off_narrows_the_flag_to_the_ones_still_reported(
    app: App, town: Town
) -> None:
    logged = await log_contact(
        app, town.wang, draft(town.zhang_home, problems=["housing", "water"])
    )

    changed = await correct_contact(
        app, town.wang, logged.contact.id, Correction(problems=["water"])
    )

    [flag] = await flags(app)
    assert changed.flags.narrowed == [flag.id] and not changed.flags.withdrawn
    assert flag.status == FlagStatus.RAISED and flag.problems == ["water"]
    assert "饮水安全无保障" in flag.reason and "住房" not in flag.reason
    async with app.uow() as uow:
        entry = (
            await uow.session.execute(select(AuditEntry).where(AuditEntry.action == "narrow"))
        ).scalar_one()
    assert entry.changes["before"]["problems"] == ["housing", "water"]


async def test_a_problem_swapped_for_another_withdraws_the_old_flag_and_raises_a_new_one(
    app: App, town: Town
) -> None:
    logged = await log_contact(app, town.wang, draft(town.zhang_home, problems=["housing"]))

    changed = await correct_contact(
        app, town.wang, logged.contact.id, Correction(problems=["water"])
    )

    old, new = await flags(app)
    assert changed.flag_raised and changed.flags.withdrawn == [old.id]
    assert (old.status, old.problems) == (FlagStatus.WITHDRAWN, ["housing"])
    assert (new.status, new.problems) == (FlagStatus.RAISED, ["water"])
    assert await kinds(app) == [
        MessageKind.FLAG_ALERT,
        MessageKind.FLAG_RETRACTED,
        MessageKind.FLAG_ALERT,
    ]


async def test_only_the_town_office_decides_and_only_while_the_contact_no_longer_reports_it(
    app: App, town: Town
) -> None:
    logged = await log_contact(app, town.wang, draft(town.zhang_home, problems=["housing"]))
    [flag] = await flags(app)
    office = await TownBuilder(app).person("周主任", Role.TOWN_OFFICE)

    with pytest.raises(NotAllowed):
        await decide_retraction(app, town.wang, flag.id, withdraw=True)
    with pytest.raises(Conflict):  # the contact still reports the housing problem
        await decide_retraction(app, office, flag.id, withdraw=True)
    await correct_contact(app, town.wang, logged.contact.id, Correction(problems=[]))
    with pytest.raises(Conflict):  # withdrawn already with the contact: nothing to decide
        await decide_retraction(app, office, flag.id, withdraw=False)
    assert (await flags(app))[0].status == FlagStatus.WITHDRAWN
