"""One page of a list a person scrolls with ◀ ▶: the lists are sorted in Python (by pinyin,
which SQL cannot do), so paging is a slice of the sorted list."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Paged(Generic[T]):
    items: list[T]
    page: int  # 0-based, clamped to the pages that exist
    pages: int
    total: int


def page_of(items: Sequence[T], page: int, size: int) -> Paged[T]:
    """Page `page` (clamped: a stale ▶ after the list shrank shows the last page)."""
    pages = max(1, math.ceil(len(items) / size))
    page = min(max(page, 0), pages - 1)
    return Paged(list(items[page * size : (page + 1) * size]), page, pages, len(items))
