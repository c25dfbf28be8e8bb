"""A whole month of the escalation ladder for the demo town, in seconds: the clock moves,
the jobs wake as the scheduler would wake them, and the outbox shows who got what, when."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.cli import build_parser
from bot.clock import FrozenClock, Month
from bot.core.contacts.contact_log import ContactDraft, log_contact, new_draft_key
from bot.core.demo import fill_demo_town
from bot.core.policy import Actor
from bot.domain.model import ContactChannel, Role
from bot.i18n import use_language
from bot.storage.models import Assignment, Contact, Household, OutboxMessage, Person, Village
from bot.storage.uow import App
from bot.telegram.app import build_app
from bot.telegram.session import pacer_of
from scheduler import start_scheduler
from scheduler.catchup import catch_up
from scheduler.jobs import JOBS
from scheduler.sender import OutboxSender
from tests.e2e import conversations
from tests.e2e.contact_people import ContactPeople

MARCH = Month(2026, 3)
TZ = ZoneInfo("Asia/Shanghai")
LADDER_KINDS = ("contact_digest", "village_list", "town_list")


@dataclass
class Ledger:
    """The test's own account of the month, kept apart from the code under test: which
    households are still uncontacted, and what the outbox received on each day."""

    app: App
    clock: FrozenClock
    contact_person: dict[int, int] = field(default_factory=dict)  # household -> person
    village: dict[int, int] = field(default_factory=dict)  # household -> village
    uncontacted: set[int] = field(default_factory=set)
    received: dict[tuple[int, str], dict[object, list[int]]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    seen: int = 0

    async def load(self) -> None:
        async with self.app.uow() as uow:
            rows = await uow.session.execute(
                select(Household.id, Household.village_id, Assignment.person_id).join(
                    Assignment, Assignment.household_id == Household.id
                )
            )
            for household_id, village_id, person_id in rows:
                self.contact_person[household_id] = person_id
                self.village[household_id] = village_id
            contacted = set(
                (
                    await uow.session.execute(
                        select(Contact.household_id).where(Contact.occurred_on >= MARCH.first_day)
                    )
                ).scalars()
            )
            self.seen = max(
                (await uow.session.execute(select(OutboxMessage.id))).scalars(), default=0
            )
        self.uncontacted = set(self.contact_person) - contacted

    async def contact(self, household_id: int) -> None:
        """The household's contact person logs a phone call today, through the real service."""
        async with self.app.uow() as uow:
            person = await uow.session.get(Person, self.contact_person[household_id])
            assert person is not None
        actor = Actor(person.id, person.name, Role(person.role), person.village_id, person.town_id)
        draft = ContactDraft(
            draft_key=new_draft_key(),
            household_id=household_id,
            channel=ContactChannel.PHONE,
            occurred_on=self.clock.today(),
        )
        await log_contact(self.app, actor, draft)
        self.uncontacted.discard(household_id)

    async def collect(self) -> list[OutboxMessage]:
        """Outbox rows written since the last look, filed under today's date."""
        async with self.app.uow() as uow:
            rows = list(
                (
                    await uow.session.execute(
                        select(OutboxMessage)
                        .where(OutboxMessage.id > self.seen)
                        .order_by(OutboxMessage.id)
                    )
                ).scalars()
            )
        for row in rows:
            self.seen = row.id
            if row.kind not in LADDER_KINDS:
                continue
            subject = row.payload.get("person_id") or row.payload.get("village_id") or "town"
            day = self.clock.today().day
            assert subject not in self.received[(day, row.kind)], f"{row.key} twice on {day}"
            self.received[(day, row.kind)][subject] = sorted(row.payload["household_ids"])
        return rows

    def expected_digests(self) -> dict[object, list[int]]:
        by_person: dict[object, list[int]] = defaultdict(list)
        for household_id in self.uncontacted:
            by_person[self.contact_person[household_id]].append(household_id)
        return {person: sorted(ids) for person, ids in by_person.items()}

    def expected_village_lists(self) -> dict[object, list[int]]:
        by_village: dict[object, list[int]] = defaultdict(list)
        for household_id in self.uncontacted:
            by_village[self.village[household_id]].append(household_id)
        return {village: sorted(ids) for village, ids in by_village.items()}

    def of_person(self, name_index: int) -> set[int]:
        people = sorted({self.contact_person[h] for h in self.uncontacted})
        person = people[name_index]
        return {h for h in self.uncontacted if self.contact_person[h] == person}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(date(2026, 3, day), time(hour, minute), TZ)


@pytest.fixture
async def ledger(app: App, clock: FrozenClock) -> Ledger:
    await fill_demo_town(app)
    book = Ledger(app, clock)
    await book.load()
    return book


def ladder_rows(rows: list[OutboxMessage]) -> list[OutboxMessage]:
    return [row for row in rows if row.kind in LADDER_KINDS]


async def wake_at(ledger: Ledger, moment: datetime) -> list[OutboxMessage]:
    await wake_at_moment(ledger.app, ledger.clock, moment)
    return await ledger.collect()


