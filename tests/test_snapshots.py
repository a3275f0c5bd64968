"""Every diagnostic of every fixture, pinned in a reviewed snapshot (`tests/snapshots/`).

The inline `# error:` markers pin where findings are; the snapshots pin everything else a user
sees: the range, the full message, the fix's title and applicability, and what the fix does as a
unified diff. A change to any of them fails here with a diff of the snapshot; review it and
accept it with `FASTAPI_LINT_UPDATE_SNAPSHOTS=1 python -m pytest tests/test_snapshots.py
tests/test_fixtures.py`, which rewrites the snapshots (and the `.fixed.py` files).
"""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from fastapi_lint.diagnostics import Diagnostic
from fastapi_lint.fixes import apply_edits, edits_with_imports
from harness import FIXTURES, ROOT, fixture_files, lint, rule_code, updating

SNAPSHOTS = ROOT / "tests" / "snapshots"
FILES = fixture_files()
HEADER = (
    "# {name}: every {code} diagnostic; ranges are line:column, 1-based, end exclusive.\n"
    "# Accept a reviewed change: FASTAPI_LINT_UPDATE_SNAPSHOTS=1 python -m pytest "
    "tests/test_snapshots.py tests/test_fixtures.py\n"
)


def snapshot_path(fixture: Path) -> Path:
    return SNAPSHOTS / fixture.relative_to(FIXTURES).with_suffix(".snap")


def render(fixture: Path) -> str:
    """The snapshot text of a fixture: its diagnostics, in source order, one block each."""
    result = lint(fixture)
    [report] = result.files
    name = fixture.relative_to(FIXTURES).as_posix()
    blocks = [HEADER.format(name=name, code=rule_code(fixture))]
    diagnostics = sorted(result.diagnostics, key=Diagnostic.sort_key)
    if not diagnostics:
        blocks.append("(no diagnostics)\n")
    for diagnostic in diagnostics:
        blocks.append(_block(diagnostic, report.source_text))
    return "\n".join(blocks)


def _block(diagnostic: Diagnostic, text: str) -> str:
    start = f"{diagnostic.line}:{diagnostic.column + 1}"
    end = f"{diagnostic.end_line}:{diagnostic.end_column + 1}"
    lines = [f"{diagnostic.code} {start}-{end}", f"message: {diagnostic.message}"]
    fix = diagnostic.fix
    if fix is None:
        lines.append("fix: none")
    else:
        lines.append(f"fix ({fix.applicability.value}): {fix.title}")
        edits = edits_with_imports(text, fix)
        lines.extend(_diff(text, apply_edits(text, edits)) if edits else ["(no edits)"])
    return "\n".join(lines) + "\n"


def _diff(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), n=1, lineterm="")
    # Without the ---/+++ headers (the block names the file); a blank context line stays blank
    # so that an editor trimming trailing spaces cannot break the snapshot.
    return [line if line.strip() else "" for line in list(diff)[2:]]


def _id(path: Path) -> str:
    return str(path.relative_to(FIXTURES))


@pytest.mark.parametrize("fixture", FILES, ids=_id)
def test_diagnostics_match_snapshot(fixture):
    actual = render(fixture)
    path = snapshot_path(fixture)
    if updating():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != actual:
            path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), (
        f"no snapshot {path.relative_to(ROOT)}: set FASTAPI_LINT_UPDATE_SNAPSHOTS=1"
    )
    expected = path.read_text(encoding="utf-8")
    if actual != expected:
        diff = difflib.unified_diff(
            expected.splitlines(),
            actual.splitlines(),
            f"{path.relative_to(ROOT)} (stored)",
            "(now)",
            lineterm="",
        )
        pytest.fail(
            "the diagnostics changed; review the diff and, if it is right, rerun with "
            "FASTAPI_LINT_UPDATE_SNAPSHOTS=1\n" + "\n".join(diff),
            pytrace=False,
        )


def test_every_snapshot_belongs_to_a_fixture():
    wanted = {snapshot_path(fixture) for fixture in FILES}
    stale = sorted(set(SNAPSHOTS.rglob("*.snap")) - wanted)
    if updating():
        for path in stale:
            path.unlink()
        return
    assert not stale, f"snapshots without a fixture (delete them): {stale}"
