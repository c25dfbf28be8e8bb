"""households: 脱贫年度, 低保/特困/残疾 and 原识别时间 for the six forms

Optional columns of the roster; empty for the households already there until a roster with
these columns is imported again.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("households") as batch:
        batch.add_column(sa.Column("exit_year", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("social_support", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("identified_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("households") as batch:
        batch.drop_column("identified_on")
        batch.drop_column("social_support")
        batch.drop_column("exit_year")
