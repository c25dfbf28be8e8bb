"""The office dashboard's sign-in rows (bot/core/signin/): one-time links and web sessions.
Only the SHA-256 of each secret is stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base


class WebSignInLink(Base):
    """A one-time sign-in link sent by /web: it works once, for WEB_LINK_MINUTES."""

    __tablename__ = "web_sign_in_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class WebSession(Base):
    """A signed-in browser (its cookie's SHA-256). Ends when it expires, when its person
    signs out, or at once when the person is deactivated (checked on each request)."""

    __tablename__ = "web_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    via: Mapped[str] = mapped_column(String(20))  # "link" | "mini_app"
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
