"""Long lists of values in a query, a batch at a time. PostgreSQL (asyncpg) takes at most
32,767 values in one query, so looking up the households of a 100,000-row roster by 户编号
is done IMPORT_BATCH_SIZE values at a time (inserts are batched by SQLAlchemy itself)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select
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
    for batch in batches(values, size):
        found += (await session.execute(query_for(batch))).all()
    return found
