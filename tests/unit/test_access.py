"""Who may see what: a contact person their own households, a village admin the village,
the town office everything; forged ids are refused, logged, and change nothing; and where
office work may be shown."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import func, select

from bot.core.flags.raising import report_risk
from bot.core.households.my_households import household_card, household_line, list_households
from bot.core.policy import (
    OFFICE_CHATS_ONLY,
    OFFICE_GROUP_IS_THE_OFFICES,
    PRIVATE_CHAT_ONLY,
    Act,
    Actor,
    ChatKind,
    check_office_chat,
    may,
    readable_flag,
    require,
)
from bot.domain.model import Role
from bot.errors import NotAllowed
from bot.storage.models import AuditEntry, Household, OutboxMessage, RedFlag
from bot.storage.uow import App
from tests.town_builder import TownBuilder


@pytest.fixture
async def town(app: App) -> dict[str, object]:
    """Two villages; 王 looks after 张 in 河口村, 李 looks after 刘 in 山前村."""
    build = TownBuilder(app)
    hekou = await build.village("河口村")
    shanqian = await build.village("山前村")
    wang = await build.person("王建华")
    li = await build.person("李红梅")
    return {
        "wang": wang,
        "li": li,
        "hekou_admin": await build.person("陈书记", Role.VILLAGE_ADMIN, hekou),
        "office": await build.person("镇扶贫办周主任", Role.TOWN_OFFICE),
        "zhang": await build.household(hekou, "张桂英", wang),
        "liu": await build.household(shanqian, "刘秀兰", li),
    }


async def _count(app: App, model: type) -> int:
    async with app.uow() as uow:
        return (await uow.session.execute(select(func.count()).select_from(model))).scalar_one()


# Who reaches whose household: a contact person their own, an admin their village's, the
# town office every one (who, whose, allowed).
REACH = [
    ("wang", "zhang", True),
    ("wang", "liu", False),
    ("hekou_admin", "zhang", True),
    ("hekou_admin", "liu", False),
    ("office", "liu", True),
]


def _who_and_whose(town: dict[str, object], who: str, whose: str) -> tuple[Actor, Household]:
    actor, household = town[who], town[whose]
    assert isinstance(actor, Actor) and isinstance(household, Household)
    return actor, household


@pytest.mark.parametrize(("who", "whose", "allowed"), [*REACH, ("office", "zhang", True)])
async def test_each_role_reads_cards_only_within_its_reach(
    app: App, town: dict[str, object], who: str, whose: str, allowed: bool
) -> None:
    actor, household = _who_and_whose(town, who, whose)
    if allowed:
        assert (await household_card(app, actor, household.id)).head_name == household.head_name
        assert (await household_line(app, actor, household.id)).household_id == household.id
    else:
        with pytest.raises(NotAllowed):
            await household_card(app, actor, household.id)
        with pytest.raises(NotAllowed):
            await household_line(app, actor, household.id)


@pytest.mark.parametrize(("who", "whose", "allowed"), REACH)
async def test_each_role_reports_risks_only_within_its_reach(
    app: App, town: dict[str, object], who: str, whose: str, allowed: bool
) -> None:
    actor, household = _who_and_whose(town, who, whose)
    if allowed:
        flag = await report_risk(app, actor, household.id, "因病")
        assert flag.household_id == household.id and flag.raised_by_id == actor.person_id
    else:
        with pytest.raises(NotAllowed):
            await report_risk(app, actor, household.id, "因病")
        assert await _count(app, RedFlag) == 0


async def test_forged_household_id_is_refused_logged_and_writes_nothing(
    app: App, town: dict[str, object], caplog: pytest.LogCaptureFixture
) -> None:
    wang, liu = town["wang"], town["liu"]
    assert isinstance(wang, Actor) and isinstance(liu, Household)
    audit_before = await _count(app, AuditEntry)

    with caplog.at_level(logging.WARNING, logger="bot.core.policy"):
        for forged in (liu.id, 999_999, -1):
            with pytest.raises(NotAllowed) as refused:
                await report_risk(app, wang, forged, "forged press")
            assert refused.value.render()
            with pytest.raises(NotAllowed):
                await household_card(app, wang, forged)

    assert f"read household {liu.id}" in caplog.text
    assert "read household 999999" in caplog.text
    assert await _count(app, RedFlag) == 0
    assert await _count(app, OutboxMessage) == 0
    assert await _count(app, AuditEntry) == audit_before


async def test_lists_and_searches_cover_only_ones_own_households_whatever_the_role(
    app: App, town: dict[str, object]
) -> None:
    for who in ("hekou_admin", "office"):
        actor = town[who]
        assert isinstance(actor, Actor)
        assert (await list_households(app, actor)).total == 0
        assert (await list_households(app, actor, search="张")).total == 0
    wang = town["wang"]
    assert isinstance(wang, Actor)
    assert (await list_households(app, wang, search="刘")).total == 0
    assert [line.head_name for line in (await list_households(app, wang)).lines] == ["张桂英"]


@pytest.mark.parametrize(
    ("role", "chat", "refusal"),
    [
        (Role.TOWN_OFFICE, ChatKind.PRIVATE, None),
        (Role.TOWN_OFFICE, ChatKind.OFFICE_GROUP, None),
        (Role.TOWN_OFFICE, ChatKind.OTHER_GROUP, OFFICE_CHATS_ONLY),
        (Role.VILLAGE_ADMIN, ChatKind.PRIVATE, None),
        (Role.VILLAGE_ADMIN, ChatKind.OFFICE_GROUP, OFFICE_GROUP_IS_THE_OFFICES),
        (Role.VILLAGE_ADMIN, ChatKind.OTHER_GROUP, PRIVATE_CHAT_ONLY),
        (Role.CONTACT, ChatKind.PRIVATE, None),
        (Role.CONTACT, ChatKind.OFFICE_GROUP, OFFICE_GROUP_IS_THE_OFFICES),
        (Role.CONTACT, ChatKind.OTHER_GROUP, PRIVATE_CHAT_ONLY),
    ],
)
def test_office_work_is_shown_in_private_and_the_town_offices_in_its_group_only(
    role: Role, chat: ChatKind, refusal: str | None
) -> None:
    actor = Actor(person_id=1, name="某人", role=role, village_id=1)
    if refusal is None:
        check_office_chat(actor, chat)
    else:
        with pytest.raises(NotAllowed) as refused:
            check_office_chat(actor, chat)
        assert refused.value.msgid == refusal


async def test_a_missing_flag_and_a_flag_out_of_reach_are_refused_alike(
    app: App, town: dict[str, object]
) -> None:
    wang, li, liu = town["wang"], town["li"], town["liu"]
    assert isinstance(wang, Actor) and isinstance(li, Actor) and isinstance(liu, Household)
    flag = await report_risk(app, li, liu.id, "因病")

    answers = set()
    for flag_id in (flag.id, flag.id + 1, -1):
        async with app.uow() as uow:
            with pytest.raises(NotAllowed) as refused:
                await readable_flag(uow, wang, flag_id)
        answers.add(refused.value.render())
    assert len(answers) == 1
    async with app.uow() as uow:
        found, household = await readable_flag(uow, li, flag.id)
    assert (found.id, household.id) == (flag.id, liu.id)


def test_only_the_town_office_may_do_the_town_offices_acts_each_refused_in_its_own_words() -> None:
    office = Actor(person_id=1, name="镇扶贫办", role=Role.TOWN_OFFICE)
    others = [
        Actor(person_id=2, name="黄文斌", role=Role.VILLAGE_ADMIN, village_id=1),
        Actor(person_id=3, name="李春华", role=Role.CONTACT, village_id=1),
    ]
    refusals = set()
    shared = (Act.ESCALATE, Act.READ_COUNTY, Act.USE_DASHBOARD)
    office_only = [act for act in Act if act not in shared]
    for act in office_only:
        assert may(office, act)
        require(office, act)
        for actor in others:
            assert not may(actor, act)
            with pytest.raises(NotAllowed) as refused:
                require(actor, act)
            refusals.add(refused.value.msgid)
    assert len(refusals) == len(office_only)
    county = Actor(person_id=4, name="县乡村振兴局", role=Role.COUNTY_OFFICE)
    assert may(county, Act.READ_COUNTY) and not may(office, Act.READ_COUNTY)


def test_the_offices_and_village_admins_sign_in_to_the_dashboard_and_no_contact_person() -> None:
    may_sign_in = [Role.TOWN_OFFICE, Role.COUNTY_OFFICE, Role.VILLAGE_ADMIN]
    for role in Role:
        actor = Actor(person_id=1, name="某人", role=role, village_id=1)
        assert may(actor, Act.USE_DASHBOARD) == (role in may_sign_in)


def test_the_uncontacted_lists_are_acted_on_by_the_town_office_and_village_admins() -> None:
    may_escalate = [Role.TOWN_OFFICE, Role.VILLAGE_ADMIN]
    for role in Role:
        actor = Actor(person_id=1, name="某人", role=role, village_id=1)
        assert may(actor, Act.ESCALATE) == (role in may_escalate)
    with pytest.raises(NotAllowed):
        require(Actor(person_id=3, name="李春华", role=Role.CONTACT, village_id=1), Act.ESCALATE)
