"""Reporting a risk: the red flag, the town office's alert and the audit entry come together."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.core.flags.raising import report_risk, validate_reason
from bot.core.households.my_households import household_card
from bot.domain.model import FlagSource, FlagStatus
from bot.errors import InvalidInput
from bot.storage.models import AuditEntry, OutboxMessage, RedFlag
from bot.storage.uow import App
from tests.town_builder import TownBuilder


@pytest.fixture
async def wang_and_zhang(app: App):  # type: ignore[no-untyped-def]
    town = TownBuilder(app)
    village = await town.village("河口村")
    wang = await town.person("王建华")
    return wang, await town.household(village, "张桂英", wang)


async def test_contact_person_reports_illness_and_the_town_office_alert_is_queued(
    app: App, wang_and_zhang
) -> None:  # type: ignore[no-untyped-def]
    wang, zhang = wang_and_zhang

    flag = await report_risk(app, wang, zhang.id, "  户主因病住院，医药费负担重  ")

    async with app.uow() as uow:
        stored = (await uow.session.execute(select(RedFlag))).scalar_one()
        alert = (await uow.session.execute(select(OutboxMessage))).scalar_one()
        audit = (
            await uow.session.execute(select(AuditEntry).where(AuditEntry.entity == "red_flag"))
        ).scalar_one()
    assert stored.id == flag.id
    assert stored.reason == "户主因病住院，医药费负担重"
    assert (stored.source, stored.status) == (FlagSource.CONTACT_PERSON, FlagStatus.RAISED)
    assert stored.raised_by_id == wang.person_id
    assert stored.raised_at == app.clock.now()
    assert (alert.recipient, alert.kind, alert.payload["flag_id"]) == (
        "town_office",
        "flag_alert",
        flag.id,
    )
    assert alert.urgent
    assert (audit.actor_id, audit.entity_id, audit.action) == (wang.person_id, flag.id, "create")


async def test_a_second_report_on_a_flagged_household_is_recorded_too(
    app: App, wang_and_zhang
) -> None:  # type: ignore[no-untyped-def]
    wang, zhang = wang_and_zhang

    await report_risk(app, wang, zhang.id, "因病")
    await report_risk(app, wang, zhang.id, "因学")

    card = await household_card(app, wang, zhang.id)
    assert [flag.reason for flag in card.open_flags] == ["因病", "因学"]
    async with app.uow() as uow:
        keys = (await uow.session.execute(select(OutboxMessage.key))).scalars().all()
    assert len(set(keys)) == 2


@pytest.mark.parametrize("reason", ["", "   \n "])
async def test_a_risk_needs_a_reason(app: App, wang_and_zhang, reason: str) -> None:  # type: ignore[no-untyped-def]
    wang, zhang = wang_and_zhang
    with pytest.raises(InvalidInput):
        await report_risk(app, wang, zhang.id, reason)
    async with app.uow() as uow:
        assert (await uow.session.execute(select(RedFlag))).first() is None


async def test_a_reason_over_the_limit_is_refused_naming_the_limit(
    app: App, wang_and_zhang
) -> None:  # type: ignore[no-untyped-def]
    wang, zhang = wang_and_zhang
    limit = app.settings.note_max_chars

    with pytest.raises(InvalidInput) as refused:
        await report_risk(app, wang, zhang.id, "病" * (limit + 1))

    assert str(limit) in refused.value.render()
    async with app.uow() as uow:
        assert (await uow.session.execute(select(OutboxMessage))).first() is None
    assert validate_reason(app.settings, "病" * limit) == "病" * limit
