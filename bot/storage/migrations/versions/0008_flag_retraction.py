"""red flags that can be retracted: the problems a flag was raised for, when it was withdrawn,
and the Telegram id of each sent message (a retraction replies to the original alert)

Existing guarantee flags take their problems from the contact that raised them.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.models

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("red_flags") as batch:
        batch.add_column(sa.Column("problems", sa.JSON(), server_default="[]", nullable=False))
        batch.add_column(sa.Column("withdrawn_at", bot.storage.models.UTCDateTime(), nullable=True))
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("message_id", sa.BigInteger(), nullable=True))
    op.execute(
        "UPDATE red_flags SET problems = COALESCE("
        "(SELECT contacts.problems FROM contacts WHERE contacts.id = red_flags.contact_id), "
        "'[]') "
        "WHERE source = 'guarantee' AND contact_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("message_id")
    with op.batch_alter_table("red_flags") as batch:
        batch.drop_column("withdrawn_at")
        batch.drop_column("problems")
