"""Invitations: the town office issues one-time links; people open them to register."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.clock import FrozenClock
from bot.core.onboarding import first_start
from bot.core.onboarding import invites as onboarding
from bot.core.policy import CLI_OPERATOR, Actor
from bot.core.roster import changes as roster_changes
from bot.domain.model import Role
from bot.errors import Conflict, Deactivated, InvalidInput, NotAllowed
from bot.i18n import use_language
from bot.storage.models import AuditEntry, Invite, Person, StartAttempt, Village
from bot.storage.uow import App

ZHANG = 1001  # Telegram user ids
LI = 1002
STRANGER = 6666


async def roster_person(
    app: App,
    name: str,
    *,
    village: str | None = None,
    phone: str | None = None,
    role: Role = Role.CONTACT,
    telegram_user_id: int | None = None,
) -> int:
    """A person as the roster import leaves them: no Telegram account yet."""
    async with app.uow() as uow:
        place = None
        if village is not None:
            place = (
                await uow.session.execute(select(Village).where(Village.name == village))
            ).scalar_one_or_none() or Village(name=village)
        person = Person(
            name=name,
            phone=phone,
            role=role,
            village=place,
            telegram_user_id=telegram_user_id,
            active=True,
            created_at=uow.clock.now(),
        )
        uow.session.add(person)
        await uow.commit()
        return person.id


async def load_person(app: App, person_id: int) -> Person:
    async with app.uow() as uow:
        person = await uow.session.get(Person, person_id)
        assert person is not None
        return person


async def count(app: App, model: type, *where: object) -> int:
    async with app.uow() as uow:
        query = select(func.count()).select_from(model).where(*where)  # type: ignore[arg-type]
        return (await uow.session.execute(query)).scalar_one()


async def test_contact_person_from_the_roster_opens_the_link_and_is_registered(app: App) -> None:
    zhang_id = await roster_person(app, "张三", village="东山村", phone="13800000001")
    async with app.uow() as uow:
        person = await uow.session.get(Person, zhang_id)
        assert person is not None
        person.unreachable_since = uow.clock.now()
        await uow.commit()

    issued = await onboarding.create_invite(app, CLI_OPERATOR, "张三", "contact")
    actor = await onboarding.redeem_invite(app, ZHANG, issued.code)

    assert issued.person.id == zhang_id and not issued.new_person
    assert actor == Actor(
        person_id=zhang_id, name="张三", role=Role.CONTACT, village_id=actor.village_id
    )
    person = await load_person(app, zhang_id)
    assert person.telegram_user_id == ZHANG
    assert person.unreachable_since is None
    assert await count(app, Person) == 1
    assert await count(app, AuditEntry, AuditEntry.entity == "invite") == 2  # created, used


async def test_only_the_hash_of_a_code_is_stored_and_codes_are_long_and_link_safe(app: App) -> None:
    issued = await onboarding.create_invite(app, CLI_OPERATOR, "张三", Role.CONTACT)
    async with app.uow() as uow:
        invite = (await uow.session.execute(select(Invite))).scalar_one()
    assert invite.code_hash == hashlib.sha256(issued.code.encode()).hexdigest()
    assert issued.code not in str(vars(invite))
    assert len(issued.code) >= 16 and len(issued.code) <= 64
    assert set(issued.code) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
    )
    link = onboarding.invite_link("bangfu_bot", issued.code)
    assert link == f"https://t.me/bangfu_bot?start={issued.code}"


async def test_a_code_works_once_and_a_second_account_is_told_it_was_used(app: App) -> None:
    issued = await onboarding.create_invite(app, CLI_OPERATOR, "张三", Role.CONTACT)
    await onboarding.redeem_invite(app, ZHANG, issued.code)

    with pytest.raises(Conflict) as refused, use_language("en"):
        await onboarding.redeem_invite(app, LI, issued.code)
    with use_language("en"):
        assert "already been used" in refused.value.render()
    assert (await load_person(app, issued.person.id)).telegram_user_id == ZHANG
    assert await count(app, StartAttempt, StartAttempt.telegram_user_id == LI) == 1


async def test_two_accounts_opening_one_link_at_once_register_only_one(app: App) -> None:
    issued = await onboarding.create_invite(app, CLI_OPERATOR, "张三", Role.CONTACT)

    outcomes = await asyncio.gather(
        onboarding.redeem_invite(app, ZHANG, issued.code),
        onboarding.redeem_invite(app, LI, issued.code),
        return_exceptions=True,
    )

    [welcomed] = [outcome for outcome in outcomes if isinstance(outcome, Actor)]
    [refused] = [outcome for outcome in outcomes if isinstance(outcome, Conflict)]
    with use_language("en"):
        assert "already been used" in refused.render()
    winner = ZHANG if outcomes[0] is welcomed else LI
    assert (await load_person(app, issued.person.id)).telegram_user_id == winner
    assert await count(app, AuditEntry, AuditEntry.action == "register") == 1
    assert await count(app, AuditEntry, AuditEntry.action == "use") == 1


async def test_opening_the_same_link_again_from_the_same_account_is_a_welcome_not_an_error(
    app: App,
) -> None:
    issued = await onboarding.create_invite(app, CLI_OPERATOR, "张三", Role.CONTACT)
    first = await onboarding.redeem_invite(app, ZHANG, issued.code)
    again = await onboarding.redeem_invite(app, ZHANG, issued.code)
    assert first == again
    assert await count(app, StartAttempt) == 0


async def test_a_link_works_until_seven_days_have_passed(app: App, clock: FrozenClock) -> None:
    early = await onboarding.create_invite(app, CLI_OPERATOR, "张三", Role.CONTACT)
    late = await onboarding.create_invite(app, CLI_OPERATOR, "李四", Role.CONTACT)
    assert late.expires_at - clock.now() == timedelta(days=7)

    clock.advance(days=7, seconds=-60)
    await onboarding.redeem_invite(app, ZHANG, early.code)
    clock.advance(seconds=60)
    with pytest.raises(InvalidInput) as expired:
        await onboarding.redeem_invite(app, LI, late.code)
    with use_language("en"):
        assert "expired" in expired.value.render()
        assert "town office for a new link" in expired.value.render()


async def test_a_new_invite_replaces_the_older_unused_link(app: App) -> None:
    old = await onboarding.create_invite(app, CLI_OPERATOR, "张三", Role.CONTACT)
    new = await onboarding.create_invite(app, CLI_OPERATOR, "张三", Role.CONTACT)
    with pytest.raises(InvalidInput):
        await onboarding.redeem_invite(app, ZHANG, old.code)
    await onboarding.redeem_invite(app, ZHANG, new.code)
    assert new.person.id == old.person.id
    assert await count(app, Person) == 1


async def test_a_made_up_code_is_refused(app: App) -> None:
    for code in ("nosuchcode12345678", "bad code with spaces", "x" * 65, ""):
        with pytest.raises(InvalidInput) as wrong:
            await onboarding.redeem_invite(app, STRANGER, code)
        with use_language("en"):
            assert "not valid" in wrong.value.render()


async def test_five_wrong_codes_in_ten_minutes_pause_the_account_for_an_hour(
    app: App, clock: FrozenClock
) -> None:
    used = await onboarding.create_invite(app, CLI_OPERATOR, "李四", Role.CONTACT)
    await onboarding.redeem_invite(app, LI, used.code)
    expired = await onboarding.create_invite(app, CLI_OPERATOR, "王五", Role.CONTACT)
    clock.advance(days=8)  # 18 March, 10:00 local
    good = await onboarding.create_invite(app, CLI_OPERATOR, "张三", Role.CONTACT)

    # Wrong, used and expired codes all count, one a minute: 10:00 … 10:04.
    for code in ("guess1", used.code, expired.code, "guess4", "guess5"):
        with pytest.raises((InvalidInput, Conflict)):
            await onboarding.redeem_invite(app, STRANGER, code)
        clock.advance(minutes=1)

    # Now even the right code is refused, without being looked at, until 11:04.
    with pytest.raises(NotAllowed) as paused:
        await onboarding.redeem_invite(app, STRANGER, good.code)
    assert "11:04" in paused.value.render()
    assert await count(app, StartAttempt, StartAttempt.telegram_user_id == STRANGER) == 5

    clock.advance(minutes=58, seconds=59)  # 11:03:59
    with pytest.raises(NotAllowed):
        await onboarding.redeem_invite(app, STRANGER, good.code)
    # Someone else is not affected by the stranger's guesses.
    other = await onboarding.create_invite(app, CLI_OPERATOR, "赵六", Role.CONTACT)
    await onboarding.redeem_invite(app, LI + 1, other.code)

    clock.advance(seconds=1)  # 11:04: the hour is over
    actor = await onboarding.redeem_invite(app, STRANGER, good.code)
    assert actor.name == "张三"


async def test_wrong_codes_spread_over_more_than_ten_minutes_do_not_pause_the_account(
    app: App, clock: FrozenClock
) -> None:
    good = await onboarding.create_invite(app, CLI_OPERATOR, "张三", Role.CONTACT)
    for _attempt in range(5):
        with pytest.raises(InvalidInput):
            await onboarding.redeem_invite(app, STRANGER, "guess")
        clock.advance(minutes=3)  # five guesses span 12 minutes
    actor = await onboarding.redeem_invite(app, STRANGER, good.code)
    assert actor.name == "张三"


async def test_namesakes_must_be_told_apart_by_phone_or_village(app: App) -> None:
    east = await roster_person(app, "王芳", village="东山村", phone="13800000001")
    west = await roster_person(app, "王芳", village="西河村", phone="13900000002")

    with pytest.raises(InvalidInput) as ambiguous:
        await onboarding.create_invite(app, CLI_OPERATOR, "王芳", Role.CONTACT)
    with use_language("en"):
        text = ambiguous.value.render()
    assert "--phone" in text and "--village" in text
    assert "东山村" in text and "西河村" in text

    by_village = await onboarding.create_invite(
        app, CLI_OPERATOR, "王芳", Role.CONTACT, village="西河村"
    )
    by_phone = await onboarding.create_invite(
        app, CLI_OPERATOR, "王芳", Role.CONTACT, phone="138 0000 0001"
    )
    assert by_village.person.id == west
    assert by_phone.person.id == east
    assert await count(app, Person) == 2


async def test_a_name_not_in_the_roster_becomes_a_new_person(app: App) -> None:
    issued = await onboarding.create_invite(
        app, CLI_OPERATOR, " 刘洋 ", Role.CONTACT, phone="13700000003"
    )
    person = await load_person(app, issued.person.id)
    assert issued.new_person
    assert (person.name, person.phone, person.role) == ("刘洋", "13700000003", "contact")
    assert await count(app, AuditEntry, AuditEntry.entity == "person") == 1


async def test_a_village_admin_needs_a_village_which_is_created_when_new(app: App) -> None:
    with pytest.raises(InvalidInput):
        await onboarding.create_invite(app, CLI_OPERATOR, "陈书记", Role.VILLAGE_ADMIN)

    issued = await onboarding.create_invite(
        app, CLI_OPERATOR, "陈书记", Role.VILLAGE_ADMIN, village="南坡村"
    )
    assert issued.new_village and issued.village_name == "南坡村"
    actor = await onboarding.redeem_invite(app, ZHANG, issued.code)
    assert actor.role == Role.VILLAGE_ADMIN and actor.village_id is not None

    # For anyone else a village only narrows the name: a typo must not add a village.
    with pytest.raises(InvalidInput) as unknown:
        await onboarding.create_invite(app, CLI_OPERATOR, "张三", Role.CONTACT, village="南坡")
    assert "南坡村" in unknown.value.render()
    assert await count(app, Village) == 1


async def test_a_contact_person_invited_as_village_admin_keeps_the_higher_role(app: App) -> None:
    cadre = await roster_person(app, "陈书记", village="东山村", telegram_user_id=ZHANG)
    upgrade = await onboarding.create_invite(
        app, CLI_OPERATOR, "陈书记", Role.VILLAGE_ADMIN, village="东山村"
    )
    assert upgrade.person.id == cadre
    assert (await load_person(app, cadre)).role == Role.CONTACT  # only once the link is opened
    actor = await onboarding.redeem_invite(app, ZHANG, upgrade.code)
    assert actor.role == Role.VILLAGE_ADMIN

    again = await onboarding.create_invite(app, CLI_OPERATOR, "陈书记", Role.CONTACT)
    actor = await onboarding.redeem_invite(app, ZHANG, again.code)
    assert actor.role == Role.VILLAGE_ADMIN


async def test_a_person_on_a_new_phone_moves_to_the_new_telegram_account(app: App) -> None:
    zhang = await roster_person(app, "张三", telegram_user_id=ZHANG)
    issued = await onboarding.create_invite(app, CLI_OPERATOR, "张三", Role.CONTACT)
    await onboarding.redeem_invite(app, LI, issued.code)
    assert (await load_person(app, zhang)).telegram_user_id == LI


async def test_one_telegram_account_cannot_belong_to_two_people(app: App) -> None:
    await roster_person(app, "张三", telegram_user_id=ZHANG)
    issued = await onboarding.create_invite(app, CLI_OPERATOR, "李四", Role.CONTACT)
    with pytest.raises(Conflict) as refused:
        await onboarding.redeem_invite(app, ZHANG, issued.code)
    assert "张三" in refused.value.render()
    assert (await load_person(app, issued.person.id)).telegram_user_id is None
    # The link is still good for the right person.
    await onboarding.redeem_invite(app, LI, issued.code)


async def test_only_the_town_office_can_invite(app: App) -> None:
    contact = Actor(person_id=1, name="张三", role=Role.CONTACT)
    with pytest.raises(NotAllowed):
        await onboarding.create_invite(app, contact, "李四", Role.CONTACT)


async def test_first_start_link_appears_only_until_the_town_office_opens_it(app: App) -> None:
    first = (await first_start.first_start(app)).code
    second = (await first_start.first_start(app)).code
    assert first and second and first != second

    with pytest.raises(InvalidInput):  # each start replaces the previous start's link
        await onboarding.redeem_invite(app, ZHANG, first)
    admin = await onboarding.redeem_invite(app, ZHANG, second)

    assert admin.role == Role.TOWN_OFFICE and admin.name == first_start.FIRST_ADMIN_NAME
    assert await count(app, Person) == 1
    assert await first_start.first_start(app) == first_start.FirstStart()


async def test_first_start_link_is_not_offered_when_the_town_office_is_already_registered(
    app: App,
) -> None:
    await roster_person(app, "周主任", role=Role.TOWN_OFFICE, telegram_user_id=ZHANG)
    assert await first_start.first_start(app) == first_start.FirstStart()


async def test_first_start_makes_no_extra_admin_when_the_roster_names_the_town_office(
    app: App,
) -> None:
    # A county's roster (or `demo-data --county`) lists each town's office; nobody joined yet.
    await roster_person(app, "周主任", role=Role.TOWN_OFFICE)
    await roster_person(app, "吴干事", role=Role.TOWN_OFFICE)
    assert await first_start.first_start(app) == first_start.FirstStart(offices_waiting=2)
    assert await count(app, Person) == 2


async def test_the_bot_username_is_remembered_for_the_cli(app: App) -> None:
    assert await first_start.bot_username(app) is None
    await first_start.remember_bot_username(app, "old_bot")
    await first_start.remember_bot_username(app, "bangfu_bot")
    assert await first_start.bot_username(app) == "bangfu_bot"


async def test_a_deactivated_person_reopening_their_link_is_told_the_account_is_inactive(
    app: App,
) -> None:
    issued = await onboarding.create_invite(app, CLI_OPERATOR, "张三", Role.CONTACT)
    await onboarding.redeem_invite(app, ZHANG, issued.code)
    await roster_changes.deactivate_person(app, CLI_OPERATOR, issued.person.id)

    for code in (issued.code, "a-code-never-issued"):
        with pytest.raises(Deactivated):
            await onboarding.redeem_invite(app, ZHANG, code)
    assert not (await load_person(app, issued.person.id)).active

    again = await onboarding.create_invite(app, CLI_OPERATOR, "张三", Role.CONTACT)
    actor = await onboarding.redeem_invite(app, ZHANG, again.code)  # a new invite brings back
    assert actor.person_id == issued.person.id
    assert (await load_person(app, issued.person.id)).active


async def test_deactivating_a_person_withdraws_the_links_they_have_not_opened(app: App) -> None:
    issued = await onboarding.create_invite(app, CLI_OPERATOR, "张三", Role.CONTACT)
    await roster_changes.deactivate_person(app, CLI_OPERATOR, issued.person.id)

    with pytest.raises(InvalidInput):  # expired
        await onboarding.redeem_invite(app, ZHANG, issued.code)
    person = await load_person(app, issued.person.id)
    assert not person.active and person.telegram_user_id is None
