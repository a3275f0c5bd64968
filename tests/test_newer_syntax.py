"""Newer syntax is lowered and analysed: a module written in 3.12-3.14 syntax gives the facts and
findings of its plain-syntax twin, on every supported Python (see lowering.py)."""

from __future__ import annotations

import ast
import shutil
import sys
from pathlib import Path

import pytest

from fastapi_lint import config, parsing
from fastapi_lint.diagnostics import Applicability, Diagnostic, Edit, Fix
from fastapi_lint.lowering import Lowering, restore
from fastapi_lint.runner import Options, run
from fastapi_lint.source import LineIndex
from harness import FIXTURES, expectations

NEWER = FIXTURES / "newer_syntax"
VARIANTS = sorted(path.stem for path in (NEWER / "variants").glob("*.py"))


def _project(tmp_path: Path, variant: str | None) -> Path:
    project = tmp_path / "project"
    shutil.copytree(NEWER / "plain", project)
    if variant is not None:
        shutil.copy(NEWER / "variants" / f"{variant}.py", project / "app" / "deps.py")
    return project


def _findings(project: Path, *paths: Path, use_cache: bool = False):
    settings = config.load(project / "pyproject.toml")
    result = run(list(paths) or [project], settings, Options(use_cache=use_cache), base=project)
    found = {(Path(d.path).name, d.line, d.column + 1, d.code) for d in result.diagnostics}
    return found, result


def _expected(project: Path) -> set[tuple[str, int, int, str]]:
    wanted = set()
    for path in project.rglob("*.py"):
        for line, code, column in expectations(path.read_text(encoding="utf-8")):
            wanted.add((path.name, line, column, code))
    return wanted


def _without_columns(found):
    return {(name, line, code) for name, line, _, code in found}


def test_the_plain_twin_meets_its_expectations(tmp_path, monkeypatch):
    project = _project(tmp_path, None)
    monkeypatch.chdir(project)
    found, _ = _findings(project)
    assert _without_columns(found) == _without_columns(_expected(project))


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_module_in_newer_syntax_gives_the_findings_of_its_plain_twin(
    variant, tmp_path, monkeypatch
):
    twin = _project(tmp_path / "twin", None)
    monkeypatch.chdir(twin)
    twin_found, _ = _findings(twin)
    project = _project(tmp_path, variant)
    monkeypatch.chdir(project)
    found, result = _findings(project)
    assert not result.warnings
    # The route module depends on the alias `SessionDep` defined by the lowered module.
    assert {f for f in found if f[0] == "routes.py"} == {
        f for f in twin_found if f[0] == "routes.py"
    }
    # The lowered module's own findings keep their lines and columns (also after a rewrite).
    deps = {f for f in found if f[0] == "deps.py"}
    assert deps == {f for f in _expected(project) if f[0] == "deps.py"}
    assert all(f[2] is not None for f in deps)


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_module_in_newer_syntax_is_checked_alone_like_its_twin(variant, tmp_path, monkeypatch):
    """pre-commit style: only the route module is checked; the index still reads the other."""
    project = _project(tmp_path, variant)
    monkeypatch.chdir(project)
    found, _ = _findings(project, project / "app" / "routes.py")
    wanted = {f for f in _expected(project) if f[0] == "routes.py"}
    assert _without_columns(found) == _without_columns(wanted)


def test_a_fix_in_a_lowered_file_leaves_the_newer_syntax_alone(tmp_path, monkeypatch):
    project = _project(tmp_path, "type_params")
    monkeypatch.chdir(project)
    deps = project / "app" / "deps.py"
    settings = config.load(project / "pyproject.toml")
    run([deps], settings, Options(fix=True, unsafe_fixes=True, use_cache=False), base=project)
    fixed = deps.read_text(encoding="utf-8")
    assert "def first[T](items: list[T] | None = None) -> T | None:" in fixed
    assert "    if items is None:\n        items = []\n" in fixed
    assert "class Box[\n    T,\n    U: int,\n](list[T]):" in fixed


def _lowered(text: str) -> tuple[ast.Module, Lowering]:
    """Parse text that only Python 3.14 reads (t-strings, `except A, B:`): lowered before."""
    if sys.version_info >= (3, 14):
        pytest.skip("the running Python reads this syntax itself")
    tree = parsing.parse(text)
    assert isinstance(tree, ast.Module)
    lowering = parsing.lowered_source(tree)
    assert isinstance(lowering, Lowering)
    return tree, lowering


def test_lowering_keeps_lines_and_maps_columns_back():
    text = 'x = 1\ntry:\n    pass\nexcept A, B:\n    y = [t"{\n"a"}", 2]\n'
    tree, lowering = _lowered(text)
    assert lowering.text.count("\n") == text.count("\n")
    two = tree.body[1].handlers[0].body[0].value.elts[1]  # the `2` after the rewritten t-string
    assert two.lineno == 6
    lowered_offset = LineIndex(lowering.text).offset(two.lineno, two.col_offset)
    assert text[lowering.original_offset(lowered_offset)] == "2"


