"""The red-flags board and a flag's page: the bot's acts on a flag as forms, checked by the
same use cases (who may, in which state), audited, and refused outside the reader's reach."""

from __future__ import annotations

from datetime import date, timedelta

from aiohttp.test_utils import TestClient
from sqlalchemy import select

from bot.domain.model import FlagStatus
from bot.storage.models import AssistanceMeasure, AuditEntry, FlagStep, RedFlag
from bot.storage.uow import App
from tests.town_builder import TownBuilder
from tests.web.conftest import Town, sign_in


async def _flag(app: App, flag_id: int) -> RedFlag:
    async with app.uow() as uow:
        flag = await uow.session.get(RedFlag, flag_id)
        assert flag is not None
        return flag


async def _audit_actions(app: App, entity: str, entity_id: int) -> list[str]:
    async with app.uow() as uow:
        rows = await uow.session.execute(
            select(AuditEntry.action)
            .where(AuditEntry.entity == entity, AuditEntry.entity_id == entity_id)
            .order_by(AuditEntry.id)
        )
        return list(rows.scalars())


async def test_board_shows_flags_in_columns_and_marks_the_overdue(
    app: App, town: Town, client: TestClient
) -> None:
    build = TownBuilder(app)
    raised = await build.flag(town.dahe[0], "房屋漏雨")
    late = await build.flag(town.dahe[1], "医疗费用高", status=FlagStatus.ACKNOWLEDGED)
    async with app.uow() as uow:
        flag = await uow.session.get(RedFlag, late.id)
        assert flag is not None
        flag.deadline = date(2026, 3, 1)  # today is 10 March
        await uow.commit()
    await sign_in(client, app, town.office)

    page = await (await client.get("/web/flags")).text()
    assert 'id="column-raised"' in page and 'id="column-measures"' in page
    assert f'id="flag-{raised.id}"' in page and "房屋漏雨" in page
    assert "flagcard overdue" in page and "2026-03-01" in page

    only_late = await (await client.get("/web/flags?overdue=1")).text()
    assert "医疗费用高" in only_late and "房屋漏雨" not in only_late
    only_raised = await (await client.get("/web/flags?stage=raised")).text()
    assert "房屋漏雨" in only_raised and "医疗费用高" not in only_raised


async def test_village_admin_sees_only_their_village_and_cannot_open_another(
    app: App, town: Town, client: TestClient
) -> None:
    build = TownBuilder(app)
    await build.flag(town.dahe[0], "大河村的风险")
    other = await build.flag(town.shimen[0], "石门村的风险")
    await sign_in(client, app, town.admin)

    page = await (await client.get("/web/flags")).text()
    assert "大河村的风险" in page and "石门村的风险" not in page
    response = await client.get(f"/web/flags/{other.id}")
    assert response.status == 404
    assert "石门村的风险" not in await response.text()
    assert (await client.get("/web/flags/999999")).status == 404


async def test_town_office_acknowledges_and_sets_a_deadline_from_the_board(
    app: App, town: Town, client: TestClient
) -> None:
    flag = await TownBuilder(app).flag(town.dahe[0], "房屋漏雨")
    csrf = await sign_in(client, app, town.office)

    acknowledged = await client.post(
        f"/web/flags/{flag.id}/acknowledge",
        data={"csrf": csrf, "back": "board"},
        allow_redirects=False,
    )
    assert acknowledged.status == 303
    assert acknowledged.headers["Location"] == f"/web/flags?done=ack#flag-{flag.id}"
    assert (await _flag(app, flag.id)).status == FlagStatus.ACKNOWLEDGED

    deadline = await client.post(
        f"/web/flags/{flag.id}/deadline", data={"csrf": csrf, "days": "15"}
    )
    assert deadline.status == 200
    assert "期限已设定" in await deadline.text()  # the page says what was done
    assert (await _flag(app, flag.id)).deadline == date(2026, 3, 10) + timedelta(days=15)
    assert await _audit_actions(app, "red_flag", flag.id) == ["acknowledge", "set_deadline"]

    again = await client.post(f"/web/flags/{flag.id}/acknowledge", data={"csrf": csrf})
    assert again.status == 409
    assert "周主任" in await again.text()  # who was first, in the reader's words
    wrong = await client.post(f"/web/flags/{flag.id}/deadline", data={"csrf": csrf, "days": "9"})
    assert wrong.status == 400


