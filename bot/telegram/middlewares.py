"""Middlewares: take an update in (drop a replay, read who is talking and their form in one
trip to the database), know who is talking, speak their language, refuse text
no stored text may hold, give each person their own "/" menu."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from contextlib import nullcontext
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.dispatcher.middlewares.user_context import EVENT_CONTEXT_KEY
from aiogram.fsm.context import FSMContext
from aiogram.fsm.middleware import FSMContextMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, Update, User
from sqlalchemy import BigInteger, bindparam, literal_column, select

from bot.core.policy import duties_of
from bot.core.roster import people
from bot.domain.text_rules import CONTROL_CHARACTER, control_character, normalise_line_breaks
from bot.i18n import current_language, gettext, language_for, set_language
from bot.storage.core_statements import as_core
from bot.storage.fsm import SqlAlchemyStorage, beside_record
from bot.storage.models import Person
from bot.storage.quick_reads import QuickRead
from bot.storage.uow import App
from bot.storage.update_marks import UPDATE_SEEN, UpdateHandledBefore, UpdateMarks
from bot.telegram.commands import show_dashboard_button, show_own_commands
from bot.telegram.shared_forms import SharedFormStorage

log = logging.getLogger(__name__)
# The first trip's statements, built once (SQLAlchemy then neither builds them nor works out
# their cache keys again at every update): whether the update's id is stored already and the
# account, on one row even when there is no account; with the form's record beside them when
# the form is in the database (FIRST_READS), without it when it is in Redis (SEEN_AND_ACCOUNT).
_ONE_ROW = select(literal_column("1").label("one")).subquery("one_row")
_SEEN_AND_ACCOUNT = (
    select(UPDATE_SEEN.label("seen"), *people.ACCOUNT_BY_TELEGRAM.selected_columns)
    .select_from(_ONE_ROW)
    .outerjoin(Person, Person.telegram_user_id == bindparam("telegram_user_id", type_=BigInteger))
)
SEEN_AND_ACCOUNT = as_core(_SEEN_AND_ACCOUNT)
FIRST_READS = as_core(beside_record(_SEEN_AND_ACCOUNT))
QUICK_SEEN_AND_ACCOUNT = QuickRead(SEEN_AND_ACCOUNT)
QUICK_FIRST_READS = QuickRead(FIRST_READS)
SEEN = select(UPDATE_SEEN)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class UpdateIntake(FSMContextMiddleware):
    """Where every update comes in: aiogram's FSM middleware (one update per chat at a time,
    then the form's state), with bangfu's first reads made in one statement, inside that
    lock and before any handler runs:

    - the same update delivered twice runs once (bot/storage/update_marks.py): a copy of an
      update this process took in, or whose id was stored with its first write, stops here;
      while the handler runs, the update's first commit stores its id;
    - who is talking: the account (`data["account"]`, for WhoIsTalking);
    - the form's state and data, remembered for the rest of the update
      (bot/storage/fsm.py; in Redis, bot/telegram/shared_forms.py, read in one trip before the
      database's; with another FSM storage, that storage is asked as usual).

    An update that only reads writes nothing and commits nothing. It takes the place of the
    FSM middleware aiogram's Dispatcher made (`install`)."""

    def __init__(self, app: App, fsm: FSMContextMiddleware) -> None:
        super().__init__(fsm.storage, fsm.events_isolation, fsm.strategy)
        self.app = app
        self.marks = UpdateMarks(app.sessions, app.clock)

    def install(self, dispatcher: Dispatcher) -> None:
        dispatcher.update.outer_middleware.unregister(dispatcher.fsm)
        dispatcher.fsm = self
        dispatcher.update.outer_middleware(self)

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        bot: Bot = data["bot"]
        context = self.resolve_event_context(bot, data) if EVENT_CONTEXT_KEY in data else None
        data["fsm_storage"] = self.storage
        ours = self.storage if isinstance(self.storage, SqlAlchemyStorage) else None
        shared = self.storage if isinstance(self.storage, SharedFormStorage) else None
        remembering = ours or shared
        lock = self.events_isolation.lock(key=context.key) if context else nullcontext()
        # The update's memory of its form first: with Redis the chat's lock reads the form
        # in the same trip (bot/telegram/shared_chat_lock.py).
        with remembering.one_update() if remembering else nullcontext():
            async with lock:
                if not self.marks.first_sight(bot.id, event.update_id):
                    log.info("update %s seen before; skipped", event.update_id)
                    return None
                try:
                    if shared is not None and context is not None:
                        await shared.load(context.key)  # unless the lock read it; before any write
                    seen, account = await self._first_reads(
                        bot.id, event.update_id, data, context, ours
                    )
                except BaseException:
                    self.marks.forget(bot.id, event.update_id)  # not taken in: a copy may run
                    raise
                if seen:
                    log.info("update %s seen before; skipped", event.update_id)
                    return None
                data["account"] = account
                if context is not None:
                    data.update({"state": context, "raw_state": await context.get_state()})
                with self.marks.handling(bot.id, event.update_id):
                    try:
                        return await handler(event, data)
                    except UpdateHandledBefore:
                        log.info("update %s handled meanwhile; not saved", event.update_id)
                        return None

    async def _first_reads(
        self,
        bot_id: int,
        update_id: int,
        data: dict[str, Any],
        context: FSMContext | None,
        fsm: SqlAlchemyStorage | None,
    ) -> tuple[bool, people.Account | None]:
        """Whether the update's id is stored already, and whose account is talking (None:
        nobody's). Reads only: nothing to commit."""
        user: User | None = data.get("event_from_user")
        update = {"bot_id": bot_id, "update_id": update_id}
        if user is not None and (fsm is None or context is not None):
            who = {**update, "telegram_user_id": user.id}
            if fsm is not None and context is not None:
                row = await fsm.load_beside(self.app.reader, context.key, QUICK_FIRST_READS, who)
                assert row is not None  # one row, whatever is missing
            else:  # the form is elsewhere (Redis) or nowhere
                (row,) = await QUICK_SEEN_AND_ACCOUNT.rows(self.app.reader, who)
            return bool(row.seen), people.account_of(row if row.id is not None else None)
        async with self.app.uow() as uow:
            seen = bool((await uow.session.execute(SEEN, update)).scalar())
            account = await people.find_account(uow, user.id) if user else None
            if fsm is not None and context is not None:
                await fsm.load(uow.session, context.key)
        return seen, account


class WhoIsTalking(BaseMiddleware):
    """Puts `actor` (a registered, active person, or None) and `deactivated` (the account's
    person was deactivated) in the handler data, and sets the language; the account was read
    by UpdateIntake."""

    def __init__(self, app: App) -> None:
        self.app = app

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        user: User | None = data.get("event_from_user")
        account: people.Account | None = data.get("account")
        data["actor"] = account.actor if account else None
        data["deactivated"] = account.deactivated if account else False
        chosen = account.language if account else None
        set_language(
            language_for(
                user.language_code if user else None, chosen, self.app.settings.default_language
            )
        )
        return await handler(event, data)


class RefuseControlCharacters(BaseMiddleware):
    """Text from Telegram with a character no stored text may hold (NUL, an escape code, an
    unpaired surrogate) stops here, before any handler or form sees it: the person is told
    which character, and a form waits for the text again. The same text is refused on
    SQLite and PostgreSQL (which cannot store NUL), and in a search as in a form. Every other
    kind of line break (a vertical tab, U+2028 …) becomes `\n` here, so handlers, searches and
    forms see one kind. Runs after WhoIsTalking, so the refusal is in the person's language."""

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        if isinstance(event, Message):
            text = event.text or event.caption or ""
            code = control_character(text)
            if code is not None:
                if event.chat.type == "private" or text.startswith("/"):  # not group chatter
                    await event.answer(gettext(CONTROL_CHARACTER).format(code=code))
                return None
            if normalise_line_breaks(text) != text:
                field = "text" if event.text is not None else "caption"
                event = event.model_copy(update={field: normalise_line_breaks(text)})
        elif isinstance(event, CallbackQuery) and control_character(event.data or ""):
            await event.answer()  # no button of the bot's carries one: a forged press
            return None
        return await handler(event, data)


class OwnCommandMenu(BaseMiddleware):
    """Sets a registered person's "/" menu in their private chat the first time this process
    hears from them there: people registered before menus by role get theirs without asking.
    Before the handler, so that what the handler sets (a new role, /language, /help) wins."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.shown: set[int] = set()  # person ids; a few bytes each, even for a province

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        actor = data.get("actor")
        chat = data.get("event_chat")
        first_time = actor is not None and actor.person_id not in self.shown
        if first_time and chat is not None and chat.type == "private":
            self.shown.add(actor.person_id)
            duties = await duties_of(self.app, actor)
            await show_own_commands(data["bot"], chat.id, duties, current_language())
            await show_dashboard_button(data["bot"], chat.id, duties, self.app.settings)
        return await handler(event, data)