def test_a_fix_touching_a_rewritten_span_is_dropped():
    text = "try:\n    pass\nexcept A, B:\n    pass\nx = []\n"
    _, lowering = _lowered(text)
    lowered_lines = LineIndex(lowering.text)

    def diagnostic(start: int, end: int) -> Diagnostic:
        line, column = lowered_lines.position(start)
        fix = Fix("t", Applicability.SAFE, (Edit(start, end, "Z"),))
        return Diagnostic("FAL999", "n", "m", line, column, line, column, fix, start_offset=start)

    name_b = lowering.text.index("B)")
    touching = restore(diagnostic(name_b, name_b + 1), lowering, lowered_lines, LineIndex(text))
    assert touching.fix is None
    assert (touching.line, touching.column) == (3, text.index("B:") - text.index("except"))
    list_start = lowering.text.index("[]")
    kept = restore(diagnostic(list_start, list_start + 2), lowering, lowered_lines, LineIndex(text))
    assert kept.fix is not None
    assert kept.fix.edits[0].start == text.index("[]")
    assert kept.start_offset == text.index("[]")


def test_a_file_nothing_reads_gets_the_running_pythons_syntax_error():
    problem = parsing.parse("def f[T](:\n    pass\n")
    assert isinstance(problem, parsing.SyntaxProblem)
    assert problem.message.startswith("SyntaxError: ")
    assert problem.line == 1


def test_the_fallback_outcome_is_cached_by_content(tmp_path, monkeypatch):
    project = _project(tmp_path, "type_params")
    (project / "app" / "broken.py").write_text("def f(:\n", encoding="utf-8")
    monkeypatch.chdir(project)
    cold, first = _findings(project, use_cache=True)
    assert list((project / ".fastapi_lint_cache").glob("fallback-*.json"))

    def refuse(text):
        raise AssertionError("LibCST ran again on a file it has already read")

    monkeypatch.setattr(parsing, "lower", refuse)
    for path in (project / ".fastapi_lint_cache").glob("results-*.json"):
        path.unlink()  # make the lint pass parse again, from the fallback cache
    warm, second = _findings(project, use_cache=True)
    assert warm == cold
    assert second.warnings == first.warnings
    assert ("broken.py", 1, 7, "FAL001") in warm


@pytest.mark.parametrize(
    "text",
    [
        # LibCST reads only the statement the running ast rejects ...
        'SQL = """\nselect = 1\n"""\n\n\n@decorate\ndef f(x, y=[]):\n    return t"{x}"\n',
        # ... and the whole file when a guessed statement start falls inside a string
        'DOC = """\nfirst = 1\nsecond = f"{x["a"]}" """\nB = t""\ndef m(s, y=[]): ...\n',
        # `except`/`else` at column 0 continue the statement above
        "try:\n    pass\nexcept A, B:\n    pass\nelse:\n    pass\ndef f(y=[]): ...\n",
    ],
)
def test_lowering_reads_pieces_or_the_whole_file(text):
    tree, lowering = _lowered(text)
    lowered_lines = LineIndex(lowering.text)
    defaults = [node for node in ast.walk(tree) if isinstance(node, ast.List)]
    assert len(defaults) == 1
    start = lowering.original_offset(
        lowered_lines.offset(defaults[0].lineno, defaults[0].col_offset)
    )
    assert text[start : start + 2] == "[]"
    # String contents that look like statements are left alone.
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]
    for kept in ("\nselect = 1\n", "\nfirst = 1\n"):
        if kept in text:
            assert any(isinstance(s, str) and kept in s for s in strings)


def test_a_fix_that_adds_an_import_to_a_lowered_file(tmp_path, monkeypatch):
    """The import edit is placed on the lowered text and mapped back past the rewrites."""
    # the import shares a line with a rewritten t-string that held a line break
    text = (
        'X = t"{\n1}"; from pydantic import BaseModel\n\n\n'
        "class Item(BaseModel):\n    tags: list[str] = []\n"
    )
    _lowered(text)
    (tmp_path / "pyproject.toml").write_text("[tool.fastapi-lint]\n", encoding="utf-8")
    path = tmp_path / "models.py"
    path.write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    settings = config.Settings(select=("FAL302",))
    run([path], settings, Options(fix=True, unsafe_fixes=True, use_cache=False), base=tmp_path)
    fixed = path.read_text(encoding="utf-8")
    assert fixed.startswith('X = t"{\n1}"; from pydantic import BaseModel, Field\n')
    assert "tags: list[str] = Field(default_factory=list)" in fixed


def test_the_fallback_cache_keeps_the_most_recently_used_entries(tmp_path, monkeypatch):
    from fastapi_lint import cache

    monkeypatch.setattr(cache, "FALLBACK_ENTRIES", 2)
    first = cache.FallbackCache(tmp_path)
    for name in ("a", "b", "c"):
        first.put(name, ["problem", name, 1, 0])
    assert first.get("a") is not None  # used again: now the most recent
    first.save()
    second = cache.FallbackCache(tmp_path)
    assert second.get("a") == ["problem", "a", 1, 0]
    assert second.get("c") == ["problem", "c", 1, 0]
    assert second.get("b") is None


def test_a_file_with_nothing_to_lower_keeps_its_plain_syntax_error(monkeypatch):
    """LibCST is more lenient than CPython in places: that alone is no newer syntax."""
    monkeypatch.setattr(parsing, "lower", lambda text: Lowering(text, ()))
    problem = parsing.parse("f(**k, *a)\n")
    assert isinstance(problem, parsing.SyntaxProblem)
    assert problem.message == (
        "SyntaxError: iterable argument unpacking follows keyword argument unpacking"
    )


def test_overlapping_rewrites_are_refused_not_guessed(monkeypatch):
    from fastapi_lint import lowering

    monkeypatch.setattr(lowering, "_lower", lambda text: [(0, 5, "a"), (3, 8, "b")])
    with pytest.raises(lowering.CannotLower, match="overlapping"):
        lowering.lower("x = t'a'\n")