async def test_village_admin_cannot_act_as_the_town_office(
    app: App, town: Town, client: TestClient
) -> None:
    flag = await TownBuilder(app).flag(town.dahe[0], "房屋漏雨")
    csrf = await sign_in(client, app, town.admin)
    for action, data in (("acknowledge", {}), ("deadline", {"days": "7"})):
        response = await client.post(f"/web/flags/{flag.id}/{action}", data={"csrf": csrf, **data})
        assert response.status == 403, action
    assert (await _flag(app, flag.id)).status == FlagStatus.RAISED


async def test_a_post_without_csrf_is_refused_and_changes_nothing(
    app: App, town: Town, client: TestClient
) -> None:
    flag = await TownBuilder(app).flag(town.dahe[0], "房屋漏雨")
    await sign_in(client, app, town.office)
    response = await client.post(f"/web/flags/{flag.id}/acknowledge", data={})
    assert response.status == 403
    forged = await client.post(f"/web/flags/{flag.id}/acknowledge", data={"csrf": "0" * 64})
    assert forged.status == 403
    assert (await _flag(app, flag.id)).status == FlagStatus.RAISED


async def test_removal_requested_by_the_village_approved_by_the_town_and_closed_by_the_county(
    app: App, town: Town, client: TestClient
) -> None:
    flag = await TownBuilder(app).flag(town.dahe[0], "房屋漏雨", status=FlagStatus.ACKNOWLEDGED)
    admin_csrf = await sign_in(client, app, town.admin)
    empty = await client.post(
        f"/web/flags/{flag.id}/removal", data={"csrf": admin_csrf, "reason": " "}
    )
    assert empty.status == 400
    requested = await client.post(
        f"/web/flags/{flag.id}/removal", data={"csrf": admin_csrf, "reason": "房屋已修缮"}
    )
    assert requested.status == 200 and "房屋已修缮" in await requested.text()
    # the village admin cannot approve their own request
    refused = await client.post(
        f"/web/flags/{flag.id}/review", data={"csrf": admin_csrf, "decision": "approve"}
    )
    assert refused.status == 403

    office_csrf = await sign_in(client, app, town.office)
    no_reason = await client.post(
        f"/web/flags/{flag.id}/review", data={"csrf": office_csrf, "decision": "reject"}
    )
    assert no_reason.status == 400
    approved = await client.post(
        f"/web/flags/{flag.id}/review", data={"csrf": office_csrf, "decision": "approve"}
    )
    assert approved.status == 200
    assert (await _flag(app, flag.id)).removal_approved_at is not None

    future = await client.post(
        f"/web/flags/{flag.id}/county",
        data={"csrf": office_csrf, "decided_on": "2026-03-20", "document": "县扶发〔2026〕3号"},
    )
    assert future.status == 400
    closed = await client.post(
        f"/web/flags/{flag.id}/county",
        data={"csrf": office_csrf, "decided_on": "2026-03-10", "document": "县扶发〔2026〕3号"},
    )
    assert closed.status == 200 and "县扶发〔2026〕3号" in await closed.text()
    done = await _flag(app, flag.id)
    assert done.status == FlagStatus.CLOSED and done.county_decided_on == date(2026, 3, 10)
    async with app.uow() as uow:
        kinds = (
            await uow.session.execute(
                select(FlagStep.kind).where(FlagStep.flag_id == flag.id).order_by(FlagStep.id)
            )
        ).scalars()
        assert list(kinds) == ["removal_requested", "removal_approved", "county_decision"]
    assert await _audit_actions(app, "red_flag", flag.id) == [
        "removal_requested",
        "removal_approved",
        "county_decision",
    ]
    board = await (await client.get("/web/flags?stage=closed")).text()
    assert f'id="flag-{flag.id}"' in board


