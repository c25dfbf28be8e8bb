"""The clerk at the console prints the six forms of one town of the county (`--town`)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.cli import main
from bot.config import Settings
from bot.storage.migrate import upgrade
from bot.telegram.app import build_app
from tests.town_builder import TownBuilder


async def two_towns(settings: Settings) -> None:
    """本镇 (the first town) with 河口村, 乙镇 with 山前村 and 柳树村, a household in each."""
    upgrade(settings.database_url)
    app = build_app(settings)
    build = TownBuilder(app)
    yi = await build.town("乙镇")
    for village, town in (("河口村", None), ("山前村", yi), ("柳树村", yi)):
        place = await build.village(village, town)
        await build.household(
            place, f"{village}户主", await build.person(f"{village}联系人", village=place)
        )
    await app.close()


def test_the_clerk_exports_one_towns_six_forms_and_an_unknown_town_is_named(
    console: Path, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    asyncio.run(two_towns(settings))

    assert main(["export", "forms", "--town", "乙镇", "--out", "yi"]) == 0
    written = sorted(path.name for path in (console / "yi").iterdir())
    assert len(written) == 12  # six forms for each of 乙镇's two villages
    assert {name.split("_")[0] for name in written} == {"山前村", "柳树村"}
    assert "12" in capsys.readouterr().out

    assert main(["export", "forms", "--town", "乙镇", "--village", "河口村", "--out", "x"]) == 1
    assert "河口村" in capsys.readouterr().err  # 本镇's village is not in 乙镇

    assert main(["export", "forms", "--town", "丙镇", "--out", "none"]) == 1
    refused = capsys.readouterr().err
    assert "丙镇" in refused and "乙镇" in refused and "本镇" in refused
    assert not (console / "none").exists()

    assert main(["export", "forms", "--out", "all"]) == 0
    assert len(list((console / "all").iterdir())) == 18
