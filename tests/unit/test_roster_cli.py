"""The clerk at the console: roster-template, import roster and demo-data."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from tests.fixtures.rosters import household_row, write_csv


def test_clerk_writes_the_template_fills_it_and_imports_it(
    console: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["roster-template", "花名册.xlsx"]) == 0
    assert "bangfu import roster '花名册.xlsx'" in capsys.readouterr().out
    assert main(["roster-template", "花名册.xlsx"]) == 1  # a filled roster is never overwritten
    assert "花名册.xlsx" in capsys.readouterr().err

    assert main(["import", "roster", "花名册.xlsx"]) == 0

    out = capsys.readouterr().out
    assert "新增 1 户" in out
    assert "bangfu invite --name='李春华' --role=contact --phone=13905641268" in out
    assert "bangfu invite --all --out=invites.xlsx" in out
    assert main(["import", "roster", "花名册.xlsx"]) == 0
    assert "新增 0 户" in capsys.readouterr().out


def test_a_roster_with_bad_rows_prints_every_row_in_chinese_and_exits_1(
    console: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = [household_row(1, 家庭人口数="0"), household_row(2), household_row(3, 类别="贫困户")]
    write_csv(console / "roster.csv", rows, encoding="gbk")

    assert main(["import", "roster", "roster.csv"]) == 1

    err = capsys.readouterr().err
    assert "没有导入" in err
    assert "第 2 行，家庭人口数：" in err
    assert "第 4 行，类别：" in err
    assert "第 3 行" not in err


def test_demo_data_fills_an_empty_database_once(
    console: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo-data"]) == 0
    out = capsys.readouterr().out
    assert "3 个村" in out and "bangfu invite --all --out=invites.xlsx" in out

    assert main(["demo-data"]) == 1
    assert "60" in capsys.readouterr().err