async def test_town_rejects_a_removal_and_the_flag_is_acknowledged_again(
    app: App, town: Town, client: TestClient
) -> None:
    flag = await TownBuilder(app).flag(town.dahe[0], "房屋漏雨", status=FlagStatus.ACKNOWLEDGED)
    admin_csrf = await sign_in(client, app, town.admin)
    await client.post(f"/web/flags/{flag.id}/removal", data={"csrf": admin_csrf, "reason": "已修"})
    office_csrf = await sign_in(client, app, town.office)
    rejected = await client.post(
        f"/web/flags/{flag.id}/review",
        data={"csrf": office_csrf, "decision": "reject", "reason": "照片不清楚"},
        allow_redirects=False,
    )
    assert rejected.status == 303
    assert (await _flag(app, flag.id)).status == FlagStatus.ACKNOWLEDGED


async def test_measures_are_added_and_ended_from_the_flag_page(
    app: App, town: Town, client: TestClient
) -> None:
    flag = await TownBuilder(app).flag(town.dahe[0], "房屋漏雨", status=FlagStatus.ACKNOWLEDGED)
    csrf = await sign_in(client, app, town.admin)
    form = {
        "csrf": csrf,
        "household": str(town.dahe[0].id),
        "kind": "housing",
        "what": "维修屋顶",
        "responsible": "村委会",
        "amount": "1,200",
        "deadline": "2026-04-10",
    }
    added = await client.post(f"/web/flags/{flag.id}/measures", data=form)
    assert added.status == 200 and "维修屋顶" in await added.text()
    async with app.uow() as uow:
        measure = (await uow.session.execute(select(AssistanceMeasure))).scalar_one()
    assert measure.flag_id == flag.id and str(measure.amount) == "1200.00"
    board = await (await client.get("/web/flags?stage=acknowledged")).text()
    assert 'id="column-measures"' in board and f'id="flag-{flag.id}"' in board

    bad_amount = await client.post(f"/web/flags/{flag.id}/measures", data={**form, "amount": "x"})
    assert bad_amount.status == 400
    # another village's household on this village's flag form: not there for this reader
    foreign = await client.post(
        f"/web/flags/{flag.id}/measures", data={**form, "household": str(town.shimen[0].id)}
    )
    assert foreign.status == 404

    ended = await client.post(
        f"/web/measures/{measure.id}/end", data={"csrf": csrf, "flag": str(flag.id)}
    )
    assert ended.status == 200
    async with app.uow() as uow:
        again = await uow.session.get(AssistanceMeasure, measure.id)
        assert again is not None and again.status == "ended"
    assert await _audit_actions(app, "assistance_measure", measure.id) == ["create", "end"]
    twice = await client.post(f"/web/measures/{measure.id}/end", data={"csrf": csrf})
    assert twice.status == 409


async def test_another_villages_measure_cannot_be_ended(
    app: App, town: Town, client: TestClient
) -> None:
    flag = await TownBuilder(app).flag(
        town.shimen[0], "石门村的风险", status=FlagStatus.ACKNOWLEDGED
    )
    office_csrf = await sign_in(client, app, town.office)
    await client.post(
        f"/web/flags/{flag.id}/measures",
        data={
            "csrf": office_csrf,
            "household": str(town.shimen[0].id),
            "kind": "other",
            "what": "走访",
            "responsible": "镇扶贫办",
        },
    )
    async with app.uow() as uow:
        measure = (await uow.session.execute(select(AssistanceMeasure))).scalar_one()
    csrf = await sign_in(client, app, town.admin)
    response = await client.post(f"/web/measures/{measure.id}/end", data={"csrf": csrf})
    assert response.status == 404
    refused = await client.post(f"/web/flags/{flag.id}/removal", data={"csrf": csrf, "reason": "x"})
    assert refused.status == 404


async def test_the_flag_page_is_in_english_too(app: App, town: Town, client: TestClient) -> None:
    flag = await TownBuilder(app).flag(town.dahe[0], "房屋漏雨")
    await sign_in(client, app, town.office)
    await client.get("/web/language/en?back=/web/flags")
    page = await (await client.get(f"/web/flags/{flag.id}")).text()
    assert "Acknowledge" in page and "Set deadline" in page and "Add a measure" in page
