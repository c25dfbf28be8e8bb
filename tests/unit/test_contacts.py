"""Logging a contact, and correcting or withdrawing one's own within 24 hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select, update

from bot.clock import FrozenClock
from bot.core.contacts import contact_log as contacts
from bot.core.contacts.contact_log import ContactDraft, log_contact, new_draft_key
from bot.core.contacts.corrections import (
    Correction,
    correct_contact,
    recent_own_contacts,
    withdraw_contact,
)
from bot.core.contacts.rules import parse_income
from bot.core.policy import Actor
from bot.domain.model import ContactChannel, ContactStatus, FlagSource
from bot.errors import Conflict, InvalidInput, NotAllowed
from bot.i18n import use_language
from bot.storage.models import (
    Assignment,
    AuditEntry,
    Contact,
    Household,
    OutboxMessage,
    RedFlag,
)
from bot.storage.uow import App
from tests.town_builder import TownBuilder

TODAY = date(2026, 3, 10)  # the conftest clock


@dataclass
class Town:
    wang: Actor  # a contact person with two households
    li: Actor  # another contact person
    zhang_home: Household  # Wang's
    chen_home: Household  # Wang's
    zhou_home: Household  # Li's


@pytest.fixture
async def town(app: App) -> Town:
    return await build_town(app)


async def build_town(app: App) -> Town:
    """Wang with two households, Li with one, in 大河村 (also used by test_flag_retraction)."""
    build = TownBuilder(app)
    village = await build.village("大河村")
    wang = await build.person("王建国")
    li = await build.person("李秀兰")
    return Town(
        wang=wang,
        li=li,
        zhang_home=await build.household(village, "张桂英", contact=wang),
        chen_home=await build.household(village, "陈德明", contact=wang),
        zhou_home=await build.household(village, "周玉珍", contact=li),
    )


def draft(household: Household, **fields: object) -> ContactDraft:
    values: dict[str, object] = {
        "draft_key": new_draft_key(),
        "household_id": household.id,
        "channel": ContactChannel.PHONE,
        "occurred_on": TODAY,
    }
    values.update(fields)
    return ContactDraft(**values)  # type: ignore[arg-type]


async def count(app: App, model: type, *where: object) -> int:
    async with app.uow() as uow:
        query = select(func.count()).select_from(model).where(*where)  # type: ignore[arg-type]
        return (await uow.session.execute(query)).scalar_one()


def message_of(error: pytest.ExceptionInfo[Exception]) -> str:
    with use_language("en"):
        return error.value.render()  # type: ignore[attr-defined]


async def test_contact_person_logs_phone_call_and_month_progress_updates(app: App, town: Town):
    logged = await log_contact(app, town.wang, draft(town.zhang_home))

    assert logged.contact.channel == ContactChannel.PHONE
    assert logged.contact.occurred_on == TODAY
    assert (logged.progress.contacted, logged.progress.total) == (1, 2)
    assert [h.id for h in logged.progress.remaining] == [town.chen_home.id]
    assert not logged.flag_raised
    assert await count(app, AuditEntry, AuditEntry.entity == "contact") == 1
    assert await count(app, RedFlag) == 0


async def test_a_contact_cannot_be_dated_in_the_future(app: App, town: Town):
    with pytest.raises(InvalidInput) as error:
        await log_contact(app, town.wang, draft(town.zhang_home, occurred_on=TODAY + timedelta(1)))
    assert "future" in message_of(error)
    assert await count(app, Contact) == 0


async def test_a_contact_cannot_be_dated_before_the_household_was_assigned(
    app: App, town: Town, clock: FrozenClock
):
    async with app.uow() as uow:
        await uow.session.execute(
            update(Assignment)
            .where(Assignment.household_id == town.zhang_home.id)
            .values(started_at=clock.now() - timedelta(days=3))
        )
        await uow.commit()
    with pytest.raises(InvalidInput) as error:
        await log_contact(app, town.wang, draft(town.zhang_home, occurred_on=date(2026, 3, 6)))
    assert "assigned to you (2026-03-07)" in message_of(error)
    await log_contact(app, town.wang, draft(town.zhang_home, occurred_on=date(2026, 3, 7)))


async def test_a_contact_can_be_backdated_60_days_but_not_61(app: App, town: Town):
    with pytest.raises(InvalidInput) as error:
        await log_contact(app, town.wang, draft(town.zhang_home, occurred_on=TODAY - timedelta(61)))
    assert "at most 60 days back" in message_of(error)
    logged = await log_contact(
        app, town.wang, draft(town.zhang_home, occurred_on=TODAY - timedelta(60))
    )
    assert logged.contact.occurred_on == date(2026, 1, 9)
    assert logged.progress.contacted == 0  # a January contact does not count for March


async def test_a_note_over_1000_characters_is_refused_with_the_limit(app: App, town: Town):
    with pytest.raises(InvalidInput) as error:
        await log_contact(app, town.wang, draft(town.zhang_home, note="字" * 1001))
    assert "at most 1000 characters, you wrote 1001" in message_of(error)
    logged = await log_contact(app, town.wang, draft(town.zhang_home, note="字" * 1000))
    assert logged.contact.note == "字" * 1000


async def test_a_photo_belongs_only_to_a_home_visit(app: App, town: Town):
    with pytest.raises(InvalidInput) as error:
        await log_contact(app, town.wang, draft(town.zhang_home, photo_file_id="AgACAgQ"))
    assert "only to a home visit" in message_of(error)
    visit = draft(town.zhang_home, channel=ContactChannel.HOME_VISIT, photo_file_id="AgACAgQ")
    assert (await log_contact(app, town.wang, visit)).contact.photo_file_id == "AgACAgQ"


@pytest.mark.parametrize(
    ("field", "value"),
    [("channel", "pigeon"), ("problems", ["food", "luck"]), ("events", ["wedding"])],
)
async def test_unknown_choices_from_forged_buttons_are_refused(
    app: App, town: Town, field: str, value: object
):
    with pytest.raises(InvalidInput):
        await log_contact(app, town.wang, draft(town.zhang_home, **{field: value}))
    assert await count(app, Contact) == 0


async def test_a_guarantee_problem_raises_one_red_flag_and_queues_the_town_office_alert(
    app: App, town: Town
):
    logged = await log_contact(
        app, town.wang, draft(town.zhang_home, problems=["water", "housing"], note="屋顶漏雨")
    )

    assert logged.flag_raised
    assert logged.contact.problems == ["housing", "water"]
    async with app.uow() as uow:
        flag = (await uow.session.execute(select(RedFlag))).scalar_one()
        alert = (await uow.session.execute(select(OutboxMessage))).scalar_one()
    assert flag.source == FlagSource.GUARANTEE
    assert flag.contact_id == logged.contact.id
    assert "住房安全无保障、饮水安全无保障" in flag.reason
    assert flag.problems == ["housing", "water"]
    assert "屋顶漏雨" in flag.reason
    assert alert.recipient == "town_office"
    assert alert.payload["flag_id"] == flag.id


async def test_nothing_is_half_saved_when_the_alert_cannot_be_queued(
    app: App, town: Town, monkeypatch: pytest.MonkeyPatch
):
    def broken_outbox(*args: object, **kwargs: object) -> None:
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr("bot.storage.uow.UnitOfWork.queue_message", broken_outbox)
    with pytest.raises(RuntimeError):
        await log_contact(app, town.wang, draft(town.zhang_home, problems=["food"]))
    assert await count(app, Contact) == 0
    assert await count(app, RedFlag) == 0
    assert await count(app, AuditEntry) == 0


async def test_the_same_draft_saved_twice_gives_one_contact(app: App, town: Town):
    form = draft(town.zhang_home, problems=["food"])
    first = await log_contact(app, town.wang, form)
    second = await log_contact(app, town.wang, form)

    assert second.already_saved and not first.already_saved
    assert second.contact.id == first.contact.id
    assert second.flag_raised
    assert second.progress.contacted == 1
    assert await count(app, Contact) == 1
    assert await count(app, RedFlag) == 1


async def test_a_draft_saved_by_a_concurrent_request_is_reloaded_not_doubled(
    app: App, town: Town, monkeypatch: pytest.MonkeyPatch
):
    form = draft(town.zhang_home)
    first = await log_contact(app, town.wang, form)
    # The second request checked before the first committed: its insert then hits the key.
    real_lookup = contacts._saved_draft
    lookups = []

    async def late_lookup(*args: object) -> object:
        lookups.append(args)
        return None if len(lookups) == 1 else await real_lookup(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(contacts, "_saved_draft", late_lookup)
    second = await log_contact(app, town.wang, form)

    assert len(lookups) == 2  # the insert failed on the key, and the saved one was reloaded
    assert second.already_saved
    assert second.contact.id == first.contact.id
    assert await count(app, Contact) == 1


async def test_a_forged_household_id_is_refused_and_nothing_is_written(app: App, town: Town):
    with pytest.raises(NotAllowed):
        await log_contact(app, town.wang, draft(town.zhou_home))
    assert await count(app, Contact) == 0
    assert await count(app, AuditEntry) == 0


async def test_an_income_learned_at_a_contact_updates_the_household_with_an_audit_entry(
    app: App, town: Town
):
    await log_contact(app, town.wang, draft(town.zhang_home, income=parse_income("6,800元")))

    async with app.uow() as uow:
        household = await uow.session.get_one(Household, town.zhang_home.id)
        entry = (
            await uow.session.execute(select(AuditEntry).where(AuditEntry.entity == "household"))
        ).scalar_one()
    assert household.income == Decimal("6800.00")
    assert household.income_measured_on == TODAY
    assert entry.changes["before"]["income"] == "5200.00"
    assert entry.changes["after"] == {"income": "6800.00", "income_measured_on": "2026-03-10"}


@pytest.mark.parametrize("typed", ["-5", "1000000", "abc", "5e3x", "NaN"])
def test_an_impossible_income_is_refused_by_its_rule(typed: str):
    with pytest.raises(InvalidInput) as error:
        parse_income(typed)
    assert "from 0 up to 999,999" in message_of(error)


async def test_own_contact_withdrawn_within_24_hours_no_longer_counts(
    app: App, town: Town, clock: FrozenClock
):
    logged = await log_contact(app, town.wang, draft(town.zhang_home))
    clock.advance(hours=23)

    assert [line.contact.id for line in await recent_own_contacts(app, town.wang)] == [
        logged.contact.id
    ]
    changed = await withdraw_contact(app, town.wang, logged.contact.id)

    assert changed.contact.status == ContactStatus.WITHDRAWN
    assert changed.progress.contacted == 0
    assert await recent_own_contacts(app, town.wang) == []
    async with app.uow() as uow:
        entry = (
            await uow.session.execute(select(AuditEntry).where(AuditEntry.action == "withdraw"))
        ).scalar_one()
    assert entry.changes == {"before": {"status": "active"}, "after": {"status": "withdrawn"}}
    with pytest.raises(Conflict):
        await withdraw_contact(app, town.wang, logged.contact.id)


async def test_withdrawing_after_25_hours_is_refused_naming_the_24_hour_rule(
    app: App, town: Town, clock: FrozenClock
):
    logged = await log_contact(app, town.wang, draft(town.zhang_home))
    clock.advance(hours=25)

    assert await recent_own_contacts(app, town.wang) == []
    with pytest.raises(InvalidInput) as error:
        await withdraw_contact(app, town.wang, logged.contact.id)
    assert "within 24 hours" in message_of(error)
    with pytest.raises(InvalidInput):
        await correct_contact(app, town.wang, logged.contact.id, Correction(note="迟到的备注"))
    assert await count(app, Contact, Contact.status == ContactStatus.ACTIVE) == 1


async def test_nobody_else_may_withdraw_or_correct_a_contact(app: App, town: Town):
    logged = await log_contact(app, town.wang, draft(town.zhang_home))

    with pytest.raises(NotAllowed):
        await withdraw_contact(app, town.li, logged.contact.id)
    with pytest.raises(NotAllowed):
        await correct_contact(app, town.li, logged.contact.id, Correction(note="改一下"))
    with pytest.raises(NotAllowed):
        await withdraw_contact(app, town.wang, logged.contact.id + 999)


async def test_own_contact_corrected_within_24_hours_is_audited_before_and_after(
    app: App, town: Town, clock: FrozenClock
):
    logged = await log_contact(app, town.wang, draft(town.zhang_home, note="一切正常"))
    clock.advance(hours=2)

    changed = await correct_contact(
        app,
        town.wang,
        logged.contact.id,
        Correction(occurred_on=date(2026, 3, 9), channel=ContactChannel.WECHAT, note="已核实"),
    )

    assert changed.contact.occurred_on == date(2026, 3, 9)
    assert changed.contact.channel == ContactChannel.WECHAT
    assert not changed.flag_raised
    async with app.uow() as uow:
        entry = (
            await uow.session.execute(select(AuditEntry).where(AuditEntry.action == "correct"))
        ).scalar_one()
    assert entry.actor_id == town.wang.person_id
    assert entry.changes["before"] == {
        "occurred_on": "2026-03-10",
        "channel": "phone",
        "note": "一切正常",
    }
    assert entry.changes["after"] == {
        "occurred_on": "2026-03-09",
        "channel": "wechat",
        "note": "已核实",
    }


async def test_a_correction_follows_the_same_rules_as_logging(app: App, town: Town):
    logged = await log_contact(app, town.wang, draft(town.zhang_home))

    with pytest.raises(InvalidInput):
        await correct_contact(
            app, town.wang, logged.contact.id, Correction(occurred_on=TODAY + timedelta(1))
        )
    with pytest.raises(InvalidInput):
        await correct_contact(app, town.wang, logged.contact.id, Correction(note="x" * 1001))
    with pytest.raises(InvalidInput):
        await correct_contact(app, town.wang, logged.contact.id, Correction(channel="fax"))


async def test_a_guarantee_problem_added_by_a_correction_raises_a_red_flag(app: App, town: Town):
    logged = await log_contact(app, town.wang, draft(town.zhang_home))

    changed = await correct_contact(
        app, town.wang, logged.contact.id, Correction(problems=["medical"])
    )

    assert changed.flag_raised
    assert changed.contact.problems == ["medical"]
    assert await count(app, RedFlag, RedFlag.contact_id == logged.contact.id) == 1
    assert await count(app, OutboxMessage) == 1


async def test_a_problem_an_open_guarantee_flag_covers_raises_no_second_flag_or_alert(
    app: App, town: Town
):
    first = await log_contact(app, town.wang, draft(town.zhang_home, problems=["housing"]))
    again = await log_contact(app, town.wang, draft(town.zhang_home, problems=["housing"]))

    assert first.flag_raised
    assert not again.flag_raised
    assert again.already_flagged == ["housing"]
    assert await count(app, RedFlag) == 1
    assert await count(app, OutboxMessage) == 1


async def test_only_problems_not_yet_flagged_raise_a_new_flag(app: App, town: Town):
    await log_contact(app, town.wang, draft(town.zhang_home, problems=["housing"]))
    logged = await log_contact(
        app, town.wang, draft(town.zhang_home, problems=["housing", "water"])
    )

    assert logged.flag_raised
    assert logged.already_flagged == ["housing"]
    async with app.uow() as uow:
        flag = (
            await uow.session.execute(
                select(RedFlag).where(RedFlag.contact_id == logged.contact.id)
            )
        ).scalar_one()
    assert "饮水安全" in flag.reason
    assert "住房安全" not in flag.reason


async def test_a_closed_guarantee_flag_covers_nothing(app: App, town: Town):
    await log_contact(app, town.wang, draft(town.zhang_home, problems=["housing"]))
    async with app.uow() as uow:
        await uow.session.execute(update(RedFlag).values(status="closed"))
        await uow.commit()

    again = await log_contact(app, town.wang, draft(town.zhang_home, problems=["housing"]))

    assert again.flag_raised
    assert await count(app, RedFlag) == 2


async def test_a_mistyped_income_and_the_events_are_corrected_and_audited(app: App, town: Town):
    logged = await log_contact(app, town.wang, draft(town.zhang_home, income=Decimal(68000)))

    changed = await correct_contact(
        app,
        town.wang,
        logged.contact.id,
        Correction(income=Decimal(6800), events=["illness"]),
    )

    assert changed.contact.income == Decimal(6800)
    assert changed.contact.events == ["illness"]
    async with app.uow() as uow:
        household = await uow.session.get_one(Household, town.zhang_home.id)
        entry = (
            await uow.session.execute(
                select(AuditEntry).where(
                    AuditEntry.entity == "contact", AuditEntry.action == "correct"
                )
            )
        ).scalar_one()
    assert household.income == Decimal(6800)
    assert entry.changes["before"]["income"] == "68000.00"
    assert entry.changes["after"]["events"] == ["illness"]
    with pytest.raises(InvalidInput):
        await correct_contact(app, town.wang, logged.contact.id, Correction(income=Decimal(-1)))


async def test_withdrawing_a_contact_puts_back_the_income_it_set(app: App, town: Town):
    logged = await log_contact(app, town.wang, draft(town.zhang_home, income=Decimal(68000)))

    await withdraw_contact(app, town.wang, logged.contact.id)

    async with app.uow() as uow:
        household = await uow.session.get_one(Household, town.zhang_home.id)
        restored = (
            await uow.session.execute(
                select(AuditEntry)
                .where(AuditEntry.entity == "household")
                .order_by(AuditEntry.id.desc())
                .limit(1)
            )
        ).scalar_one()
    assert household.income == Decimal("5200.00")
    assert restored.changes["before"]["income"] == "68000.00"
    assert restored.changes["after"]["income"] == "5200.00"


async def test_withdrawing_keeps_a_later_contacts_income(app: App, town: Town):
    first = await log_contact(
        app,
        town.wang,
        draft(town.zhang_home, income=Decimal(6000), occurred_on=TODAY - timedelta(days=1)),
    )
    await log_contact(app, town.wang, draft(town.zhang_home, income=Decimal(7000)))

    await withdraw_contact(app, town.wang, first.contact.id)

    async with app.uow() as uow:
        household = await uow.session.get_one(Household, town.zhang_home.id)
    assert household.income == Decimal(7000)
