"""office group: the town office's group confirmed in the group itself

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.models

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "office_group",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("confirmed_by_id", sa.Integer(), nullable=True),
        sa.Column("confirmed_at", bot.storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["confirmed_by_id"], ["people.id"], name=op.f("fk_office_group_confirmed_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_office_group")),
    )


def downgrade() -> None:
    op.drop_table("office_group")
