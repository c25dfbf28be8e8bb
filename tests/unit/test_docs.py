"""The docs a clerk follows stay true: `.env.example` names every setting, the README links
the Chinese guide in its first lines and points to nothing outside the repository, and every
`bangfu` command the guide tells a clerk to type exists."""

from __future__ import annotations

import re
from pathlib import Path

from bot.cli import build_parser
from bot.config import Settings

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "部署与使用.md"
NOT_FOR_OPERATORS = {"locales_dir"}  # where the code's own catalogs are, not a choice


def test_env_example_names_every_setting_with_a_comment() -> None:
    lines = (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
    named = {}
    for number, line in enumerate(lines):
        found = re.match(r"^#? ?([A-Z][A-Z_]+)=", line)
        if found:
            named[found[1]] = number
    for field in set(Settings.model_fields) - NOT_FOR_OPERATORS:
        key = field.upper()
        assert key in named, f".env.example does not name {key}"
        explained = lines[named[key] - 1]
        assert explained.startswith("#") and "=" not in explained.split("#", 1)[1][:3], key


def test_the_readme_links_the_guide_first_and_nothing_outside_the_repository() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/部署与使用.md)" in "\n".join(readme.splitlines()[:5])
    for document in (ROOT / "README.md", GUIDE):
        text = document.read_text(encoding="utf-8")
        assert "../" not in text, f"{document.name} points outside the repository"
        for target in re.findall(r"\]\(([^)#]+)\)", text):
            if not target.startswith(("http://", "https://")):
                assert (document.parent / target).exists(), f"{document.name}: {target} missing"


def test_every_bangfu_command_in_the_guide_exists() -> None:
    commands = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    # "bangfu WORD", but not the account in "sudo -u bangfu mv …" or "journalctl -u bangfu -n"
    used = set(re.findall(r"(?<!-u )bangfu ([a-z][a-z-]+)", GUIDE.read_text(encoding="utf-8")))
    assert {"doctor", "backup", "restore", "service", "invite", "import"} <= used
    assert used <= set(commands), (
        f"the guide uses commands that do not exist: {used - set(commands)}"
    )
