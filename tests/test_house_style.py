"""The house style that a reader relies on (shared/docs/style.md), checked over every Python file."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterator

from tests.engine.provider import PROJECT_ROOT

_FIRST_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def python_files() -> list[str]:
    """Return the Python files git tracks or would track, relative to the project root."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [path for path in listed.stdout.splitlines() if (PROJECT_ROOT / path).exists()]


def named_docstrings(path: str) -> Iterator[tuple[int, str, str]]:
    """Yield (line, name, docstring) for each documented function and class of a file."""
    tree = ast.parse((PROJECT_ROOT / path).read_text(), path)
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            docstring = ast.get_docstring(node)
            if docstring:
                yield node.lineno, node.name, docstring


def opens_with_own_name(name: str, docstring: str) -> bool:
    """Tell whether a docstring's first word is its function's or class's name, in any case."""
    first = _FIRST_WORD.match(docstring)
    return first is not None and first.group().strip("_").lower() == name.strip("_").lower()


def test_opens_with_own_name_catches_the_go_habit() -> None:
    """The check flags "Get_account reads ..." and "Start launches ...", not "Return ..."."""
    assert opens_with_own_name("_get_account", "Get_account reads the association.")
    assert opens_with_own_name("start", "Start launches the server.")
    assert opens_with_own_name("Emulator", "Emulator serves the API.")
    assert opens_with_own_name("_save", "_save writes the state file.")
    assert not opens_with_own_name("start", "Launch the server and wait for its port.")


def test_no_docstring_opens_with_its_own_name() -> None:
    """No docstring opens with its function's or class's own name (PEP 257 imperative instead)."""
    offenders = [
        f"{path}:{line} {name}"
        for path in python_files()
        for line, name, docstring in named_docstrings(path)
        if opens_with_own_name(name, docstring)
    ]
    assert offenders == [], f"{len(offenders)} docstrings open with their own name:\n" + "\n".join(offenders)


def test_mypy_strict_passes_on_the_typed_packages() -> None:
    """mypy --strict, as pyproject.toml configures it (providers, components, demo and both harnesses)."""
    configured = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    assert configured["strict"] is True
    assert {"providers", "components", "tests/emulator", "tests/engine"} <= set(configured["files"])
    run = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=False
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_ruff_finds_nothing() -> None:
    """`ruff check` and `ruff format --check` pass on the whole tree."""
    for args in (["check", "."], ["format", "--check", "."]):
        run = subprocess.run(
            [sys.executable, "-m", "ruff", *args],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0, run.stdout + run.stderr
