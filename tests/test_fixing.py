"""Applying fixes: rounds cost a file's size, not its size times its number of fixes; imports
that fixes add or leave unused are handled like ruff's isort and F401 would want them."""

from __future__ import annotations

import ast
import random
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from fastapi_lint import fixes
from fastapi_lint.diagnostics import Applicability, Diagnostic, Edit, Fix, Import
from fastapi_lint.fix_imports import WORD, first_party_modules, used_names
from fastapi_lint.semantic import imports
from harness import FIXTURES, fix_copy, fixture_files, lint, project_dir

RUFF = shutil.which("ruff") or str(Path(sys.executable).parent / "ruff")


def _finding(offset: int, content: str = "None") -> Diagnostic:
    fix = Fix(
        title="t", edits=(Edit(offset, offset + 2, content),), applicability=Applicability.SAFE
    )
    return Diagnostic(
        code="FAL301",
        name="mutable-default",
        message="m",
        line=1,
        column=0,
        end_line=1,
        end_column=0,
        path="p.py",
        start_offset=offset,
        fix=fix,
    )


def test_choosing_a_rounds_fixes_compares_each_edit_with_its_neighbours_only(monkeypatch):
    calls = 0
    overlap = fixes._overlap

    def counting(a, b):
        nonlocal calls
        calls += 1
        return overlap(a, b)

    monkeypatch.setattr(fixes, "_overlap", counting)
    count = 2000
    findings = [_finding(10 * i) for i in range(count)]
    findings.append(_finding(11))  # overlaps the second one: waits for the next round
    chosen = fixes.choose(findings)
    assert len(chosen) == count
    assert 11 not in [d.start_offset for d in chosen]
    # Linear: a few comparisons per fix (comparing with every earlier edit made ~2,000,000).
    assert calls <= 4 * len(findings)


def test_choosing_agrees_with_comparing_every_pair():
    rng = random.Random(7)
    for _ in range(300):
        findings = []
        for _ in range(rng.randrange(1, 12)):
            start = rng.randrange(0, 30)
            edits, position = [], start
            for _ in range(rng.randrange(1, 3)):  # a fix's own edits never overlap
                position += rng.randrange(0, 8)
                edits.append(Edit(position, position + rng.choice((0, 0, 1, 3)), "x"))
                position = edits[-1].end + 1
            edits = tuple(edits)
            fix = Fix(title="t", edits=edits, applicability=Applicability.SAFE)
            findings.append(replace(_finding(start), fix=fix))
        expected, taken = [], []
        for diagnostic in sorted(findings, key=lambda d: (d.start_offset, d.code)):
            edits = diagnostic.fix.edits
            if not any(fixes._overlap(a, b) for a in edits for b in taken):
                taken.extend(edits)
                expected.append(diagnostic)
        assert fixes.choose(findings) == expected


def _replacing(text: str, old: str, new: str, *imports: Import) -> Fix:
    start = text.index(old)
    edit = Edit(start, start + len(old), new)
    return Fix(title="t", edits=(edit,), applicability=Applicability.SAFE, imports=imports)


SLEEPY = """\
\"\"\"Docstring.\"\"\"

import os
import time

from fastapi import APIRouter

from app import deps


async def wait() -> None:
    time.sleep(1)
"""


def test_an_import_the_fix_made_unused_goes_and_the_new_one_takes_its_sorted_place():
    fix = _replacing(SLEEPY, "time.sleep(1)", "await asyncio.sleep(1)", Import("asyncio"))
    fixed = fixes.apply_fixes(SLEEPY, [fix])
    assert fixed == SLEEPY.replace(
        "import os\nimport time\n", "import asyncio\nimport os\n"
    ).replace("time.sleep(1)", "await asyncio.sleep(1)")


def test_an_import_still_used_or_exported_or_unused_before_stays():
    for extra in ("\nSTART = time.time()\n", '\n__all__ = ["time"]\n'):
        text = SLEEPY + extra
        fix = _replacing(text, "time.sleep(1)", "await asyncio.sleep(1)", Import("asyncio"))
        assert "import time\n" in fixes.apply_fixes(text, [fix])
    text = SLEEPY.replace("import os\n", "import os\nimport json\n")  # unused before the fix
    fix = _replacing(text, "time.sleep(1)", "await asyncio.sleep(1)", Import("asyncio"))
    assert "import json\n" in fixes.apply_fixes(text, [fix])


