"""The summary one can read on a phone (issue 9, point 10): the chart shows the town's total,
what is left and the red flags with a legend, and mid-month its colours follow the days
left (a village at 50% on the 10th is on track, the same 50% at the month's end is not);
the message names the households not contacted instead of pointing at the spreadsheet."""

from __future__ import annotations

from datetime import date, datetime
from io import BytesIO

from PIL import Image

from bot.clock import FrozenClock
from bot.documents.summary_chart import AMBER, GREEN, RED
from bot.domain.model import ContactChannel, Role
from bot.storage.uow import App
from tests.telegram_api import BotMessage, StoredFile, TelegramUser
from tests.town_builder import TownBuilder

A_BAR = 2000  # pixels: a bar of a few percent is more than this; a legend patch far less


def pixels(photo: StoredFile | None, colour: str) -> int:
    """How many pixels of the chart are exactly this colour (bars are flat colour)."""
    assert photo is not None
    image = Image.open(BytesIO(photo.data)).convert("RGB")
    wanted = tuple(int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return sum(1 for pixel in image.getdata() if pixel == wanted)


async def summary_of(user: TelegramUser, command: str) -> tuple[BotMessage, BotMessage]:
    await user.send(command)
    text, chart, _workbook = [await user.next_message() for _ in range(3)]
    return text, chart


async def test_mid_month_colours_follow_the_pace_and_the_text_names_who_is_left(
    app: App, clock: FrozenClock, running_bot, make_user
) -> None:  # type: ignore[no-untyped-def]
    builder = TownBuilder(app)
    clerk, tom = make_user("周主任"), make_user("Tom", language_code="en")
    clock.set(datetime(2026, 1, 15, 10, tzinfo=clock.tz))
    dahe, liushu = await builder.village("大河村"), await builder.village("柳树村")
    await builder.person("周主任", Role.TOWN_OFFICE, telegram_user_id=clerk.id)
    await builder.person("Tom", Role.TOWN_OFFICE, telegram_user_id=tom.id, language="en")
    wang = await builder.person("王建国", Role.CONTACT, dahe)
    li = await builder.person("李秀兰", Role.CONTACT, liushu)
    dahe_homes = [await builder.household(dahe, name, wang) for name in ("张桂英", "陈德明")]
    dahe_homes += [await builder.household(dahe, name, wang) for name in ("周玉珍", "吴长林")]
    liushu_homes = [
        await builder.household(liushu, name, li)
        for name in ("赵金山", "刘长林", "孙小梅", "钱多多", "郑春花")
    ]
    # February: 大河村 half contacted, 柳树村 one in five. March, up to the 10th: the same.
    for month, day in ((2, 12), (3, 6)):
        clock.set(datetime(2026, month, day, 18, tzinfo=clock.tz))
        for household in dahe_homes[:2]:
            await builder.contact(household, wang, date(2026, month, day), ContactChannel.PHONE)
        await builder.contact(liushu_homes[0], li, date(2026, month, day), ContactChannel.PHONE)
    await builder.flag(liushu_homes[1], "因病")
    clock.set(datetime(2026, 3, 10, 10, tzinfo=clock.tz))

    text, chart = await summary_of(clerk, "/summary 2026-03")
    assert "截至 2026-03-10" in chart.text
    # On the 10th, 50% is on track (green); 20% is far behind (red); nobody is amber.
    assert pixels(chart.photo, GREEN) > A_BAR
    assert pixels(chart.photo, RED) > A_BAR
    assert pixels(chart.photo, AMBER) < A_BAR
    assert "⚠️ 6 户没有联系：" in text.text and "名单见表格" not in text.text
    assert "🏘 大河村（2 户）：吴长林（1组）、周玉珍（1组）" in text.text
    assert "🏘 柳树村（4 户）：刘长林（1组）、钱多多（1组）、孙小梅（1组）、郑春花（1组）" in (
        text.text
    )

    # The same 50% when the month is over: behind.
    _text, february = await summary_of(clerk, "/summary 2026-02")
    assert "截至" not in february.text
    assert pixels(february.photo, GREEN) < A_BAR
    assert pixels(february.photo, RED) > 2 * A_BAR

    english, _chart = await summary_of(tom, "/summary 2026-03")
    assert "⚠️ 6 households were not contacted:" in english.text
    assert "🏘 柳树村 (4):" in english.text
