"""What the CLI prints. Names, villages and cells come from rosters and people, so nothing
from the data reaches the terminal as a control: an escape code (ESC …) could recolour,
retitle or rewrite the operator's terminal, a carriage return could hide a line. And a
command meant to be pasted quotes every value for the shell (a name like 张三$(…) stays a
name) and joins each option to its value (`--name=-x`), so a value beginning with "-" is
not read as an option."""

from __future__ import annotations

import re
import shlex
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


def shell_command(*words: str, **options: str) -> str:
    """A command line to paste into a shell: the words (program, subcommands, paths), then
    each option as `--option=value` (underscores in its name become dashes), every word and
    value quoted as the shell needs. A relative path beginning with "-" gets "./" before it,
    so neither a value nor a path is read as an option."""
    quoted = [shlex.quote(f"./{word}" if word.startswith("-") else word) for word in words]
    quoted += [
        f"--{name.replace('_', '-')}={shlex.quote(value)}" for name, value in options.items()
    ]
    return " ".join(quoted)
