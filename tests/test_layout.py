"""The layout stays readable (issue 13): no import circle, no module over
400 lines, a first line that says what each module is, benchmarks outside
the shipped packages, and README "The code" naming every module there is."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

from tests.conftest import ROOT

PACKAGES = ("crawler", "storage", "schedules", "batch", "reading", "cli")
MAX_LINES = 400


def modules(*folders: str) -> dict[str, Path]:
    """Dotted name -> path of every Python module under the folders."""
    found = {}
    for folder in folders:
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def imported(path: Path, known: set[str]) -> set[str]:
    """The project modules a module imports, at its top or inside a function
    (an import in a function closes a circle as surely, only later)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            candidates = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        names.update(c for c in candidates if c in known)
    return names


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return found


def test_cycle_finder_finds_a_circle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle():
    found = modules(*PACKAGES, "benchmarks")
    known = set(found)
    # A package's __init__ importing its own modules is how a package
    # offers its API, not a circle between concepts.
    graph = {name: {m for m in imported(path, known) if not name.startswith(m + ".")}
             for name, path in found.items()}
    assert cycles(graph) == []


def test_no_module_is_too_long():
    found = modules(*PACKAGES, "benchmarks", "tests")
    long = {name: n for name, path in found.items()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_every_module_says_what_it_is():
    for name, path in modules(*PACKAGES, "benchmarks", "tests").items():
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        if path.name == "__init__.py" and path.parent.name == "tests":
            continue
        assert docstring and len(docstring.split()) >= 4, f"{name} has no docstring"


def test_benchmarks_ship_nowhere():
    found = modules(*PACKAGES)
    for name, path in found.items():
        assert not any(m.startswith("benchmarks") for m in imported(path, set(modules("benchmarks")))), name
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    assert not any(p.startswith("benchmarks") for p in shipped)
    assert sorted(p.rstrip("*") for p in shipped) == sorted(PACKAGES)


def test_readme_code_section_matches_the_tree():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## The code", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"[\w./-]+\.(?:py|toml|j2)\b|[\w-]+/", section))
    for folder in (*PACKAGES, "benchmarks", "tests", "docs"):
        assert f"{folder}/" in listed, folder
    # Every module of the shipped packages and the benchmarks is named
    # (by file name, within its folder's block).
    for path in sorted(p for f in (*PACKAGES, "benchmarks") for p in (ROOT / f).rglob("*.py")):
        if path.name in ("__init__.py", "__main__.py") or "migrations" in path.parts:
            continue
        assert path.name in section, f"README 'The code' does not name {path.relative_to(ROOT)}"
    # And names no file that is gone.
    for name in re.findall(r"\b[\w]+\.py\b", section):
        assert any(True for _ in ROOT.glob(f"**/{name}")), f"README names a missing {name}"
