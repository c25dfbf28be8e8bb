"""Which renderer turns each kind of outbox row into Telegram messages: one table, checked by
a test to name every `MessageKind` once. The sender looks a row's kind up here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from bot.core.delivery.kinds import MessageKind
from bot.i18n import use_language
from bot.messages import (
    county_notices,
    escalation_notices,
    flag_notices,
    notices,
    retraction_notices,
    summary_notices,
)
from bot.messages.rendering import OutgoingMessage
from bot.storage.models import OutboxMessage
from bot.storage.uow import UnitOfWork

Renderer = Callable[[UnitOfWork, OutboxMessage, str], Awaitable[list[OutgoingMessage]]]

RENDERERS: Mapping[str, Renderer] = {
    MessageKind.CONTACT_DIGEST: notices.contact_digest,
    MessageKind.VILLAGE_LIST: escalation_notices.village_list,
    MessageKind.TOWN_LIST: escalation_notices.town_list,
    MessageKind.PERSON_UNREACHABLE: notices.person_to_reassign,
    MessageKind.PERSON_INACTIVE: notices.person_to_reassign,
    MessageKind.FLAG_ALERT: notices.flag_alert,
    MessageKind.VILLAGE_FLAG: flag_notices.village_flag,
    MessageKind.FLAG_REMOVAL_REQUEST: flag_notices.removal_request,
    MessageKind.FLAG_DECISION: flag_notices.flag_decision,
    MessageKind.MONTHLY_SUMMARY: summary_notices.monthly_summary,
    MessageKind.COUNTY_SUMMARY: county_notices.county_summary,
    MessageKind.COUNTY_ESCALATION: county_notices.county_escalation,
    MessageKind.FLAG_RETRACTED: retraction_notices.flag_retracted,
    MessageKind.FLAG_RETRACTION_QUESTION: retraction_notices.retraction_question,
}


class NoRenderer(LookupError):
    """A row of a kind the table has no renderer for."""


async def render(
    uow: UnitOfWork,
    row: OutboxMessage,
    language: str,
    renderers: Mapping[str, Renderer] = RENDERERS,
) -> list[OutgoingMessage]:
    """The row's messages in `language`; [] when there is nothing left to say."""
    function = renderers.get(row.kind)
    if function is None:
        raise NoRenderer(f"no renderer for outbox kind {row.kind!r}")
    with use_language(language):
        return await function(uow, row, language)
