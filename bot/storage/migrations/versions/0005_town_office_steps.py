"""town office: assistance measures, red-flag removal steps, roster changes with meetings

Adds the assistance plan (一户一方案), the steps of a red flag's removal (village request,
town review, county decision), the meeting-recorded roster changes (动态调整) the forms read,
and on red_flags the town's approval time and the county's decision.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import bot.storage.models

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assistance_measures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("responsible", sa.String(length=100), nullable=False),
        sa.Column("amount", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("major_event", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", bot.storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["people.id"],
            name=op.f("fk_assistance_measures_created_by_id_people"),
        ),
        sa.ForeignKeyConstraint(
            ["flag_id"], ["red_flags.id"], name=op.f("fk_assistance_measures_flag_id_red_flags")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_assistance_measures_household_id_households"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assistance_measures")),
    )
    op.create_index(
        op.f("ix_assistance_measures_household_id"),
        "assistance_measures",
        ["household_id"],
        unique=False,
    )
    op.create_table(
        "flag_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("flag_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=100), nullable=False),
        sa.Column("at", bot.storage.models.UTCDateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_on", sa.Date(), nullable=True),
        sa.Column("document", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["people.id"], name=op.f("fk_flag_steps_actor_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["flag_id"], ["red_flags.id"], name=op.f("fk_flag_steps_flag_id_red_flags")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_flag_steps")),
    )
    op.create_index(op.f("ix_flag_steps_flag_id"), "flag_steps", ["flag_id"], unique=False)
    op.create_table(
        "household_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("old_value", sa.String(length=100), nullable=True),
        sa.Column("new_value", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("meeting_on", sa.Date(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=100), nullable=False),
        sa.Column("at", bot.storage.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["people.id"], name=op.f("fk_household_changes_actor_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_household_changes_household_id_households"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_household_changes")),
    )
    op.create_index(
        op.f("ix_household_changes_household_id"),
        "household_changes",
        ["household_id"],
        unique=False,
    )
    with op.batch_alter_table("red_flags", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("removal_approved_at", bot.storage.models.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(sa.Column("county_decided_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("county_document", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("red_flags", schema=None) as batch_op:
        batch_op.drop_column("county_document")
        batch_op.drop_column("county_decided_on")
        batch_op.drop_column("removal_approved_at")
    op.drop_index(op.f("ix_household_changes_household_id"), table_name="household_changes")
    op.drop_table("household_changes")
    op.drop_index(op.f("ix_flag_steps_flag_id"), table_name="flag_steps")
    op.drop_table("flag_steps")
    op.drop_index(op.f("ix_assistance_measures_household_id"), table_name="assistance_measures")
    op.drop_table("assistance_measures")
