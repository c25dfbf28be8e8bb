"""Every kind of message the core queues has exactly one Telegram renderer."""

from bot.core.delivery.kinds import MessageKind
from bot.messages.renderers import RENDERERS


def test_every_message_kind_has_a_telegram_renderer_and_nothing_else_does() -> None:
    assert set(RENDERERS) == set(MessageKind)
    assert all(callable(function) for function in RENDERERS.values())
