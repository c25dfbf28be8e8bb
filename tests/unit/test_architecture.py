"""The shape of the code, checked: the core knows no framework, not even through the modules
it imports, no module grows past ~400 lines, and no module imports itself back through others
(see docs/architecture.md)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "scheduler")
# The core is plain Python over storage: a web page or the CLI calls it unchanged.
CORE = ("bot.core", "bot.domain")
NOT_IN_CORE = (
    "aiogram",
    "aiohttp",
    "matplotlib",
    "xlsxwriter",
    "openpyxl",
    "bot.telegram",
    "bot.messages",
    "bot.handlers",
    "bot.documents",
    "bot.cli",
    "scheduler",
)
MAX_LINES = 400
# Migrations are written once and never edited; their length is the schema's.
LONG_ALLOWED = {"bot/storage/migrations/versions/0001_initial_schema.py"}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "migrations" in relative.parts:
                continue
            parts = relative.with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """Every module name an import statement in the file names, at any depth."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_the_core_imports_no_framework_file_writer_or_adapter() -> None:
    offences = [
        f"{module} imports {name}"
        for module, path in MODULES.items()
        if any(_within(module, core) for core in CORE)
        for name in sorted(_imports(path))
        if any(_within(name, banned) for banned in NOT_IN_CORE)
    ]
    assert offences == []


def _reached_from(graph: dict[str, set[str]], start: str) -> dict[str, str]:
    """Every project module `start` imports, at any distance -> the module that imports it."""
    came_from: dict[str, str] = {}
    todo = [start]
    while todo:
        module = todo.pop()
        for target in sorted(graph.get(module, ())):
            if target not in came_from and target != start:
                came_from[target] = module
                todo.append(target)
    return came_from


def _chain(came_from: dict[str, str], start: str, end: str) -> str:
    links = [end]
    while links[-1] != start:
        links.append(came_from[links[-1]])
    return " -> ".join(reversed(links))


def _links_into_adapters(graph: dict[str, set[str]]) -> list[str]:
    """Each core module that reaches a framework or an adapter through modules outside the
    core (bot.errors -> bot.text_preview -> bot.telegram.limits), with the chain."""
    offences = []
    for module in sorted(graph):
        if not any(_within(module, core) for core in CORE):
            continue
        came_from = _reached_from(graph, module)
        for reached in sorted(came_from):
            if any(_within(reached, banned) for banned in NOT_IN_CORE):
                offences.append(_chain(came_from, module, reached))
                continue
            path = MODULES.get(reached)
            for name in sorted(_imports(path)) if path else ():
                if any(_within(name, banned) for banned in NOT_IN_CORE):
                    offences.append(f"{_chain(came_from, module, reached)} -> {name}")
    return offences


def test_the_core_reaches_no_framework_or_adapter_through_other_modules() -> None:
    assert _links_into_adapters(_graph()) == []


def test_an_indirect_link_into_an_adapter_is_caught() -> None:
    graph = {
        "bot.core.x": {"bot.errors"},
        "bot.errors": {"bot.text_preview"},
        "bot.text_preview": {"bot.telegram.limits"},
        "bot.telegram.limits": set(),
    }
    assert _links_into_adapters(graph) == [
        "bot.core.x -> bot.errors -> bot.text_preview -> bot.telegram.limits"
    ]


def test_no_module_is_longer_than_400_lines() -> None:
    too_long = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            relative = path.relative_to(ROOT).as_posix()
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > MAX_LINES and relative not in LONG_ALLOWED:
                too_long[relative] = lines
    assert too_long == {}


def _graph() -> dict[str, set[str]]:
    """Module -> the project's modules it imports. Importing a.b.c runs a/__init__ and
    a/b/__init__ first, so a non-empty package's __init__ counts as imported too, unless the
    package holds the importing module (Python has begun it already)."""
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        targets = set()
        for name in _imports(path):
            parts = name.split(".")
            for end in range(1, len(parts) + 1):
                candidate = ".".join(parts[:end])
                if candidate in MODULES and not _within(module, candidate):
                    targets.add(candidate)
        graph[module] = targets - {module}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))
    return groups


def test_no_import_cycles() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
