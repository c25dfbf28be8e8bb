"""The fault run: a month-end wave of digests through the real service, with everything that
goes wrong in the wild going wrong, while people write to the bot. Prints numbers.

    .venv/bin/python -m bench.fault_run            # 1,500 digests, 30 people writing
    .venv/bin/python -m bench.fault_run --quick    # 300 digests, 10 people writing

A temporary SQLite database (or --database-url, an empty PostgreSQL database) gets one
contact person per digest, each with one household not contacted this month; 1% of them
blocked the bot (403: undeliverable, as expected). The Bot API stand-in (tests/telegram_api)
runs here with Telegram's flood limits enforced (it answers 429 to a bot that sends too fast)
and, as the digests go out, refuses some with an injected 429, 500 or 502, and drops some
connections: half before it handled the call, half after (the person sees the message, the
bot never hears so and sends it again).

The service runs in a process of its own, exactly as `bangfu run` serves (leader lock, bot,
scheduler, sender) with its clock set to the 20th at 09:00, so catch-up queues the 20th's
digests. It is killed with SIGKILL at a quarter, a half and three quarters of the wave and
started again each time. Meanwhile each writer sends /help once, spread over the run (some
while the service is down). At the end the service is stopped with SIGTERM.

A double is a digest shown twice; each is put down to a send on the wire at a kill (its first
copy went out in the second before a kill) or to a connection dropped after the stand-in
accepted it; anything else is reported as unexplained.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select

from bot.clock import Clock
from bot.config import Settings, normalise_database_url
from bot.core.delivery.kinds import MessageKind
from bot.core.delivery.outbox import OutboxStatus
from bot.domain.model import Category, Role
from bot.storage.leader import leader_lock
from bot.storage.migrate import upgrade
from bot.storage.models import Assignment, Household, OutboxMessage, Person, Village
from bot.storage.uow import App
from bot.telegram.app import build_app, build_bot, serve
from tests.telegram_api import FakeTelegram, TelegramUser

TZ = ZoneInfo("Asia/Shanghai")
MOMENT = datetime(2026, 3, 20, 9, 0, tzinfo=TZ)  # the 20th's digests are due
TOKEN = "123456:FAULT-RUN"
FIRST_CHAT = 600_000_001
KILL_WINDOW = 1.0  # a double whose first copy went out this long before a kill: on the wire
DIGEST = "📋"  # how a digest begins, in Chinese and English


@dataclass(frozen=True)
class Plan:
    digests: int
    writers: int
    every_429: int  # an injected 429 every this many sends...
    every_5xx: int
    every_drop: int

    @property
    def blocked(self) -> int:
        return max(1, self.digests // 100)


FULL = Plan(digests=1500, writers=30, every_429=150, every_5xx=100, every_drop=125)
QUICK = Plan(digests=300, writers=10, every_429=60, every_5xx=50, every_drop=50)


class ShiftedClock(Clock):
    """Real time moved to the moment of the run: it goes on across restarts, retries fall
    due, and the month is the one the digests are for."""

    def __init__(self, tz: ZoneInfo, offset: float) -> None:
        super().__init__(tz)
        self.offset = timedelta(seconds=offset)

    def now(self) -> datetime:
        return super().now() + self.offset


def settings_for(database_url: str, api_url: str) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        bot_token=TOKEN,
        database_url=database_url,
        telegram_api_url=api_url,
        quiet_hours_start=0,  # never quiet: this is about delivery
        quiet_hours_end=0,
    )


async def child(database_url: str, api_url: str, offset: float) -> int:
    """The service as `bangfu run` serves it, on the shifted clock."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = settings_for(database_url, api_url)
    lock = leader_lock(settings.database_url)
    if not await lock.try_take():
        return 3
    app = build_app(settings, ShiftedClock(settings.tz, offset))
    bot = build_bot(settings)
    try:
        await serve(app, bot)
    finally:
        await bot.session.close()
        await app.close()
        await lock.release()
    return 0


