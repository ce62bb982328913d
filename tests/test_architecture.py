"""The direction of the arrows between kindbreak's parts (docs/architecture.md), read from the
imports in the source, so a change that points one the wrong way fails here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src" / "kindbreak"


def kindbreak_imports(package: str) -> dict[str, set[str]]:
    """``{module file: kindbreak modules it imports}`` for every module of ``package``."""
    found: dict[str, set[str]] = {}
    for path in sorted((SRC / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module == "kindbreak":
                names.update(f"kindbreak.{a.name}" for a in node.names if a.name[0] != "_")
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
            elif isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
        found[str(path.relative_to(SRC))] = {n for n in names if n.split(".")[0] == "kindbreak"}
    return found


def test_kindbreak_imports_sees_the_pipelines_imports() -> None:
    # The helper itself: a known import is found (else the tests below could not fail).
    assert "kindbreak.stream" in kindbreak_imports("signal")["signal/pipeline.py"]


NEUTRAL = {"stream", "clock", "config", "paths", "errors", "durations", "safefile", "logfile"}
"""Small modules of plain data and helpers that any part may use (``progress`` too, outside the
pure core)."""

MAY_IMPORT: dict[str, set[str]] = {
    # the pure core: plain data in, plain data out
    "signal": {"stream", "errors"},
    # the edges
    "devices": NEUTRAL,
    "store": NEUTRAL | {"signal"},  # the records it writes (type hints only)
    "prompts": NEUTRAL,
    "service": NEUTRAL,
    # the demos' own pieces (the simulated person, the demo week's days)
    "demo": NEUTRAL | {"prompts", "devices", "live"},
    # what runs the core against the edges
    "offline": NEUTRAL | {"progress", "signal", "devices", "store"},
    "report": NEUTRAL | {"signal", "store", "prompts"},
    "live": NEUTRAL | {"signal", "store", "prompts", "report"},
    # the root and the commands
    "app": NEUTRAL | {"signal", "devices", "store", "prompts", "live", "demo"},
    "commands": NEUTRAL
    | {"progress", "signal", "devices", "store", "prompts", "report", "live", "offline"}
    | {"service", "demo", "app"},
    "cli": NEUTRAL | {"commands"},
}
"""Which parts each part may import (``kindbreak.<part>``); docs/architecture.md draws it."""


def part_imports() -> dict[str, set[str]]:
    """``{part: the other parts it imports}`` over the whole package."""
    found: dict[str, set[str]] = {}
    for module, names in kindbreak_imports(".").items():
        part = module.split("/")[0].removesuffix(".py")
        targets = {n.split(".")[1] for n in names if n.count(".") >= 1}
        found.setdefault(part, set()).update(targets - {part})
    return found


def test_part_imports_sees_the_session_import_the_pipeline() -> None:
    assert "signal" in part_imports()["live"]


def test_every_arrow_points_the_way_the_architecture_says() -> None:
    wrong = {
        part: sorted(targets - MAY_IMPORT[part])
        for part, targets in part_imports().items()
        if part in MAY_IMPORT
    }
    assert {part: targets for part, targets in wrong.items() if targets} == {}


def test_every_part_has_its_arrows_written_down() -> None:
    parts = {p for p in part_imports() if p not in {"__init__", "__main__"}}
    assert parts <= set(MAY_IMPORT) | NEUTRAL | {"progress"}


SQL = re.compile(r"^\s*(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE TABLE)\b", re.I)
STORE_INSIDES = {"query", "_read", "_buffer", "_conn", "_exec", "_write", "_pending"}


def _store_inside(node: ast.Attribute) -> bool:
    """``store.query(...)``, ``self.store._read``: the store's generic or private parts."""
    return node.attr in STORE_INSIDES and "store" in ast.unparse(node.value).lower()


def sql_outside_the_store() -> dict[str, list[str]]:
    """``{module: [what]}``: SQL text, or a generic or private store call, outside ``store/``."""
    found: dict[str, list[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        module = str(path.relative_to(SRC))
        if module.startswith("store/"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if SQL.match(node.value):
                    found.setdefault(module, []).append(node.value.split()[0])
            elif isinstance(node, ast.Attribute) and _store_inside(node):
                found.setdefault(module, []).append(f".{node.attr}")
    return found


def test_the_sql_check_sees_sql() -> None:
    tree = "x = store.query('SELECT wall FROM prompts')"
    nodes = list(ast.walk(ast.parse(tree)))
    assert any(isinstance(n, ast.Constant) and SQL.match(str(n.value)) for n in nodes)
    assert any(isinstance(n, ast.Attribute) and _store_inside(n) for n in nodes)


def test_sql_lives_only_in_the_store() -> None:
    assert sql_outside_the_store() == {}


# -- the tests' own house ------------------------------------------------------------------------

TESTS = Path(__file__).resolve().parent


def test_test_folders_mirror_the_source() -> None:
    folders = {p.name for p in TESTS.iterdir() if p.is_dir() and not p.name.startswith("__")}
    parts = {p.name for p in SRC.iterdir() if (p / "__init__.py").exists()}
    assert folders - parts == {"data", "support", "faults"}


def test_helpers_are_shared_one_way() -> None:
    """Helpers come from ``support``: no relative import, nothing from a conftest or a test
    module, and no test folder is a package."""
    wrong: list[str] = []
    for path in sorted(TESTS.rglob("*.py")):
        where = str(path.relative_to(TESTS))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                module = node.module or ""
                last = module.split(".")[-1]
                if node.level or last == "conftest" or last.startswith("test_"):
                    wrong.append(f"{where}: from {'.' * node.level}{module}")
    packages = [str(p.relative_to(TESTS)) for p in TESTS.rglob("__init__.py")]
    # Helper code outside support/ would be imported by its bare name (and deptry in .ci/run
    # takes such a name for an undeclared package).
    strays = [
        str(p.relative_to(TESTS))
        for p in TESTS.rglob("*.py")
        if p.parts[len(TESTS.parts)] != "support"
        and p.name != "conftest.py"
        and not p.name.startswith("test_")
    ]
    assert wrong == []
    assert packages == ["support/__init__.py"]
    assert strays == []
