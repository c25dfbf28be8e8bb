"""the office dashboard's sign-in: one-time sign-in links sent by /web, and web sessions;
only the SHA-256 of each secret is stored

Revision ID: 0010
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.models

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "web_sign_in_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("created_at", bot.storage.models.UTCDateTime(), nullable=False),
        sa.Column("expires_at", bot.storage.models.UTCDateTime(), nullable=False),
        sa.Column("used_at", bot.storage.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_web_sign_in_links_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sign_in_links")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_sign_in_links_token_hash")),
    )
    op.create_table(
        "web_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("via", sa.String(length=20), nullable=False),
        sa.Column("created_at", bot.storage.models.UTCDateTime(), nullable=False),
        sa.Column("expires_at", bot.storage.models.UTCDateTime(), nullable=False),
        sa.Column("ended_at", bot.storage.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_web_sessions_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_web_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_web_sessions_token_hash")),
    )
    op.create_index(op.f("ix_web_sessions_person_id"), "web_sessions", ["person_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_web_sessions_person_id"), table_name="web_sessions")
    op.drop_table("web_sessions")
    op.drop_table("web_sign_in_links")