async def seed(app: App, plan: Plan, writers: list[TelegramUser]) -> list[int]:
    """One contact person and household per digest; the writers are the first ones. Returns
    every contact person's chat."""
    chats = [user.id for user in writers]
    chats += [FIRST_CHAT + n for n in range(plan.digests - len(writers))]
    names = [user.first_name for user in writers]
    names += [f"联系人{n:04d}" for n in range(plan.digests - len(writers))]
    now = app.clock.now() - timedelta(days=40)
    async with app.uow() as uow:
        village = Village(name="大河村")
        uow.session.add(village)
        await uow.session.flush()
        people = await uow.session.execute(
            insert(Person).returning(Person.id, sort_by_parameter_order=True),
            [
                {
                    "name": name,
                    "role": Role.CONTACT,
                    "village_id": village.id,
                    "telegram_user_id": chat,
                    "active": True,
                    "created_at": now,
                }
                for name, chat in zip(names, chats, strict=True)
            ],
        )
        households = await uow.session.execute(
            insert(Household).returning(Household.id, sort_by_parameter_order=True),
            [
                {
                    "number": f"F{n:07d}",
                    "village_id": village.id,
                    "group_name": f"{1 + n % 9}组",
                    "head_name": f"农户{n:04d}",
                    "id_number": f"3415231970{n:08d}",
                    "members": 3,
                    "category": Category.MARGINAL,
                    "risk_types": [],
                    "status": "monitored",
                    "created_at": now,
                    "updated_at": now,
                }
                for n in range(plan.digests)
            ],
        )
        await uow.session.execute(
            insert(Assignment),
            [
                {"household_id": household, "person_id": person, "started_at": now}
                for person, household in zip(
                    list(people.scalars()), list(households.scalars()), strict=True
                )
            ],
        )
        await uow.commit()
    return chats


class Service:
    """The service's process: started, killed, started again, stopped."""

    def __init__(self, database_url: str, api_url: str, offset: float, log: Path) -> None:
        self.command = [sys.executable, "-m", "bench.fault_run", "--child", database_url, api_url]
        self.command.append(str(offset))
        self.log = log.open("ab")
        self.process: asyncio.subprocess.Process | None = None
        self.kills: list[datetime] = []  # when each kill was, as the stand-in dates messages

    async def start(self) -> None:
        self.process = await asyncio.create_subprocess_exec(
            *self.command, stdout=self.log, stderr=self.log
        )

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.kills.append(datetime.now(UTC))
        await self.process.wait()

    async def stop(self) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.process.wait(), 60)


class Faults:
    """Injects faults into the stand-in as the sends go by, each on a different digest a
    little ahead in the queue (rows go out oldest first)."""

    AHEAD = 40  # about a second and a half of sending ahead

    def __init__(self, telegram: FakeTelegram, plan: Plan, targets: list[int]) -> None:
        self.telegram = telegram
        self.plan = plan
        self.targets = targets  # chats a fault may wait for: quiet contact persons
        self.targeted: set[int] = set()
        self.injected: Counter[str] = Counter()

    async def run(self) -> None:
        next_at = {"429": self.plan.every_429, "5xx": self.plan.every_5xx}
        next_at["drop"] = self.plan.every_drop
        while True:
            sent = len(self.telegram.sends)
            for kind, at in next_at.items():
                if sent >= at:
                    self._inject(kind)
                    next_at[kind] = at + getattr(self.plan, f"every_{kind}")
            await asyncio.sleep(0.02)

    def _inject(self, kind: str) -> None:
        waiting = [
            chat
            for chat in self.targets
            if chat not in self.targeted and not self.telegram.messages_to(chat)
        ]
        if not waiting:
            return
        chat = waiting[min(self.AHEAD, len(waiting) - 1)]
        self.targeted.add(chat)
        number = self.injected[kind]
        if kind == "429":
            self.telegram.fail_next(
                "sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1, chat_id=chat
            )
        elif kind == "5xx":
            status, words = (502, "Bad Gateway") if number % 2 else (500, "Internal Server Error")
            self.telegram.fail_next("sendMessage", status, words, chat_id=chat)
        else:
            self.telegram.drop_next("sendMessage", after_accepting=bool(number % 2), chat_id=chat)
        self.injected[kind] += 1

    def given(self, kind: str) -> int:
        """Injected faults of that kind that happened (one whose chat was never sent to
        again, e.g. because it was sent while the fault was set up, still waits)."""
        waiting = sum(
            fault.times
            for fault in self.telegram.faults
            if (fault.status == 429) == (kind == "429")
        )
        return self.injected[kind] - waiting


async def writers_write(writers: list[TelegramUser], spread: float) -> None:
    for user in writers:
        await asyncio.sleep(spread / len(writers))
        await user.send("/help", settle=False)


