"""The monthly summaries as they were sent (bot/core/reports/summaries.py): the whole summary,
and each village's two numbers the dashboard's 12-month trend reads (a county's summary is
megabytes of JSON; its trend needs 250 pairs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base


class CoverageSnapshot(Base):
    """A monthly coverage summary as it was sent to the town office. Kept as it was: contacts
    backdated into the month afterwards are reported as late entries in a later summary."""

    __tablename__ = "coverage_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    month: Mapped[str] = mapped_column(String(7), unique=True)  # "YYYY-MM"
    created_at: Mapped[datetime]
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class SentVillageCount(Base):
    """One village's households and contacted households in a month's summary as sent,
    written with the snapshot and never changed."""

    __tablename__ = "sent_village_counts"

    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "YYYY-MM"
    village_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    households: Mapped[int] = mapped_column(Integer)
    contacted: Mapped[int] = mapped_column(Integer)
