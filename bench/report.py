"""The benchmark's one table, its notes and the machine it ran on, rendered as Markdown."""

from __future__ import annotations

import datetime
import os
import platform
import re
import subprocess
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

__all__ = ["Report", "Row", "machine"]

_PROJECT_ROOT = Path(__file__).resolve().parents[1]
_PACKAGES = ("pulumi", "boto3", "botocore", "grpcio", "dill")


@dataclass
class Row:
    """One line of the table: a measured figure beside its goal, and whether it meets it."""

    measure: str
    case: str
    figure: str
    goal: str = ""
    verdict: str = ""
    missed: bool = False  # a goal that is not met: what a regression looks like


@dataclass
class Report:
    """Gather the rows and the numbered notes they refer to."""

    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def add(self, row: Row) -> Row:
        """Append a row and return it."""
        self.rows.append(row)
        return row

    def note(self, text: str) -> str:
        """Record a note, once, and return its marker for a cell."""
        if text not in self.notes:
            self.notes.append(text)
        return f"[{self.notes.index(text) + 1}]"

    def missed(self) -> list[Row]:
        """List the rows whose goal is not met."""
        return [row for row in self.rows if row.missed]

    def table(self) -> str:
        """Render the rows as one Markdown table."""
        header = ("measure", "case", "figure", "goal or limit", "verdict")
        lines = [_line(header), _line(("---",) * len(header))]
        lines += [_line((r.measure, r.case, r.figure, r.goal, r.verdict)) for r in self.rows]
        return "\n".join(lines)

    def merged(self, existing: str, seconds: float, load: tuple[float, float]) -> str:
        """Return an earlier RESULTS.md with this report's rows in place of its rows of the same measures.

        The earlier file keeps its header, machine and notes; this report's notes are added to them (a
        note already there is not repeated), a note no row cites any more is dropped and the rest are
        numbered anew, and a paragraph says when the new rows were measured.
        """
        head, rest = existing.split("## Results\n\n", 1)
        table, rest = rest.split("\n\n", 1)
        between, notes_text = rest.split("## Notes\n\n", 1)
        measures = {row.measure for row in self.rows}
        kept = [cells for cells in map(_cells, table.splitlines()[2:]) if cells[0] not in measures]
        notes = [m.group(1) for m in re.finditer(r"^\d+\. (.*)$", notes_text, re.MULTILINE)]
        numbers: dict[str, str] = {}
        for index, text in enumerate(self.notes, start=1):
            if text not in notes:
                notes.append(text)
            numbers[str(index)] = str(notes.index(text) + 1)

        def renumber(cell: str) -> str:
            return re.sub(r"\[(\d+)\]", lambda m: f"[{numbers.get(m.group(1), m.group(1))}]", cell)

        fresh = [
            tuple(renumber(c) for c in (r.measure, r.case, r.figure, r.goal, r.verdict)) for r in self.rows
        ]
        rows, notes = _cited_only(kept + fresh, notes)
        missed = sum(1 for cells in rows if cells[4].startswith("MISSED"))
        verdict = "Every goal is met." if not missed else f"Goals missed: {missed} (rows marked MISSED)."
        label = ", ".join(sorted(measures))
        earlier = [
            p
            for p in between.strip().split("\n\n")[1:]
            if p.startswith("Merged:") and not p.startswith(f"Merged: the rows of {label} ")
        ]
        described = dict(machine())
        paragraph = (
            f"Merged: the rows of {label} are from a later run (`python -m bench --merge`) on "
            f"{described['date']}, code {described['code']}, which took {seconds:.0f} s, load average "
            f"{load[0]:.2f} at its start and {load[1]:.2f} at its end; the other rows are as the header says."
        )
        lines = [_line(("measure", "case", "figure", "goal or limit", "verdict")), _line(("---",) * 5)]
        lines += [_line(cells) for cells in rows]
        notes_lines = "\n".join(f"{i}. {text}" for i, text in enumerate(notes, start=1))
        return (
            f"{head}## Results\n\n"
            + "\n".join(lines)
            + "\n\n"
            + "\n\n".join([verdict, *earlier, paragraph])
            + f"\n\n## Notes\n\n{notes_lines}\n"
        )

    def markdown(self, seconds: float, runs: int, load: tuple[float, float]) -> str:
        """Return the whole of RESULTS.md: how it was made, the machine, the table, the notes."""
        load_row = ("load average, 1 min", f"{load[0]:.2f} at the start, {load[1]:.2f} at the end")
        machine_lines = "\n".join(f"- {what}: {value}" for what, value in [*machine(), load_row])
        notes = "\n".join(f"{i}. {text}" for i, text in enumerate(self.notes, start=1))
        verdict = (
            "Every goal is met."
            if not self.missed()
            else f"Goals missed: {len(self.missed())} (rows marked MISSED)."
        )
        return (
            "# Benchmarks\n\n"
            "Written by `make bench` (`python -m bench`); do not edit by hand. Each timing is the "
            f"median of {runs} runs unless its cell says otherwise (n = runs, then the range). "
            f"The whole run took {seconds:.0f} s.\n\n"
            "## Machine\n\n"
            f"{machine_lines}\n\n"
            "## Results\n\n"
            f"{self.table()}\n\n"
            f"{verdict}\n\n"
            "## Notes\n\n"
            f"{notes}\n"
        )


def machine() -> list[tuple[str, str]]:
    """Describe the host, the interpreter, the key packages and the code measured."""
    versions = ", ".join(f"{name} {_version(name)}" for name in _PACKAGES)
    return [
        ("date", datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("CPU", _cpu_model()),
        ("cores", str(os.cpu_count())),
        ("memory", _memory()),
        ("OS", platform.platform()),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}{_bytecode()}"),
        ("packages", versions),
        ("code", _commit()),
    ]


def _bytecode() -> str:
    # Without .pyc files every process compiles the project's modules again at each start.
    return " (PYTHONDONTWRITEBYTECODE set)" if os.environ.get("PYTHONDONTWRITEBYTECODE") else ""


def _line(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"


def _cells(line: str) -> tuple[str, ...]:
    """Read back the cells of a table line that _line wrote."""
    inner = line.removeprefix("| ").removesuffix(" |")
    return tuple(cell.replace("\\|", "|") for cell in re.split(r"(?<!\\) \| ", inner))


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            # No optional locks: reading the status must not rewrite the index.
            ["git", "--no-optional-locks", *args],
            cwd=_PROJECT_ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=30,
        ).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        # The benchmarks' own floors and programs are measured code too.
        dirty = git("status", "--porcelain", "--", "providers", "components", "bench")
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return f"{commit}, with uncommitted changes to providers/, components/ or bench/" if dirty else commit


def _cited_only(rows: list[tuple[str, ...]], notes: list[str]) -> tuple[list[tuple[str, ...]], list[str]]:
    """Return the rows citing the notes by new numbers, and the notes they cite, in order."""
    cited = sorted({int(n) for cells in rows for cell in cells for n in re.findall(r"\[(\d+)\]", cell)})
    numbers = {str(old): f"[{new}]" for new, old in enumerate(cited, start=1)}

    def renumber(cell: str) -> str:
        return re.sub(r"\[(\d+)\]", lambda m: numbers[m.group(1)], cell)

    return [tuple(map(renumber, cells)) for cells in rows], [notes[old - 1] for old in cited]