async def run(plan: Plan, database_url: str | None, log: Path | None) -> None:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bangfu-fault-run-") as folder:
        url = normalise_database_url(database_url or f"sqlite:///{Path(folder) / 'fault.sqlite3'}")
        upgrade(url)
        async with FakeTelegram(enforce_limits=True, unknown_chat_error=False) as telegram:
            offset = (MOMENT - datetime.now(TZ)).total_seconds()
            settings = settings_for(url, telegram.url)
            app = build_app(settings, ShiftedClock(TZ, offset))
            writers = [TelegramUser(telegram, f"王{n:02d}") for n in range(plan.writers)]
            chats = await seed(app, plan, writers)
            blocked = chats[-plan.blocked :]
            for chat in blocked:
                telegram.block(chat)
            quiet = chats[plan.writers : -plan.blocked]
            faults = Faults(telegram, plan, quiet)
            service = Service(url, telegram.url, offset, log or Path(folder) / "service.log")
            await service.start()
            injecting = asyncio.create_task(faults.run())
            writing = asyncio.create_task(writers_write(writers, plan.digests / 28.5))
            for share in (0.25, 0.5, 0.75):
                await telegram.wait_for_sends(int(plan.digests * share), timeout=600)
                await service.kill()
                await service.start()
            await wait_until_done(app, telegram, writers, plan)
            status = await service.stop()
            injecting.cancel()
            writing.cancel()
            report(plan, telegram, await outbox_counts(app), writers, service, faults, status)
            print(f"elapsed: {time.monotonic() - started:.0f} s")
            await app.close()


async def outbox_counts(app: App) -> Counter[str]:
    async with app.uow() as uow:
        rows = await uow.session.execute(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.kind == MessageKind.CONTACT_DIGEST)
            .group_by(OutboxMessage.status)
        )
        return Counter({str(status): count for status, count in rows})


async def wait_until_done(
    app: App, telegram: FakeTelegram, writers: list[TelegramUser], plan: Plan
) -> None:
    """Until no digest is left to send and every writer got an answer (or ten minutes)."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        counts = await outbox_counts(app)
        settled = sum(counts.values()) - counts[OutboxStatus.QUEUED]
        if settled == plan.digests and all(_replied(user) for user in writers):
            return
        await asyncio.sleep(1)


def _replied(user: TelegramUser) -> bool:
    return any(user.first_name in message.text for message in user.messages)


def report(
    plan: Plan,
    telegram: FakeTelegram,
    counts: Counter[str],
    writers: list[TelegramUser],
    service: Service,
    faults: Faults,
    status: int,
) -> None:
    digests: dict[int, list[datetime]] = {}  # chat -> when each copy was shown
    for chat in list(telegram.chats):
        shown = [m.date for m in telegram.messages_to(chat) if m.text.startswith(DIGEST)]
        if shown:
            digests[chat] = shown
    dropped_after = {call.params.get("chat_id") for call, accepted in telegram.dropped if accepted}
    doubles = [chat for chat, shown in digests.items() if len(shown) > 1]
    by_drop = [chat for chat in doubles if chat in dropped_after]
    at_kill = [
        chat
        for chat in doubles
        if chat not in dropped_after
        and any(
            0 <= (kill - digests[chat][0]).total_seconds() <= KILL_WINDOW for kill in service.kills
        )
    ]
    injected = faults.given("429")
    enforced = telegram.retry_after_count - injected
    print(f"fault run: {plan.digests:,} digests, {plan.writers} people writing, 3 kill -9s")
    print(f"  digests delivered:   {len(digests):,} of {plan.digests - plan.blocked:,}")
    print(f"  replies delivered:   {sum(_replied(user) for user in writers)} of {plan.writers}")
    print(f"  doubles:             {sum(len(shown) - 1 for shown in digests.values())}")
    print(f"    on the wire at a kill:            {len(at_kill)}")
    print(f"    connection dropped after accepted: {len(by_drop)}")
    print(f"    unexplained:                       {len(doubles) - len(at_kill) - len(by_drop)}")
    print(
        f"  429s:                {telegram.retry_after_count} ({injected} "
        f"injected, {enforced} for sending too fast)"
    )
    after = sum(accepted for _, accepted in telegram.dropped)
    print(f"  5xx:                 {faults.given('5xx')}")
    print(
        f"  connections dropped: {len(telegram.dropped) - after} before the stand-in "
        f"handled the call, {after} after it accepted it"
    )
    print(
        f"  undeliverable:       {counts[OutboxStatus.UNDELIVERABLE]} "
        f"(blocked the bot: {plan.blocked}, expected)"
    )
    print(f"  outbox digest rows:  {dict(counts)}")
    print(f"  service stopped with SIGTERM: exit status {status}")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        database, api, shift = sys.argv[2:5]
        raise SystemExit(asyncio.run(child(database, api, float(shift))))
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 digests, 10 people writing")
    parser.add_argument("--database-url", help="an empty PostgreSQL database instead of SQLite")
    parser.add_argument("--log", type=Path, help="keep the service's log in this file")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    plan = QUICK if arguments.quick else FULL
    asyncio.run(run(plan, arguments.database_url, arguments.log))
