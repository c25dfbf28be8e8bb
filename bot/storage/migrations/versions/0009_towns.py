"""towns: a county on one installation. Villages belong to a town (乡镇); a town office
person works for one town; the office group is per town (and one for the county office).

Today's villages, town office people and office group go under one town named by the
TOWN_NAME setting (本镇 when it is not set).

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DEFAULT_TOWN_NAME = "本镇"


def _town_name() -> str:
    from bot.config import Settings

    return Settings().town_name.strip() or DEFAULT_TOWN_NAME


def upgrade() -> None:
    towns = op.create_table(
        "towns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_towns")),
        sa.UniqueConstraint("name", name=op.f("uq_towns_name")),
    )
    op.bulk_insert(towns, [{"id": 1, "name": _town_name()}])
    postgres = op.get_bind().dialect.name == "postgresql"
    if postgres:
        op.execute("SELECT setval('towns_id_seq', (SELECT MAX(id) FROM towns))")
    # Plain ADD COLUMN with its REFERENCES: SQLite would otherwise rebuild villages and
    # people, which other tables reference, and it cannot add NOT NULL to an existing column:
    # there villages.town_id stays nullable in the schema (the model always fills it).
    for table in ("villages", "people", "office_group"):
        _add_town_column(table, postgres)
    op.execute("UPDATE villages SET town_id = 1")
    op.execute("UPDATE people SET town_id = 1")  # everyone so far works in the one town
    # The one office group there was (row 1 in practice) becomes the town's.
    op.execute("UPDATE office_group SET town_id = 1 WHERE id = (SELECT MIN(id) FROM office_group)")
    if postgres:
        op.alter_column("villages", "town_id", existing_type=sa.Integer(), nullable=False)
    op.create_index(op.f("ix_villages_town_id"), "villages", ["town_id"], unique=False)
    op.create_index(op.f("uq_office_group_town_id"), "office_group", ["town_id"], unique=True)


def _add_town_column(table: str, postgres: bool) -> None:
    if postgres:
        op.add_column(table, sa.Column("town_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            op.f(f"fk_{table}_town_id_towns"), table, "towns", ["town_id"], ["id"]
        )
    else:
        op.execute(f"ALTER TABLE {table} ADD COLUMN town_id INTEGER REFERENCES towns (id)")


def downgrade() -> None:
    op.drop_index(op.f("uq_office_group_town_id"), table_name="office_group")
    op.drop_index(op.f("ix_villages_town_id"), table_name="villages")
    for table in ("office_group", "people", "villages"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("town_id")
    op.drop_table("towns")
