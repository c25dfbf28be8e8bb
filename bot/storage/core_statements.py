"""Statements built once and run as SQLAlchemy Core, not through the ORM.

A statement written with the ORM's attributes (`Household.id`, `Person.name`) is run by the
session's ORM layer at every execution, even when it selects columns only: it sets up ORM
compile state and reads the rows through the ORM's loading (`instances`). For the two
statements every menu press runs (the intake's first reads, the household list) that was
about 0.07 ms each of CPU. `as_core` gives the same statement made of the tables' plain
columns: the same SQL, the same rows with the same names and types, read by Core.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.sql.util import _deep_deannotate

Statement = TypeVar("Statement", bound=Select[Any])


def as_core(statement: Statement) -> Statement:
    """`statement` without the ORM's annotations, so the session runs it as Core. Build any
    further criteria on the ORM original (they would bring the ORM back)."""
    core = _deep_deannotate(statement)
    core._propagate_attrs = {}  # what tells the session to use the ORM layer
    return core
