"""the dashboard overview at county size: covering indexes for a month's contacts and
assignments and a person's last entry; each village's two numbers of a sent summary in their
own table (the trend reads them instead of the summary's JSON), filled from the summaries
sent so far

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_contacts_month": ("contacts", ["occurred_on", "status", "household_id", "channel"]),
    "ix_contacts_person_entered": ("contacts", ["person_id", "status", "entered_at"]),
    "ix_assignments_window": (
        "assignments",
        ["household_id", "started_at", "ended_at", "person_id"],
    ),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)
    counts = op.create_table(
        "sent_village_counts",
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("households", sa.Integer(), nullable=False),
        sa.Column("contacted", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("month", "village_id", name=op.f("pk_sent_village_counts")),
    )
    snapshots = sa.table(
        "coverage_snapshots", sa.column("month", sa.String), sa.column("data", sa.JSON)
    )
    rows = []
    for month, data in op.get_bind().execute(sa.select(snapshots.c.month, snapshots.c.data)):
        rows.extend(_village_rows(month, data))
    if rows:
        op.bulk_insert(counts, rows)


def _village_rows(month: str, data: Any) -> list[dict[str, Any]]:
    """A stored summary's villages (none in a summary of another shape)."""
    villages = data.get("villages") if isinstance(data, dict) else None
    return [
        {
            "month": month,
            "village_id": int(village["village_id"]),
            "households": int(village["tally"]["households"]),
            "contacted": int(village["tally"]["contacted"]),
        }
        for village in villages or []
    ]


def downgrade() -> None:
    op.drop_table("sent_village_counts")
    for name, (table, _columns) in INDEXES.items():
        op.drop_index(name, table_name=table)
