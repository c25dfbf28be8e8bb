"""A household's page as a clerk reads it: the audit trail in words in the reader's language
(who, when, what happened, the fields by their labels, people by name), read in one unit
of work."""

from __future__ import annotations

from datetime import date

import pytest
from aiohttp.test_utils import TestClient

from bot.core.contacts.contact_log import log_contact
from bot.core.contacts.corrections import Correction, correct_contact
from bot.core.households.record import household_record
from bot.core.policy import CLI_OPERATOR
from bot.core.roster.changes import MeetingRecord, adjust_out, change_category, reassign
from bot.domain.model import Category
from bot.storage import uow as uow_module
from bot.storage.uow import App
from tests.unit.test_contacts import draft
from tests.web.conftest import Town, sign_in


def audit_of(page: str) -> str:
    return page.split('class="audit stacked"')[1].split("</table>")[0]


async def _worked_on(app: App, town: Town) -> None:
    """A phone call with a water problem, corrected to a housing one; the household handed
    to the village admin; an ID number changed by a roster import."""
    household = town.dahe[1]
    logged = await log_contact(app, town.contact, draft(household, problems=["water"]))
    await correct_contact(app, town.contact, logged.contact.id, Correction(problems=["housing"]))
    await reassign(app, town.office, household.id, town.admin.person_id or 0)
    async with app.uow() as uow:
        uow.audit_by(
            CLI_OPERATOR,
            "household",
            household.id,
            "update",
            {"before": {"id_number": household.id_number}, "after": {"id_number": "x" * 18}},
        )
        await uow.commit()


async def test_the_audit_trail_reads_in_chinese_words_with_names(
    client: TestClient, app: App, town: Town
) -> None:
    await _worked_on(app, town)
    await sign_in(client, app, town.office)
    page = await (await client.get(f"/web/households/{town.dahe[1].id}")).text()
    audit = audit_of(page)
    for raw in ("household_id", "person_id", "problems", "occurred_on", "photo_file_id"):
        assert raw not in audit, raw
    assert "2026-03-10 的走访记录" in audit and "更正" in audit  # the contact, corrected
    assert "饮水安全无保障 → 住房安全无保障" in audit  # problems by their wording
    assert "电话" in audit  # the channel by its label
    # the assignment ended and the new one: the people by name, who did it
    assert "分配帮扶联系人" in audit and "结束帮扶联系" in audit
    assert "大河村支书" in audit and "王帮扶" in audit and "周主任" in audit
    assert "系统管理员（命令行）" in audit  # the roster import
    assert town.dahe[1].id_number not in page  # masked inside before / after too


async def test_the_audit_trail_reads_in_english_too(
    client: TestClient, app: App, town: Town
) -> None:
    await _worked_on(app, town)
    await sign_in(client, app, town.office)
    await client.get("/web/language/en?back=/web/")
    audit = audit_of(await (await client.get(f"/web/households/{town.dahe[1].id}")).text())
    assert "contact of 2026-03-10 · corrected" in audit
    assert "Drinking water not safe → Housing not safe" in audit
    assert "Contact person" in audit and "大河村支书" in audit
    assert "the operator (command line)" in audit and "household_id" not in audit


async def test_the_household_record_is_read_in_one_unit_of_work(
    app: App, town: Town, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[object] = []
    enter = uow_module.UnitOfWork.__aenter__

    async def counted(self: uow_module.UnitOfWork) -> uow_module.UnitOfWork:
        opened.append(self)
        return await enter(self)

    monkeypatch.setattr(uow_module.UnitOfWork, "__aenter__", counted)
    record = await household_record(app, town.office, town.dahe[0].id)
    assert record.card.head_name == "张桂英" and record.history.household.id == town.dahe[0].id
    assert len(opened) == 1


async def test_roster_changes_read_in_words_on_the_page_and_in_the_audit(
    client: TestClient, app: App, town: Town
) -> None:
    household = town.dahe[2]
    meeting = MeetingRecord(date(2026, 3, 8), "村民代表大会评议")
    await change_category(app, town.office, household.id, Category.LIFTED_POLICY, meeting)
    await adjust_out(app, town.office, household.id, meeting)
    await sign_in(client, app, town.office)
    page = await (await client.get(f"/web/households/{household.id}")).text()
    changes = page.split("<h2>动态调整记录</h2>")[1].split("</section>")[0]
    assert "类别调整 · 边缘户 → 享受政策脱贫户" in changes
    assert "动态调整退出监测 · 监测中 → 已调出（动态调整）" in changes
    audit = audit_of(page)
    assert "农户 · 类别调整" in audit and "边缘户 → 享受政策脱贫户" in audit
    assert "监测中 → 已调出（动态调整）" in audit and "村民代表大会评议" in audit
    assert "adjusted_out" not in page and "marginal" not in page
