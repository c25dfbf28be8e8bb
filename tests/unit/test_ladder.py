"""The escalation ladder's calendar: which step falls on which local day and hour."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Month, days_left_in_month
from bot.config import Settings
from scheduler.jobs import JOBS, LadderTrigger
from scheduler.ladder import (
    LadderJob,
    digest_days,
    latest_moment,
    moments,
    next_moment,
    step_of,
)

TZ = ZoneInfo("Asia/Shanghai")


def at(day: str, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), datetime.min.time(), TZ).replace(
        hour=hour, minute=minute
    )


def test_contact_persons_are_reminded_on_the_20th_25th_and_each_of_the_last_three_days(
    settings: Settings,
) -> None:
    assert digest_days(settings, Month(2026, 3)) == [20, 25, 29, 30, 31]
    assert digest_days(settings, Month(2026, 4)) == [20, 25, 28, 29, 30]
    assert digest_days(settings, Month(2026, 2)) == [20, 25, 26, 27, 28]


def test_a_reminder_day_inside_the_last_days_is_not_doubled() -> None:
    settings = Settings(_env_file=None, reminder_days="20,27", reminder_daily_last_days=3)  # type: ignore[call-arg]
    assert digest_days(settings, Month(2026, 2)) == [20, 26, 27, 28]


def test_village_admins_on_the_27th_and_the_town_office_on_the_last_day_at_nine(
    settings: Settings,
) -> None:
    assert moments(LadderJob.VILLAGE_LIST, settings, Month(2026, 3)) == [at("2026-03-27")]
    assert moments(LadderJob.TOWN_LIST, settings, Month(2026, 2)) == [at("2026-02-28")]
    assert moments(LadderJob.TOWN_LIST, settings, Month(2028, 2)) == [at("2028-02-29")]
    assert len(moments(LadderJob.PEOPLE_CHECK, settings, Month(2026, 4))) == 30


def test_the_ladder_hour_is_a_setting() -> None:
    settings = Settings(_env_file=None, reminder_hour=7, village_escalation_day=26)  # type: ignore[call-arg]
    assert moments(LadderJob.VILLAGE_LIST, settings, Month(2026, 3)) == [at("2026-03-26", 7)]


def test_latest_moment_looks_back_only_within_the_month(settings: Settings) -> None:
    digest = LadderJob.CONTACT_DIGEST
    assert latest_moment(digest, settings, at("2026-03-20", 8, 59)) is None
    assert latest_moment(digest, settings, at("2026-03-20", 9)) == at("2026-03-20")
    assert latest_moment(digest, settings, at("2026-03-24", 23)) == at("2026-03-20")
    assert latest_moment(digest, settings, at("2026-04-01", 10)) is None
    assert latest_moment(LadderJob.PEOPLE_CHECK, settings, at("2026-03-10", 10)) == at("2026-03-10")


def test_next_moment_crosses_into_the_next_month(settings: Settings) -> None:
    assert next_moment(LadderJob.CONTACT_DIGEST, settings, at("2026-03-31", 9, 1)) == at(
        "2026-04-20"
    )
    assert next_moment(LadderJob.TOWN_LIST, settings, at("2026-03-31", 9)) == at("2026-03-31")


def test_the_scheduler_trigger_fires_at_each_ladder_moment_in_turn(settings: Settings) -> None:
    trigger = LadderTrigger(LadderJob.CONTACT_DIGEST, settings)
    fired = []
    previous = None
    now = at("2026-03-10", 10)
    for _ in range(6):
        upcoming = trigger.get_next_fire_time(previous, now)
        assert upcoming is not None
        fired.append(upcoming)
        previous, now = upcoming, upcoming + timedelta(seconds=5)
    assert [moment.day for moment in fired] == [20, 25, 29, 30, 31, 20]
    assert all(moment.hour == 9 and moment.tzinfo is not None for moment in fired)


def test_flag_realerts_are_checked_every_ten_minutes(settings: Settings) -> None:
    trigger = JOBS["flag_realerts"].trigger(settings)
    upcoming = trigger.get_next_fire_time(None, at("2026-03-10", 10, 3))
    assert upcoming == at("2026-03-10", 10, 10)


def test_steps_name_the_day_and_days_left_count_today(settings: Settings) -> None:
    assert step_of(at("2026-03-25"), settings) == "d25"
    assert days_left_in_month(date(2026, 3, 20)) == 12
    assert days_left_in_month(date(2026, 3, 31)) == 1
