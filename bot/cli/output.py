"""What the CLI prints. Names, villages and cells come from rosters and people, so nothing
from the data reaches the terminal as a control: an escape code (ESC …) could recolour,
retitle or rewrite the operator's terminal, a carriage return could hide a line. Commands
meant to be pasted are built by `shell_command`: only the CLI prints them (the bot's notices
offer buttons instead)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import sys
import unicodedata
from typing import TextIO

KEPT = frozenset("\n\t")
# A whole escape sequence goes, not just its ESC: CSI (ESC [ … final byte), OSC (ESC ] … BEL
# or ESC \\), and the two-character ones.
ESCAPE_SEQUENCE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])"
)


def terminal_safe(text: str) -> str:
    """`text` without escape sequences, control characters and unpaired surrogates; line
    breaks and tabs stay, since the CLI's own messages use them."""
    return "".join(
        char
        for char in ESCAPE_SEQUENCE.sub("", text)
        if char in KEPT or unicodedata.category(char) not in ("Cc", "Cs")
    )


def say(text: str = "", *, file: TextIO | None = None, flush: bool = False) -> None:
    """Print one message (stdout, or `file`) with every control character removed."""
    print(terminal_safe(text), file=file or sys.stdout, flush=flush)


def shell_command(*words: str, **options: str | bool) -> str:
    """A command line to paste into a shell: the words (program, subcommands, paths), then
    each option as `--option=value` (underscores in its name become dashes; True: a bare
    `--option`), every word and value quoted as the shell needs (a name like 张三$(…) stays a
    name). Joined to its option, a value beginning with "-" is not read as an option; a
    relative path beginning with "-" gets "./" before it, for the same reason."""
    quoted = [shlex.quote(f"./{word}" if word.startswith("-") else word) for word in words]
    for name, value in options.items():
        option = f"--{name.replace('_', '-')}"
        quoted.append(option if value is True else f"{option}={shlex.quote(str(value))}")
    return " ".join(quoted)


def invoked_program() -> str:
    """How the operator started the CLI, to repeat in a command to paste: the path they typed
    (`.venv/bin/bangfu`) when plain `bangfu` would not find the same program, else `bangfu`."""
    typed = sys.argv[0] if sys.argv else ""
    if os.path.basename(typed) != "bangfu" or os.sep not in typed:
        return "bangfu"
    on_path = shutil.which("bangfu")
    if on_path and os.path.realpath(on_path) == os.path.realpath(typed):
        return "bangfu"
    return typed


def bangfu_command(*words: str, **options: str | bool) -> str:
    """`shell_command` for bangfu itself, started the way the operator started it."""
    return shell_command(invoked_program(), *words, **options)