def test_new_imports_go_to_their_isort_section():
    text = "import os\n\nfrom app import deps\n\nx = os.sep, deps\n"
    fix = _replacing(
        text, "x = ", "y = ", Import("sqlalchemy.orm", "selectinload"), Import("asyncio")
    )
    assert fixes.apply_fixes(text, [fix], frozenset({"app"})) == (
        "import asyncio\nimport os\n\nfrom sqlalchemy.orm import selectinload\n\n"
        "from app import deps\n\ny = os.sep, deps\n"
    )


def test_a_name_added_to_a_from_import_takes_its_sorted_place():
    text = "from pydantic import BaseModel, field_validator\n\nx = (BaseModel, field_validator)\n"
    fix = _replacing(text, "x = ", "y = ", Import("pydantic", "ConfigDict"))
    assert fixes.apply_fixes(text, [fix]).startswith(
        "from pydantic import BaseModel, ConfigDict, field_validator\n"
    )


def _imports_clean(path: Path, project: Path) -> bool:
    """What ruff's isort and F401 say of a file, with ruff's defaults, from its project folder."""
    command = [RUFF, "check", "--isolated", "--no-cache", "--quiet", "--select", "I,F401"]
    result = subprocess.run(
        [*command, str(path.relative_to(project))], cwd=project, capture_output=True, text=True
    )
    assert result.returncode in (0, 1), result.stderr
    return result.returncode == 0


FIXED_FIXTURES = [p for p in fixture_files() if p.with_name(p.stem + ".fixed.py").exists()]


