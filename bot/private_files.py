"""Files that hold the town's data (the SQLite database, exported forms with full ID numbers,
coverage summaries) are private to the account bangfu runs as: files 0600, the folders bangfu
makes for them 0700, whatever the umask says. A folder that already existed keeps its mode: it
may be the operator's own (their home, the current folder)."""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def private_folder(path: Path) -> Path:
    """`path`, created with any missing parents; the folders created here are 0700."""
    missing = [folder for folder in (path, *path.parents) if not folder.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for folder in missing:
        folder.chmod(PRIVATE_FOLDER)
    return path


def private_file(path: Path) -> Path:
    """`path` as an existing 0600 file: created empty if missing, its mode narrowed if not."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE)
    try:
        os.fchmod(descriptor, PRIVATE_FILE)
    finally:
        os.close(descriptor)
    return path


def write_private(path: Path, data: bytes) -> Path:
    """Write `data` to `path` as a 0600 file, replacing what was there."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    with os.fdopen(descriptor, "wb") as file:
        os.fchmod(descriptor, PRIVATE_FILE)  # an existing file keeps its mode on open
        file.write(data)
    return path
