"""What the benchmarks share: a fresh database of their own, and a child process's CPU time
and memory as Linux counts them (/proc), so the Bot API stand-in in the parent is not counted.
"""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import URL, make_url

from bot.config import normalise_database_url
from bot.storage.migrate import upgrade

TICKS = os.sysconf("SC_CLK_TCK")


def fresh_database(url: str | None, folder: Path, name: str) -> str:
    """A migrated, empty database: a SQLite file in `folder`, or the PostgreSQL database
    named in `url` dropped and created again (give a benchmark a database of its own)."""
    if url is None:
        database_url = f"sqlite+aiosqlite:///{folder / name}.db"
    else:
        database_url = normalise_database_url(url)
        asyncio.run(_recreate(make_url(database_url)))
    upgrade(database_url)
    return database_url


async def _recreate(url: URL) -> None:
    connection = await _connect(url, "postgres")
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
        await connection.execute(f'CREATE DATABASE "{url.database}"')
    finally:
        await connection.close()


async def _connect(url: URL, database: str):  # type: ignore[no-untyped-def]
    import asyncpg

    return await asyncpg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username,
        password=url.password,
        database=database,
    )


@dataclass(frozen=True)
class Usage:
    cpu: float  # seconds of CPU (user + system) the process used so far
    rss_mb: float  # resident memory now


def usage(pid: int) -> Usage:
    """CPU time and resident memory of process `pid` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime
    rss_kb = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss_kb = int(line.split()[1])
    return Usage(cpu=cpu, rss_mb=rss_kb / 1024)


async def engine_pids(database_url: str | None, redis_url: str | None) -> dict[str, list[int]]:
    """The processes of the engines the workers share, where this machine runs them (a local
    address): the PostgreSQL backends connected to the benchmark's database, the Redis server."""
    pids: dict[str, list[int]] = {}
    if database_url and database_url.startswith("postgresql") and _local(database_url):
        url = make_url(database_url)
        connection = await _connect(url, url.database or "postgres")
        try:
            rows = await connection.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                url.database,
            )
        finally:
            await connection.close()
        pids["PostgreSQL"] = _ours([row["pid"] for row in rows], "postgres")
    if redis_url and _local(redis_url):
        from redis.asyncio import Redis

        redis = Redis.from_url(redis_url)
        try:
            pids["Redis"] = _ours([int((await redis.info("server"))["process_id"])], "redis")
        finally:
            await redis.aclose()
    return {name: found for name, found in pids.items() if found}


def _ours(pids: list[int], program: str) -> list[int]:
    """Those of `pids` that are `program`'s processes here: an engine in a container (its
    port published on 127.0.0.1) reports process ids of its own, not this machine's."""
    kept = []
    for pid in pids:
        try:
            if Path(f"/proc/{pid}/comm").read_text().startswith(program):
                kept.append(pid)
        except OSError:
            continue
    return kept


def _local(url: str) -> bool:
    return (urlsplit(url).hostname or "localhost") in ("localhost", "127.0.0.1", "::1")


def cpu_of(pids: dict[str, list[int]]) -> dict[str, dict[int, float]]:
    """Each engine process's CPU seconds so far (a process gone meanwhile is left out)."""
    seconds: dict[str, dict[int, float]] = {}
    for name, found in pids.items():
        seconds[name] = {}
        for pid in found:
            try:
                seconds[name][pid] = usage(pid).cpu
            except (FileNotFoundError, ProcessLookupError):
                continue
    return seconds


def cpu_between(
    before: dict[str, dict[int, float]], after: dict[str, dict[int, float]]
) -> dict[str, float]:
    """CPU seconds each engine spent between two readings; a backend that started in between
    counts whole (a pool opens connections as the load asks)."""
    return {
        name: sum(late - before.get(name, {}).get(pid, 0.0) for pid, late in found.items())
        for name, found in after.items()
    }


async def start_child(module: str, *arguments: str) -> asyncio.subprocess.Process:
    """`python -m module arguments…` in the same venv, its output passed through."""
    return await asyncio.create_subprocess_exec(sys.executable, "-m", module, *arguments)


async def stop_child(process: asyncio.subprocess.Process) -> int:
    if process.returncode is None:
        process.terminate()
    return await process.wait()


async def py_spy(pid: int) -> asyncio.subprocess.Process | None:
    """With BENCH_PYSPY=FILE: py-spy samples the bot during the timed presses, whichever of
    its threads holds the GIL (collapsed stacks in FILE; `pip install py-spy` in the venv
    first)."""
    output = os.environ.get("BENCH_PYSPY")
    if not output:
        return None
    spy = Path(sys.executable).with_name("py-spy")
    return await asyncio.create_subprocess_exec(
        str(spy),
        "record",
        "--pid",
        str(pid),
        "--format",
        "raw",
        "--output",
        output,
        "--rate",
        "200",
        "--threads",
        "--nonblocking",
        "--gil",  # the thread holding the interpreter only: CPU, not threads waiting
    )
