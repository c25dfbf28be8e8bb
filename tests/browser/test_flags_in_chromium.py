"""A red flag worked through the dashboard in headless Chromium: the town office finds the
household, acknowledges its flag and sets a deadline; the village admin, signed in as a Mini
App, requests removal; the town office approves it. Each step is checked in the database."""

from __future__ import annotations

from urllib.parse import quote

from sqlalchemy import select

from bot.core.signin.sessions import issue_link
from bot.domain.model import FlagStatus, Role
from bot.storage.models import Household, RedFlag
from bot.storage.uow import App
from tests.browser.conftest import DemoTown
from tests.town_builder import TownBuilder
from tests.web.conftest import init_data


async def raised_flag(app: App) -> tuple[RedFlag, Household]:
    async with app.uow() as uow:
        query = (
            select(RedFlag, Household)
            .join(Household, Household.id == RedFlag.household_id)
            .where(RedFlag.status == FlagStatus.RAISED)
            .order_by(RedFlag.id)
        )
        return (await uow.session.execute(query)).first()  # type: ignore[return-value]


async def flag_now(app: App, flag_id: int) -> RedFlag:
    async with app.uow() as uow:
        return await uow.session.get(RedFlag, flag_id)  # type: ignore[return-value]


async def test_acknowledge_set_deadline_request_and_approve_removal(
    app: App, served: DemoTown, browser
) -> None:  # type: ignore[no-untyped-def]
    flag, household = await raised_flag(app)
    village = await TownBuilder(app).village(household.village.name)
    await TownBuilder(app).person("村书记", Role.VILLAGE_ADMIN, village, telegram_user_id=7003)

    office = await (await browser.new_context(viewport={"width": 1366, "height": 900})).new_page()
    token = await issue_link(app, served.office)
    await office.goto(f"{served.url}/web/signin?token={token}")
    await office.goto(f"{served.url}/web/households?q={quote(household.head_name)}")
    await office.get_by_role("link", name=household.head_name).first.click()
    await office.locator(f"#flag-{flag.id} a").first.click()
    await office.get_by_role("button", name="签收").click()
    await office.wait_for_load_state()
    assert (await flag_now(app, flag.id)).status == FlagStatus.ACKNOWLEDGED
    await office.select_option("select[name=days]", "30")
    await office.get_by_role("button", name="设定期限").click()
    await office.wait_for_load_state()
    assert (await flag_now(app, flag.id)).deadline is not None

    # The village admin, inside Telegram: the Mini App signs them in with its init data.
    admin = await (await browser.new_context(viewport={"width": 390, "height": 800})).new_page()
    data = init_data(app.settings.bot_token or "", 7003, app.clock.now())
    await admin.goto(f"{served.url}/web/app#tgWebAppData={quote(data)}")
    await admin.wait_for_url(f"{served.url}/web/")
    await admin.goto(f"{served.url}/web/flags/{flag.id}")
    await admin.fill("textarea[name=reason]", "已落实低保和医疗救助，收入稳定超过监测线六个月。")
    await admin.get_by_role("button", name="申请销号").click()
    await admin.wait_for_load_state()
    assert (await flag_now(app, flag.id)).status == FlagStatus.REMOVAL_REQUESTED

    await office.goto(f"{served.url}/web/flags/{flag.id}")
    await office.get_by_role("button", name="审核通过").click()
    await office.wait_for_load_state()
    approved = await flag_now(app, flag.id)
    assert approved.status == FlagStatus.REMOVAL_REQUESTED
    assert approved.removal_approved_at is not None


async def test_a_post_without_the_csrf_token_changes_nothing(
    app: App, served: DemoTown, page
) -> None:  # type: ignore[no-untyped-def]
    flag, _household = await raised_flag(app)
    token = await issue_link(app, served.office)
    await page.goto(f"{served.url}/web/signin?token={token}")
    response = await page.request.post(f"{served.url}/web/flags/{flag.id}/acknowledge", form={})
    assert response.status == 403
    assert (await flag_now(app, flag.id)).status == FlagStatus.RAISED
