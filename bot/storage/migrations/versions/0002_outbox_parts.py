"""outbox fan-out and parts: the caller's key, the rendered messages, the parts sent

`base_key` is the key a message was queued under, shared by the rows it was fanned out into
(one per recipient), so a message is queued once. A row that renders to several messages
keeps them as rendered at its first try (`parts`), and counts the parts Telegram accepted
(`parts_sent`), so a retry after a failure sends only the rest.

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("base_key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("parts", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("parts_sent", sa.Integer(), nullable=False, server_default="0")
        )
    # Rows queued before: each was its own message.
    op.execute("UPDATE outbox SET base_key = key")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("base_key", existing_type=sa.String(length=200), nullable=False)
        batch_op.create_index(batch_op.f("ix_outbox_base_key"), ["base_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_base_key"))
        batch_op.drop_column("parts_sent")
        batch_op.drop_column("parts")
        batch_op.drop_column("base_key")