async def test_a_month_of_reminders_reaches_exactly_who_is_behind_on_the_right_days(
    app: App, clock: FrozenClock, ledger: Ledger, settings, capsys
) -> None:  # type: ignore[no-untyped-def]
    assert ledger.uncontacted, "the demo town should start the month with work left"
    expected: dict[tuple[int, str], dict[object, list[int]]] = {}

    for day in range(11, 32):
        # The bot is down all morning on the 29th and comes back at 14:00: the missed 09:00
        # digest runs then, once.
        await wake_at(ledger, at(day, 14 if day == 29 else 9))
        if day in (20, 25, 29, 30, 31):
            expected[(day, "contact_digest")] = ledger.expected_digests()
        if day == 27:
            expected[(day, "village_list")] = ledger.expected_village_lists()
        if day == 31:
            expected[(day, "town_list")] = {"town": sorted(ledger.uncontacted)}

        if day == 20:
            # Woken twice, and run again by hand: nothing new is queued.
            assert ladder_rows(await wake_at(ledger, at(20, 9, 1))) == []
            args = build_parser().parse_args(
                ["jobs", "run", "contact_digest", "--at", "2026-03-20 09:00"]
            )
            with use_language("en"):
                assert await args.handler(settings, args) == 0
            assert "nothing new to queue" in capsys.readouterr().out
            assert ladder_rows(await ledger.collect()) == []
        if day == 25:
            # A restart in the afternoon: a new process, same database; nothing is repeated.
            restarted = build_app(settings, clock)
            clock.set(at(25, 15))
            await catch_up(restarted)
            await restarted.close()
            assert ladder_rows(await ledger.collect()) == []
        if day == 29:
            assert ladder_rows(await wake_at(ledger, at(29, 14, 10))) == []

        # People work through their lists in the afternoons.
        clock.set(at(day, 17))
        if day == 12:
            for household_id in ledger.of_person(0):
                await ledger.contact(household_id)
        if day in (21, 26):
            for household_id in sorted(ledger.uncontacted)[::3]:
                await ledger.contact(household_id)
        if day == 28:
            for household_id in ledger.of_person(1):
                await ledger.contact(household_id)
        await ledger.collect()

    await wake_at(ledger, datetime.combine(date(2026, 4, 1), time(9), clock.tz))

    assert dict(ledger.received) == expected
    # The 29th's catch-up ran in the afternoon, as the 29th's step.
    async with app.uow() as uow:
        late = (
            (
                await uow.session.execute(
                    select(OutboxMessage).where(OutboxMessage.key.like("%:2026-03:d29%"))
                )
            )
            .scalars()
            .all()
        )
    assert late and all(row.created_at == at(29, 14) for row in late)
    async with app.uow() as uow:
        town_lists = (
            await uow.session.execute(
                select(OutboxMessage.recipient).where(OutboxMessage.kind == "town_list")
            )
        ).all()
    assert town_lists == [("town_office",)]


async def test_a_village_without_an_admin_has_its_list_sent_to_the_town_office(
    app: App, clock: FrozenClock, ledger: Ledger
) -> None:
    async with app.uow() as uow:
        villages = list((await uow.session.execute(select(Village).order_by(Village.id))).scalars())
        admin = Person(
            name="孙书记",
            role=Role.VILLAGE_ADMIN,
            village_id=villages[0].id,
            telegram_user_id=5550001,
            active=True,
            created_at=clock.now(),
        )
        uow.session.add(admin)
        await uow.commit()
    rows = await wake_at(ledger, at(27, 9))
    lists = {row.payload["village_id"]: row for row in rows if row.kind == "village_list"}
    assert set(lists) <= {village.id for village in villages}
    assert lists[villages[0].id].recipient == f"person:{admin.id}"
    for village in villages[1:]:
        if village.id in lists:
            assert lists[village.id].recipient == "town_office"


async def test_on_the_20th_a_contact_person_gets_one_digest_and_taps_a_household_to_log_it(
    app: App, clock: FrozenClock, running_bot, make_user, register_person, add_household, assign
) -> None:  # type: ignore[no-untyped-def]
    people = ContactPeople(app, make_user, register_person, add_household, assign)
    wang = await people("王建国", ["张桂英", "陈德明", "周玉珍"])
    await conversations.log_contact(wang.phone, "陈德明（一组）")
    wang.phone.read_all()
    pacer_of(running_bot.bot).chat_limits = False  # content, not pacing
    sender = OutboxSender(app, running_bot.bot)

    await wake_at_moment(app, clock, at(19, 9))
    await sender.drain_once()
    await wang.phone.expect_no_message()

    await wake_at_moment(app, clock, at(20, 9))
    await sender.drain_once()
    digest = await wang.phone.expect("本月还有 2 户没有联系")
    assert "每月至少联系一次，本月还剩 12 天" in digest.text
    assert "陈德明" not in digest.text
    assert sorted(digest.button_texts) == ["✍️ 周玉珍（一组）", "✍️ 张桂英（一组）"]
    await wang.phone.expect_no_message()  # one message, not one per household

    await wang.phone.press("✍️ 张桂英（一组）", digest)
    assert "这次是怎么联系的" in wang.phone.last_message.text


async def wake_at_moment(app: App, clock: FrozenClock, moment: datetime) -> None:
    """The clock reaches `moment` and the scheduler wakes (trigger or start: one code path)."""
    clock.set(moment)
    await catch_up(app)


async def test_starting_the_service_catches_up_then_schedules_every_job(
    app: App, clock: FrozenClock, running_bot, make_user, register_person, add_household, assign
) -> None:  # type: ignore[no-untyped-def]
    people = ContactPeople(app, make_user, register_person, add_household, assign)
    wang = await people("王建国", ["张桂英"])
    clock.set(at(20, 11))  # the service was down at 09:00

    running = await start_scheduler(app, running_bot.bot)
    try:
        assert {job.id for job in running.jobs.get_jobs()} == {*JOBS, "nightly_backup"}
        assert all(job.next_run_time is not None for job in running.jobs.get_jobs())
        digest = await wang.phone.expect("本月还有 1 户没有联系")
        assert digest.button_texts == ["✍️ 张桂英（一组）"]
    finally:
        await running.stop()
    assert not running.jobs.running
