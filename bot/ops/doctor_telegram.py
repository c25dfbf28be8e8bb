"""`bangfu doctor`'s questions to the Bot API: is the token valid (getMe), is the Bot API
reachable (through TELEGRAM_PROXY when set), is the server's clock right, and is the bot in
each office's group (every town's, the county's) with what it needs there (getChat,
getChatMember, privacy mode)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from email.utils import parsedate_to_datetime

from aiogram import Bot
from aiogram.enums import ChatMemberStatus, ChatType
from aiogram.exceptions import (
    AiogramError,
    TelegramAPIError,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramUnauthorizedError,
)
from aiogram.types import ChatMemberRestricted, User
from aiohttp import ClientTimeout

from bot.config import Settings
from bot.core.delivery import office_group
from bot.core.delivery.office_group import Office, ResolvedGroup
from bot.i18n import gettext as _
from bot.ops.doctor import Finding, Status, fail, ok, short_error, warn
from bot.proxy_url import shown_proxy

CLOCK_TOLERANCE_SECONDS = 120
CHECK_TIMEOUT = 20  # seconds for each call: a proxy that hangs must not hang the doctor


def check_proxy(settings: Settings) -> Finding:
    if settings.telegram_proxy:
        return ok(
            _("Proxy for the Bot API: {proxy}").format(proxy=shown_proxy(settings.telegram_proxy))
        )
    return ok(_("No proxy for the Bot API (TELEGRAM_PROXY is not set)."))


async def check_token(settings: Settings, bot: Bot) -> tuple[Finding, User | None]:
    """getMe: the Bot API is reachable and takes the token."""
    where = settings.telegram_api_url
    try:
        me = await bot.get_me(request_timeout=CHECK_TIMEOUT)
    except TelegramUnauthorizedError:
        return fail(
            _("Telegram does not accept BOT_TOKEN."),
            _(
                "Copy the token again from @BotFather (/mybots → your bot → API Token) into "
                ".env as BOT_TOKEN=…, then restart bangfu."
            ),
        ), None
    except TelegramNetworkError as error:
        if settings.telegram_proxy:
            text = _("Cannot reach the Bot API at {url} through the proxy {proxy}: {error}")
            fix = _("Check that the proxy is running, and its address and password.")
        else:
            text = _("Cannot reach the Bot API at {url}: {error}")
            fix = _(
                "In mainland China api.telegram.org is blocked: set TELEGRAM_PROXY in .env "
                "(see .env.example). Elsewhere, check the server's network."
            )
        proxy = shown_proxy(settings.telegram_proxy or "")
        return fail(text.format(url=where, proxy=proxy, error=short_error(error)), fix), None
    except TelegramAPIError as error:
        return fail(
            _("The Bot API at {url} answered: {error}").format(url=where, error=error.message)
        ), None
    return ok(
        _("Bot API reachable at {url}; the token belongs to @{username}.").format(
            url=where, username=me.username
        )
    ), me


async def check_clock(settings: Settings, bot: Bot, now: datetime) -> Finding:
    """The server's clock against the Bot API server's (its HTTP Date header): reminders go
    out by the server's clock."""
    session = await bot.session.create_session()  # type: ignore[attr-defined]
    try:
        async with session.head(
            settings.telegram_api_url,
            allow_redirects=False,
            timeout=ClientTimeout(total=CHECK_TIMEOUT),
        ) as response:
            stamp = response.headers.get("Date")
    except Exception as error:
        return warn(
            _("Could not compare the clock with Telegram's: {error}").format(
                error=short_error(error)
            )
        )
    if not stamp:
        return warn(_("Could not compare the clock with Telegram's: no time in its answer."))
    off = (now - parsedate_to_datetime(stamp)).total_seconds()
    if abs(off) > CLOCK_TOLERANCE_SECONDS:
        return warn(
            _("The server's clock is {minutes} minutes off Telegram's.").format(
                minutes=round(off / 60)
            ),
            _(
                "Reminders go out by this clock: turn on time sync "
                "(timedatectl set-ntp true) or set the time."
            ),
        )
    return ok(_("The server's clock agrees with Telegram's."))


async def check_offices(
    settings: Settings, bot: Bot, me: User, offices: list[Office]
) -> list[Finding]:
    """Each office's group (`check_office_group`), its findings headed by the office's name
    when there are several; the towns without a group in one warning."""
    if len(offices) == 1:
        return await check_office_group(settings, bot, me, offices[0].group)
    findings: list[Finding] = []
    for office in offices:
        if office.group is None:
            findings += [] if office.town_id is not None else [_no_county_group()]
            continue
        label = office.name if office.town_id is not None else _("County office")
        found = await check_office_group(settings, bot, me, office.group)
        findings += [
            replace(
                finding, text=_("{office}: {finding}").format(office=label, finding=finding.text)
            )
            for finding in found
        ]
    without = [o.name for o in offices if o.group is None and o.town_id is not None]
    if without:
        findings.insert(0, _no_town_groups(without))
    return findings


