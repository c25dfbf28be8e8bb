"""What the town office reads when a red flag follows its contact back (撤回红色标注): a short
notice that it was retracted, or, when the office had acted on it already, the question
whether to keep it. Both reply to the flag's original alert in the same chat, so the office
sees which alert they are about."""

from __future__ import annotations

from sqlalchemy import select

from bot.core.delivery.outbox import OutboxStatus
from bot.core.flags.acknowledgement import FlagView, flag_view
from bot.core.households.my_households import household_name
from bot.domain.model import ContactStatus, FlagStatus
from bot.domain.problems import problem_list
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.messages.keyboards import FlagAction, FlagButton, inline_grid
from bot.messages.rendering import OutgoingMessage
from bot.storage.models import OutboxMessage
from bot.storage.uow import UnitOfWork
from bot.text_preview import NAME, preview

KEEP_BUTTON = N_("🚩 Keep the red flag")
WITHDRAW_BUTTON = N_("↩️ Withdraw it")
DETAILS_BUTTON = N_("📋 Details")


async def original_alert(uow: UnitOfWork, flag_id: int, recipient: str) -> int | None:
    """The Telegram id of the flag's first alert as sent to this recipient, if it was."""
    return (
        await uow.session.execute(
            select(OutboxMessage.message_id).where(
                OutboxMessage.base_key == f"flag:{flag_id}:alert:0",
                OutboxMessage.recipient == recipient,
                OutboxMessage.status == OutboxStatus.SENT,
            )
        )
    ).scalar_one_or_none()


def _subject(view: FlagView) -> str:
    return f"{view.household.village.name} {household_name(view.household)}"


def _problems(view: FlagView) -> str:
    return problem_list(view.flag.problems) if view.flag.problems else view.flag.reason


def _notice(
    view: FlagView,
    row: OutboxMessage,
    headline: str,
    ending: str,
    *,
    withdrawn: str,
    corrected: str,
) -> str:
    """The notice's first line (the flag's household and problems) and its last (what that
    means for the office), and between them who took the contact back and how (withdrawn or
    corrected, as the outbox row says); each text a msgid."""
    how = withdrawn if row.payload.get("contact_status") == ContactStatus.WITHDRAWN else corrected
    by = preview(row.payload.get("by", ""), NAME, one_line=True)
    subject = _(headline).format(household=_subject(view), problems=_problems(view))
    return "\n".join([subject, _(how).format(name=by), _(ending)])


async def flag_retracted(
    uow: UnitOfWork, row: OutboxMessage, language: str
) -> list[OutgoingMessage]:
    view = await flag_view(uow, row.payload["flag_id"])
    if view is None or view.flag.status != FlagStatus.WITHDRAWN:
        return []
    alert = await original_alert(uow, view.flag.id, row.recipient)
    if alert is None:
        return []  # the alert never reached this chat: there is nothing to take back there
    text = _notice(
        view,
        row,
        N_("↩️ Red flag retracted: {household} ({problems})."),
        ending=N_("It no longer counts anywhere; nothing more to do."),
        withdrawn=N_("{name} withdrew the contact that raised it."),
        corrected=N_(
            "{name} corrected the contact that raised it: the problem is no longer reported."
        ),
    )
    return [OutgoingMessage(text, None, reply_to=alert)]


async def retraction_question(
    uow: UnitOfWork, row: OutboxMessage, language: str
) -> list[OutgoingMessage]:
    view = await flag_view(uow, row.payload["flag_id"])
    if view is None or not view.is_open:
        return []
    text = _notice(
        view,
        row,
        N_("❓ Keep the red flag on {household} ({problems})?"),
        ending=N_(
            "The office has already acted on it (measures or a removal step), so it was "
            "not taken back. Keep it, or withdraw it?"
        ),
        withdrawn=N_("{name} withdrew the contact that raised this red flag."),
        corrected=N_(
            "{name} corrected the contact that raised this red flag: the problem is gone."
        ),
    )
    flag_id = view.flag.id
    keyboard = inline_grid(
        [
            (_(KEEP_BUTTON), FlagAction(action=FlagButton.KEEP, flag_id=flag_id)),
            (_(WITHDRAW_BUTTON), FlagAction(action=FlagButton.RETRACT, flag_id=flag_id)),
            (_(DETAILS_BUTTON), FlagAction(action=FlagButton.OPEN, flag_id=flag_id)),
        ],
        columns=(2, 1),
    )
    alert = await original_alert(uow, flag_id, row.recipient)
    return [OutgoingMessage(text, keyboard, reply_to=alert)]
