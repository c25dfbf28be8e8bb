"""Commands printed for an operator to paste (by the CLI, and in the town office's notices):
every value quoted for the shell (a name like 张三$(…) stays a name) and joined to its option
(`--name=-x`), so a value beginning with "-" is not read as an option."""

from __future__ import annotations

import shlex


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
