"""Alembic environment: runs migrations over the async engine bangfu itself uses."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from bot.storage import sign_in_models, summary_models  # noqa: F401 (their tables join the metadata)
from bot.storage.db import create_engine
from bot.storage.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_async() -> None:
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    engine = create_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(_run)
        await connection.commit()
    await engine.dispose()


def _in_thread() -> None:
    asyncio.run(_run_async())


if context.is_offline_mode():
    raise SystemExit("bangfu runs migrations online only")

try:
    asyncio.get_running_loop()
except RuntimeError:
    asyncio.run(_run_async())
else:
    # Called from inside a running loop (tests, `bangfu run`): use a thread with its own loop.
    import threading

    thread = threading.Thread(target=_in_thread)
    thread.start()
    thread.join()