@pytest.mark.parametrize("path", FIXED_FIXTURES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixed_fixtures_whose_imports_were_clean_stay_clean_for_ruff(path, tmp_path):
    if not _imports_clean(path, project_dir(path)):
        pytest.skip("ruff finds its imports unclean before the fix")
    target, _ = fix_copy(path, tmp_path)
    assert _imports_clean(target, project_dir(target)), target.read_text(encoding="utf-8")


def test_a_block_keeps_its_last_statement():
    text = "import asyncio\n\nif True:\n    import time\nasyncio.sleep(time)\n"
    fix = _replacing(text, "asyncio.sleep(time)", "asyncio.sleep(1)")
    assert fixes.apply_fixes(text, [fix]) == text.replace("sleep(time)", "sleep(1)")


REMOVALS = {
    "only the unused name leaves a from-import, its comment stays": (
        "from time import monotonic, sleep  # clocks\n\n\nasync def f():\n    sleep(monotonic())\n",
        "sleep(monotonic())",
        "await asyncio.sleep(monotonic())",
        "import asyncio\nfrom time import monotonic  # clocks\n\n\n"
        "async def f():\n    await asyncio.sleep(monotonic())\n",
    ),
    "the lone import of a section goes with its blank line": (
        "import time\n\nimport httpx\n\n\nasync def f():\n    time.sleep(httpx.X)\n",
        "time.sleep(httpx.X)",
        "await asyncio.sleep(httpx.X)",
        "import asyncio\n\nimport httpx\n\n\nasync def f():\n    await asyncio.sleep(httpx.X)\n",
    ),
    "a first import is set apart from the code; a local one made unused goes": (
        "async def f():\n    import time\n\n    time.sleep(1)\n",
        "time.sleep(1)",
        "await asyncio.sleep(1)",
        "import asyncio\n\n\nasync def f():\n    await asyncio.sleep(1)\n",
    ),
}


@pytest.mark.parametrize(("text", "old", "new", "expected"), REMOVALS.values(), ids=REMOVALS)
def test_asyncio_replacing_time_leaves_imports_as_ruff_wants(text, old, new, expected):
    fix = _replacing(text, old, new, Import("asyncio"))
    assert fixes.apply_fixes(text, [fix]) == expected


def test_a_from_import_too_long_for_one_line_is_wrapped_like_isort():
    names = ", ".join(f"name_{i}" for i in range(8))
    text = f"from package.module import ({names},\n)\n\nx = 1\n"
    fix = _replacing(text, "x = ", "y = ", Import("package.module", "Model"))
    members = "".join(f"    {name},\n" for name in ["Model", *names.split(", ")])
    assert fixes.apply_fixes(text, [fix]) == (
        f"from package.module import (\n{members})\n\ny = 1\n"
    )


def test_first_party_modules_are_found_where_ruff_looks(tmp_path):
    (tmp_path / "app").mkdir()
    (tmp_path / "src" / "lib").mkdir(parents=True)
    (tmp_path / "tool.py").write_text("", encoding="utf-8")
    (tmp_path / "not-a-module").mkdir()
    expected = {"app", "lib", "tool", "backend"}
    found = first_party_modules(tmp_path / "backend" / "routes.py", "backend.routes")
    assert expected <= found and "not-a-module" not in found
    package = first_party_modules(tmp_path / "backend" / "__init__.py", "backend")
    assert expected <= package
    in_src = first_party_modules(tmp_path / "src" / "lib" / "core.py", "lib.core")
    assert expected - {"backend"} <= in_src  # a `src` import root: its parent counts too


def test_spelling_a_fixs_names_does_not_search_the_bindings_once_per_finding(monkeypatch, tmp_path):
    searches = 0

    class CountingBindings(dict):
        def items(self):
            nonlocal searches
            searches += 1
            return super().items()

    original = imports.ImportTable.__init__

    def counting_init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.bindings = CountingBindings(self.bindings)

    monkeypatch.setattr(imports.ImportTable, "__init__", counting_init)
    count = 300
    body = "".join(f"async def f_{i}():\n    time.sleep(1)\n\n\n" for i in range(count))
    (tmp_path / "pyproject.toml").write_text("[tool.fastapi-lint]\n", encoding="utf-8")
    path = tmp_path / "many.py"
    path.write_text("import time\n\n\n" + body, encoding="utf-8")
    findings = lint(path, code="FAL201").diagnostics
    assert len(findings) == count and all(d.fix is not None for d in findings)
    assert searches < count // 10  # once per file, not once per finding


def test_new_imports_each_take_their_place_among_the_existing_ones():
    text = "import os\n\nx = os.sep\n"
    fix = _replacing(text, "x = ", "y = ", Import("typing"), Import("asyncio"))
    assert (
        fixes.apply_fixes(text, [fix]) == "import asyncio\nimport os\nimport typing\n\ny = os.sep\n"
    )


def test_an_insertion_goes_before_a_replacement_at_the_same_offset():
    edits = [Edit(0, 1, "y"), Edit(0, 0, "import a\n")]
    assert fixes.apply_edits("x = 1\n", edits) == "import a\ny = 1\n"


def test_a_whole_section_removed_takes_one_blank_line_with_it():
    text = "import os\n\nimport httpx\nfrom httpx import X\n\n\nx = (os, httpx, X)\n"
    fix = _replacing(text, "(os, httpx, X)", "(os,)")
    assert fixes.apply_fixes(text, [fix]) == "import os\n\n\nx = (os,)\n"


MODULES = {  # section -> modules a generated import block draws from
    0: ["asyncio", "collections.abc", "json", "os", "time", "typing"],
    1: ["fastapi", "httpx", "pydantic", "sqlalchemy", "sqlalchemy.orm"],
    2: ["app", "app.deps", "app.models"],
}
MEMBERS = ["A_CONST", "BaseModel", "Depends", "Session", "helper", "run_in_threadpool"]


def _generated_case(rng: random.Random) -> tuple[str, Fix]:
    """A module with an import block, and a fix that adds imports and drops some uses."""
    statements, used = [], []
    for section in MODULES.values():
        for module in rng.sample(section, rng.randrange(0, 3)):
            if rng.random() < 0.5:
                statements.append(f"import {module}")
                used.append(module.split(".")[0])
            else:
                names = rng.sample(MEMBERS, rng.randrange(1, 3))
                statements.append(f"from {module} import {', '.join(names)}")
                used.extend(names)
    header = '"""Doc."""\n\n' if rng.random() < 0.5 else ""
    code = f"x = ({', '.join(dict.fromkeys(used))},)\n" if used else "x = 1\n"
    tail = "\n\ndef f():\n    return x\n" if rng.random() < 0.5 else ""
    text = header + "\n".join(statements) + ("\n\n" if statements else "") + code + tail
    kept = [name for name in dict.fromkeys(used) if rng.random() < 0.5]
    imports = [
        Import(rng.choice(MODULES[section]), rng.choice([None, *MEMBERS]))
        for section in rng.choices([0, 1], k=rng.randrange(0, 3))
    ]
    # The new names are used, so F401 speaks of removals only.
    new_uses = [item.name or item.module.split(".")[0] for item in imports]
    body = f"y = ({', '.join([*kept, *new_uses])},)" if kept or new_uses else "y = 1"
    return text, _replacing(text, code.rstrip("\n"), body, *imports)


def test_generated_import_blocks_stay_clean_for_ruff(tmp_path):
    (tmp_path / "app").mkdir()
    for name in ("__init__", "deps", "models"):
        (tmp_path / "app" / f"{name}.py").write_text("", encoding="utf-8")
    rng = random.Random(2026)
    cases = [_generated_case(rng) for _ in range(150)]
    before, after = tmp_path / "before", tmp_path / "after"
    for folder in (before, after):
        folder.mkdir()
    for number, (text, _) in enumerate(cases):
        (before / f"case_{number}.py").write_text(text, encoding="utf-8")
    # ruff orders the generated blocks; its output is what the fixes start from.
    command = [RUFF, "check", "--isolated", "--no-cache", "--quiet", "--select", "I,F401"]
    subprocess.run([*command, "--fix", "before"], cwd=tmp_path, capture_output=True, check=False)
    assert subprocess.run([*command, "before"], cwd=tmp_path).returncode == 0
    for number, (_, fix) in enumerate(cases):
        text = (before / f"case_{number}.py").read_text(encoding="utf-8")
        start = text.index("x = ")
        edit = Edit(start, text.index("\n", start), fix.edits[0].content)
        fixed = fixes.apply_fixes(text, [replace(fix, edits=(edit,))], frozenset({"app"}))
        (after / f"case_{number}.py").write_text(fixed, encoding="utf-8")
    result = subprocess.run([*command, "after"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("path", fixture_files(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_the_edits_reports_show_are_what_fixing_alone_writes(path):
    """Each fix's final edits (JSON, SARIF, the language server) give the text `--fix` gives
    when it applies that fix alone: imports added in place and those left unused removed."""
    [report] = lint(path).files
    text = report.source_text
    first_party = frozenset({"app"})
    fixes.attach_final_edits(report.diagnostics, text, first_party)
    for diagnostic in report.diagnostics:
        if diagnostic.fix is None:
            continue
        fixed = fixes.apply_fixes(text, [diagnostic.fix], first_party)
        if fixed is not None:
            assert fixes.apply_edits(text, list(diagnostic.edits)) == fixed, diagnostic


def test_a_removal_rewriting_what_a_fix_wrote_becomes_one_edit_with_it():
    # the fix rewrites the import line itself and drops the only use of `time`, whose removal
    # then rewrites what the fix wrote
    text = "import os, time\n\nx = time.time(), os.sep\n"
    fix = Fix(
        title="t",
        edits=(Edit(0, 15, "import os, time\nimport sys"), Edit(17, 40, "x = os.sep, sys")),
        applicability=Applicability.SAFE,
    )
    edits = fixes._FixesOf(text, frozenset()).final_edits(fix)
    assert edits == (Edit(0, 15, "import os\nimport sys"), Edit(17, 40, "x = os.sep, sys"))
    assert fixes.apply_edits(text, list(edits)) == fixes.apply_fixes(text, [fix])


def test_the_final_edits_of_many_fixes_in_one_file_parse_it_once(monkeypatch):
    # 200 fixes each replace one use of `time` (the others keep it used) and add `asyncio`:
    # reporting them must not parse the file once per fix (that made 1,000 fixes take 30 s)
    text = "import time\n" + "".join(
        f"\n\nasync def f{i}() -> None:\n    time.sleep({i})\n" for i in range(200)
    )
    diagnostics = [
        replace(_finding(0), fix=_replacing(text, f"time.sleep({i})", "x", Import("asyncio")))
        for i in range(200)
    ]
    parsed = []
    real_parse = fixes.parse
    monkeypatch.setattr(fixes, "parse", lambda *args: parsed.append(1) or real_parse(*args))
    fixes.attach_final_edits(diagnostics, text)
    assert len(parsed) == 1
    assert all(d.edits[0] == Edit(0, 0, "import asyncio\n") for d in diagnostics)


CONFLICTING_FIXES = """\
import time

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

router = APIRouter()


@router.post("/x", response_model=None)
async def handler(db: Session = Depends()) -> None:
    time.sleep(1)
    db.commit()
"""


def test_fixes_that_only_break_the_file_together_are_not_applied_together(tmp_path, monkeypatch):
    """FAL203 makes the route a plain `def`; FAL201 adds an `await` to it. Each is valid alone,
    both give code `ast.parse` accepts and Python refuses ("'await' outside async function").
    The fixed file must compile, and no fix is called a bug."""
    from click.testing import CliRunner

    from fastapi_lint.cli import main

    monkeypatch.chdir(tmp_path)
    target = tmp_path / "routes.py"
    target.write_text(CONFLICTING_FIXES)
    result = CliRunner().invoke(
        main, ["check", "--isolated", "--no-cache", "--fix", "--unsafe-fixes", "routes.py"]
    )
    fixed = target.read_text()
    compile(fixed, "routes.py", "exec")
    assert fixed != CONFLICTING_FIXES
    assert "please report" not in result.output


def test_an_import_with_a_comment_is_not_removed_when_a_fix_leaves_it_unused():
    """`import time  # keep: used by tests`: the comment says why the import is there; a safe
    fix does not delete it (DESIGN.md: no comment inside the edited code)."""
    text = "import time  # keep: used by tests\n\n\nasync def f():\n    time.sleep(1)\n"
    fix = Fix(
        "Use asyncio.sleep",
        Applicability.SAFE,
        (Edit(text.index("time.sleep"), text.index("(1)"), "await asyncio.sleep"),),
        (Import("asyncio"),),
    )
    fixed = fixes.apply_fixes(text, [fix])
    assert "import time  # keep: used by tests\n" in fixed
    assert "await asyncio.sleep(1)" in fixed


TRICKY_NAMES = """
global_names = {**base, "k": v}
def f(a: "Annotated[int, Query()]" = dflt, *args: T, **kw: U) -> "Ret":
    global g
    nonlocal_ = [x for x in range(n) if x]
    match point:
        case Point(x=px, y=0) | [first, *rest] if guard:
            del gone
        case {"key": value, **others}:
            print(f"{value!r:>{width}} and {other}")
    try:
        pass
    except Error as err:
        raise Other from err
    lambda q=default: q + outer
    async def g():
        async with ctx() as c:
            await c
__all__ = ["exported", "also_this"]
"""


@pytest.mark.parametrize("text", [TRICKY_NAMES, *(p.read_text() for p in fixture_files())])
def test_used_names_reads_what_a_walk_of_every_node_reads(text):
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return
    expected = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Store):
            expected.add(node.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            expected.update(WORD.findall(node.value))
    assert used_names(tree) == expected


def test_imports_only_at_module_level_leave_the_nested_blocks_unvisited(monkeypatch):
    """Only an import on its own line is removed, so with no indented line starting one the
    module's body is the only block to read (a file of thousands of functions has thousands)."""
    from fastapi_lint import fix_imports

    def refuse(tree):
        raise AssertionError("nested blocks visited")

    text = "import os\nimport time\n\n\ndef f():\n    if os.sep:\n        return 1\n"
    tree = ast.parse(text)
    before = used_names(ast.parse(text + "time.sleep(1)\n"))
    monkeypatch.setattr(fix_imports, "_statement_lists", refuse)
    [edit] = fix_imports.unused_import_edits(text, tree, before)
    assert text[edit.start : edit.end] == "import time\n"
    monkeypatch.undo()
    nested = "import os\n\n\ndef f():\n    import time\n\n    return os.sep\n"
    before = used_names(ast.parse(nested + "time.sleep(1)\n"))
    [edit] = fix_imports.unused_import_edits(nested, ast.parse(nested), before)
    assert nested[edit.start : edit.end] == "    import time\n\n"
