"""The texts of the office dashboard's sign-in in the chat: the /web answer and the Mini App
menu button's label."""

from __future__ import annotations

from bot.config import Settings
from bot.i18n import N_
from bot.i18n import gettext as _

MENU_BUTTON = N_("Dashboard")
NOT_SET_UP = N_(
    "The office dashboard is not set up on this installation yet (WEB_BASE_URL and WEB_PORT). "
    "Please ask whoever runs bangfu."
)
LINK = N_(
    "Your sign-in link to the office dashboard (works once, for {minutes} minutes; "
    "do not forward it):\n{link}"
)


def sign_in_link(settings: Settings, token: str) -> str:
    return f"{settings.web_base_url}/web/signin?token={token}"


def link_message(settings: Settings, token: str) -> str:
    return _(LINK).format(minutes=settings.web_link_minutes, link=sign_in_link(settings, token))


def mini_app_url(settings: Settings) -> str:
    return f"{settings.web_base_url}/web/app"
