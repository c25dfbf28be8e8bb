"""`bangfu run` as systemd and docker run it: a real process against the Bot API stand-in.
SIGTERM (or Ctrl-C's SIGINT) stops polling, lets the messages on the wire (a reply and an
outbox message) finish and be recorded, and exits 0."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import Settings
from bot.core.delivery.kinds import MessageKind
from bot.core.delivery.outbox import ChatAudience, OutboxStatus, queue
from bot.storage.models import OutboxMessage
from bot.storage.uow import App
from tests.telegram_api import FakeTelegram
from tests.town_builder import TownBuilder

STARTUP_SECONDS = 60  # imports, migrations, catch-up: a busy CI machine is slow at this


async def start_bangfu(settings: Settings, folder: Path) -> asyncio.subprocess.Process:
    """`bangfu run` in its own process, talking to the stand-in; output goes to files."""
    env = {key: value for key, value in os.environ.items() if key != "TOWN_OFFICE_CHAT_ID"}
    env |= {
        "BOT_TOKEN": settings.bot_token or "",
        "DATABASE_URL": settings.database_url,
        "TELEGRAM_API_URL": settings.telegram_api_url,
        "QUIET_HOURS_START": "0",  # never quiet: the real clock may say it is night
        "QUIET_HOURS_END": "0",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        cwd=folder,  # no .env there
        env=env,
        stdout=(folder / "stdout.txt").open("wb"),
        stderr=(folder / "stderr.txt").open("wb"),
    )


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_stop_signal_lets_the_sends_on_the_wire_finish_and_be_recorded_then_exits_0(
    app: App, settings: Settings, telegram: FakeTelegram, make_user, tmp_path: Path, sig
):
    user, writer = make_user("周主任"), make_user("李秀兰")
    town = TownBuilder(app)
    village = await town.village("河口村")
    wang = await town.person("王建华", village=village)
    await town.household(village, "张桂英", wang)  # the notice is not sent for nobody held
    async with app.uow() as uow:
        payload = {"person_id": wang.person_id, "households": 3, "days": 30, "last_entered": None}
        await queue(
            uow, settings, ChatAudience(user.id), "inactive", MessageKind.PERSON_INACTIVE, payload
        )
        await uow.commit()
    outbox_send = telegram.hold_next("sendMessage", chat_id=user.id)
    reply = telegram.hold_next("sendMessage", chat_id=writer.id)

    bangfu = await start_bangfu(settings, tmp_path)
    try:
        await asyncio.wait_for(outbox_send.arrived.wait(), STARTUP_SECONDS)
        await writer.send("/start", settle=False)
        await asyncio.wait_for(reply.arrived.wait(), 10)
        bangfu.send_signal(sig)
        await asyncio.sleep(0.5)  # time to act on it: stopping at once would lose the sends
        outbox_send.release()
        reply.release()
        status = await asyncio.wait_for(bangfu.wait(), 30)
    finally:
        if bangfu.returncode is None:
            bangfu.kill()
            await bangfu.wait()

    errors = (tmp_path / "stderr.txt").read_text(encoding="utf-8")
    assert status == 0, errors[-3000:]
    assert f"{sig.name} received" in errors
    [message] = user.messages
    assert "王建华" in message.text
    assert len(writer.messages) == 1  # the answer to /start
    async with app.uow() as uow:
        query = select(OutboxMessage).where(OutboxMessage.base_key == "inactive")
        row = (await uow.session.execute(query)).scalar_one()
    assert (row.status, row.parts_sent) == (OutboxStatus.SENT, 1)


async def test_a_stop_signal_during_start_up_stops_cleanly_with_0_before_polling(
    settings: Settings, telegram: FakeTelegram, tmp_path: Path
):
    """Start-up (the leader lock, migrations, getMe) may take long on a slow network: a
    SIGTERM then is a stop like any other, not the default death with status 143."""
    get_me = telegram.hold_next("getMe")  # Telegram slow to answer: still starting up

    bangfu = await start_bangfu(settings, tmp_path)
    try:
        await asyncio.wait_for(get_me.arrived.wait(), STARTUP_SECONDS)
        bangfu.send_signal(signal.SIGTERM)
        status = await asyncio.wait_for(bangfu.wait(), 30)
    finally:
        get_me.release()
        if bangfu.returncode is None:
            bangfu.kill()
            await bangfu.wait()

    errors = (tmp_path / "stderr.txt").read_text(encoding="utf-8")
    assert status == 0, errors[-3000:]
    assert "SIGTERM received" in errors
    assert telegram.calls("getUpdates") == []