def _no_town_groups(towns: list[str]) -> Finding:
    return warn(
        _(
            "No office group is set for {count} town(s) ({towns}): their alerts go to each "
            "of their town office people privately."
        ).format(count=len(towns), towns="、".join(towns)),
        _(
            "To use a group: a person of that town's office adds the bot to the office's group "
            "and taps “Yes” under the bot's question there (TOWN_OFFICE_CHAT_ID is the first "
            "town's only)."
        ),
    )


def _no_county_group() -> Finding:
    return warn(
        _(
            "No county office group is set: the county's messages go to each county office "
            "person privately."
        ),
        _(
            "To use a group: a county office person adds the bot to the county office's group "
            "and taps “Yes” under the bot's question there."
        ),
    )


async def check_office_group(
    settings: Settings, bot: Bot, me: User, group: ResolvedGroup | None
) -> list[Finding]:
    """The town office's group (`office_group.resolve`): set, and where that came from; the
    bot in it, allowed to send, and reading what it needs (commands always; a spreadsheet
    sent there only without privacy mode, or as an administrator)."""
    if group is None:
        return [
            warn(
                _("No town office group is set: alerts go to each town office person privately."),
                _(
                    "To use a group: a town office person adds the bot to the office's group "
                    "and taps “Yes” under the bot's question there (or set TOWN_OFFICE_CHAT_ID)."
                ),
            )
        ]
    chat_id = group.chat_id
    by_setting = group.source == office_group.Source.SETTING
    try:
        chat = await bot.get_chat(chat_id, request_timeout=CHECK_TIMEOUT)
        member = await bot.get_chat_member(chat_id, me.id, request_timeout=CHECK_TIMEOUT)
    except TelegramMigrateToChat as error:
        fix = (
            _("Set TOWN_OFFICE_CHAT_ID={chat_id} in .env and restart bangfu.")
            if by_setting
            else _(
                "Nothing to set: bangfu moves to the new id ({chat_id}) with its next message "
                "to the group."
            )
        )
        return [
            _where_set(group, settings),
            fail(
                _("The town office group became a supergroup with a new id."),
                fix.format(chat_id=error.migrate_to_chat_id),
            ),
        ]
    except TelegramForbiddenError:
        return [
            _where_set(group, settings),
            fail(
                _("The bot was removed from the town office group ({chat_id}).").format(
                    chat_id=chat_id
                ),
                _("Add the bot to the group again (group info → Add members)."),
            ),
        ]
    except AiogramError as error:  # TelegramAPIError, or an answer aiogram cannot read
        return [
            _where_set(group, settings),
            fail(
                _("The bot cannot see the town office group {chat_id}: {error}").format(
                    chat_id=chat_id, error=short_error(error)
                ),
                _("Add the bot to the group, and check TOWN_OFFICE_CHAT_ID.")
                if by_setting
                else _("Add the bot to the group again; a town office person confirms there."),
            ),
        ]
    if chat.type == ChatType.PRIVATE:
        return [
            fail(
                _("TOWN_OFFICE_CHAT_ID ({chat_id}) is a person's chat, not a group.").format(
                    chat_id=chat_id
                ),
                _("Set it to the group's id (a negative number)."),
            )
        ]
    membership = _membership(chat.title or str(chat_id), member)
    if membership.status == Status.FAIL:
        return [_where_set(group, settings), membership]
    return [_where_set(group, settings), membership, _privacy(me, member)]


def _where_set(group: ResolvedGroup, settings: Settings) -> Finding:
    """Which group is the office's and where that came from, as `/office` says it too."""
    return ok(office_group.describe(group, settings.tz, with_id=True))


def _membership(title: str, member: object) -> Finding:
    status = getattr(member, "status", None)
    if status in (ChatMemberStatus.LEFT, ChatMemberStatus.KICKED):
        return fail(
            _("The bot is not a member of the town office group “{title}”.").format(title=title),
            _("Add the bot to the group again (group info → Add members)."),
        )
    if isinstance(member, ChatMemberRestricted) and not (
        member.can_send_messages and member.can_send_documents and member.can_send_photos
    ):
        return fail(
            _(
                "The bot may not send messages, files or photos in the town office group "
                "“{title}”: alerts and the monthly summary would not arrive."
            ).format(title=title),
            _("A group admin: group info → Permissions or Exceptions → allow the bot to send."),
        )
    role = _("an administrator") if status == ChatMemberStatus.ADMINISTRATOR else _("a member")
    return ok(_("Town office group “{title}”: the bot is {role}.").format(title=title, role=role))


def _privacy(me: User, member: object) -> Finding:
    if me.can_read_all_group_messages:
        return ok(_("Privacy mode is off: commands and files sent in the group reach the bot."))
    if getattr(member, "status", None) in (
        ChatMemberStatus.ADMINISTRATOR,
        ChatMemberStatus.CREATOR,
    ):
        return ok(_("The bot is a group administrator: commands and files sent there reach it."))
    return warn(
        _(
            "Privacy mode is on: commands in the group reach the bot, but a spreadsheet sent "
            "there (the platform's red-flag list) does not."
        ),
        _(
            "Make the bot an administrator of the group (no special rights needed), or in "
            "@BotFather: /setprivacy → your bot → Disable, then remove the bot from the group "
            "and add it again. Or send the list to the bot in a private chat."
        ),
    )
