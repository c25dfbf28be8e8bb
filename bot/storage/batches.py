"""Long lists of values in a query, a batch at a time. PostgreSQL (asyncpg) takes at most
32,767 values in one query, so looking up the households of a 100,000-row roster by 户编号
is done IMPORT_BATCH_SIZE values at a time (inserts are batched by SQLAlchemy itself).

On PostgreSQL each batch is planned for its own values (`plan_cache_mode =
force_custom_plan`, for the transaction). asyncpg prepares the statement once per connection,
and after five runs PostgreSQL may keep a generic plan for it: one made while the table was
small (the outbox before the 20th's 30,000 digests: a scan that compares every row with the
thousand keys) then serves the table grown large, until something analyzes it. So the
reminder sweep's second run in the same process took 61 s at 1,000,000 households where a fresh
connection took 3 s (README "Per update, the reminder sweep, a province")."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, text
from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")
DEFAULT_BATCH_SIZE = 5000  # values per query: far below PostgreSQL's 32,767, and SQLite's


def batches(values: Iterable[T], size: int) -> Iterator[list[T]]:
    """`values` in lists of at most `size`, in order."""
    batch: list[T] = []
    for value in values:
        batch.append(value)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def rows_in_batches(
    session: AsyncSession,
    query_for: Callable[[list[T]], Select[Any]],
    values: Sequence[T],
    size: int,
) -> list[Any]:
    """The rows of `query_for(batch)` for each batch of `values`, together."""
    found: list[Any] = []
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))
    for batch in batches(values, size):
        found += (await session.execute(query_for(batch))).all()
    return found
