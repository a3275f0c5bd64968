"""The CLI end to end: options, exit statuses, configuration errors, suppression, fixes, I/O."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from fastapi_lint.cli import main

BAD = "def f(x=[]):\n    return x\n"
GOOD = "def f(x=None):\n    return x\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    write(tmp_path / "pyproject.toml", "[project]\nname = 'p'\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def cli(*args: str, input: str | None = None):
    runner = CliRunner()
    return runner.invoke(main, list(args), input=input, catch_exceptions=False)


def test_clean_file_exits_zero(project):
    write(project / "ok.py", GOOD)
    result = cli("check", "ok.py")
    assert result.exit_code == 0
    assert result.output == "All checks passed!\n"


def test_findings_exit_one_with_ruff_style_lines(project):
    write(project / "bad.py", BAD)
    result = cli("check", "bad.py")
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0] == (
        "bad.py:1:9: FAL301 Parameter `x` has a mutable default (`[]`): "
        "one `list` is shared by every call"
    )
    assert lines[1] == "Found 1 error."
    assert (
        lines[2]
        == "No fixes available (1 hidden fix can be enabled with the `--unsafe-fixes` option)."
    )


def test_unsafe_fixes_mark_and_hint(project):
    write(project / "bad.py", BAD)
    result = cli("check", "bad.py", "--unsafe-fixes")
    assert "FAL301 [*] Parameter" in result.output
    assert "[*] 1 fixable with the `--fix` option." in result.output


def test_exit_zero_quiet_and_statistics(project):
    write(project / "bad.py", BAD + "def g(y={}):\n    return y\n")
    assert cli("check", "bad.py", "--exit-zero").exit_code == 0
    quiet = cli("check", "bad.py", "--quiet")
    assert "Found" not in quiet.output and quiet.output.count("FAL301") == 2
    stats = cli("check", "bad.py", "--statistics")
    assert stats.output == "2\tFAL301\t[ ] mutable-default-argument\n"  # as ruff: marks line up
    assert stats.exit_code == 1
    unsafe = cli("check", "bad.py", "--statistics", "--unsafe-fixes")
    assert unsafe.output == "2\tFAL301\t[*] mutable-default-argument\n"


def test_select_ignore_and_prefixes(project):
    write(project / "bad.py", BAD)
    assert cli("check", "bad.py", "--ignore", "FAL3").exit_code == 0
    assert cli("check", "bad.py", "--select", "FAL302").exit_code == 0
    assert cli("check", "bad.py", "--select", "FAL3", "--ignore", "FAL302").exit_code == 1
    # the more specific selector wins, as in ruff
    assert cli("check", "bad.py", "--ignore", "FAL3", "--extend-select", "FAL301").exit_code == 1
    assert cli("check", "bad.py", "--extend-select", "FAL3", "--ignore", "FAL301").exit_code == 0
    bad_code = cli("check", "bad.py", "--select", "XYZ1")
    assert bad_code.exit_code == 2 and "not a rule code" in bad_code.output


def test_fix_rewrites_and_reports(project):
    path = write(project / "bad.py", BAD)
    result = cli("check", "bad.py", "--fix", "--unsafe-fixes")
    assert result.exit_code == 0
    assert "Found 1 error (1 fixed, 0 remaining)." in result.output
    assert path.read_text() == "def f(x=None):\n    if x is None:\n        x = []\n    return x\n"


def test_fix_without_unsafe_changes_nothing(project):
    path = write(project / "bad.py", BAD)
    result = cli("check", "bad.py", "--fix")
    assert result.exit_code == 1
    assert path.read_text() == BAD


def test_diff_writes_nothing_and_exits_one(project):
    path = write(project / "bad.py", BAD)
    result = cli("check", "bad.py", "--diff", "--unsafe-fixes")
    assert result.exit_code == 1
    assert "--- a/bad.py\n+++ b/bad.py\n" in result.output
    assert "+    if x is None:\n" in result.output
    assert path.read_text() == BAD
    clean = write(project / "ok.py", GOOD)
    assert cli("check", str(clean), "--diff").exit_code == 0


def test_crlf_and_bom_and_encoding_are_kept(project):
    crlf = project / "crlf.py"
    crlf.write_bytes(b"\xef\xbb\xbfdef f(x=[]):\r\n    return x\r\n")
    latin = project / "latin.py"
    latin.write_bytes(b"# -*- coding: latin-1 -*-\ndef f(x=[]):\n    return '\xe9'\n")
    result = cli("check", "crlf.py", "latin.py", "--fix", "--unsafe-fixes")
    assert result.exit_code == 0
    assert crlf.read_bytes() == (
        b"\xef\xbb\xbfdef f(x=None):\r\n    if x is None:\r\n        x = []\r\n    return x\r\n"
    )
    assert latin.read_bytes() == (
        b"# -*- coding: latin-1 -*-\ndef f(x=None):\n    if x is None:\n        x = []\n"
        b"    return '\xe9'\n"
    )


def test_syntax_error_next_to_good_files(project):
    write(project / "broken.py", "def f(:\n    pass\n")
    write(project / "bad.py", BAD)
    result = cli("check", ".")
    assert result.exit_code == 1
    assert "broken.py:1:7: FAL001 SyntaxError: invalid syntax" in result.output
    assert "bad.py:1:9: FAL301" in result.output


def test_newer_syntax_is_analysed(project):
    write(project / "new.py", "def f[T](x: T, y=[]) -> T:\n    return x\n")
    write(project / "new_except.py", "try:\n    pass\nexcept ValueError, TypeError:\n    x=[]\n")
    write(project / "new_fstring.py", 'def g(a=f"{"x"}", b=[]):\n    pass\n')
    result = cli("check", "new.py", "new_except.py", "new_fstring.py")
    assert result.exit_code == 1
    assert "FAL001" not in result.output
    assert "new.py:1:18: FAL301" in result.output
    assert "new_fstring.py:1:21: FAL301" in result.output


def test_undecodable_and_missing_files(project):
    (project / "binary.py").write_bytes(b"x = '\xff\xfe'\n")
    result = cli("check", "binary.py", "missing.py")
    assert result.exit_code == 1
    assert "binary.py:1:6: FAL001 cannot decode the file as utf-8" in result.output
    assert "missing.py:1:1: FAL001 No such file or directory" in result.output
    (project / "nul.py").write_bytes(b"x = 1\x00\n")
    assert "nul.py:1:1: FAL001" in cli("check", "nul.py").output


def test_unreadable_file(project, monkeypatch):
    path = write(project / "secret.py", BAD)
    original = Path.read_bytes

    def refuse(self):
        if self.name == "secret.py":
            raise PermissionError(13, "Permission denied")
        return original(self)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    result = cli("check", "secret.py")
    assert "secret.py:1:1: FAL001 cannot read the file: Permission denied" in result.output
    assert result.exit_code == 1
    assert path.exists()


def test_noqa_forms(project):
    write(
        project / "noqa.py",
        """\
        def a(x=[]):  # noqa
            return x
        def b(x=[]):  # noqa: FAL301
            return x
        def c(x=[]):  # NOQA:FAL302,FAL301
            return x
        def d(x=[]):  # noqa: FAL302
            return x
        def e(x=[]):  # noqa:FAL3
            return x
        """,
    )
    result = cli("check", "noqa.py", "-q")
    assert (
        result.output == "noqa.py:7:9: FAL301 Parameter `x` has a mutable default (`[]`): "
        "one `list` is shared by every call\n"
    )


def test_noqa_after_a_multi_line_string_covers_its_first_line(project):
    # As flake8 reads it: the comment cannot go inside the string, so it goes after it.
    source = (
        "from sqlalchemy import text\n\n\n"
        'def find(name):\n    return text(f"""\n        SELECT * FROM t WHERE id = {name}\n'
        '    """)  # noqa: FAL403\n'
    )
    write(project / "a.py", source)
    assert "FAL403" not in cli("check", "a.py", "--select", "FAL403", "--no-cache").output
    write(project / "a.py", source.replace("  # noqa: FAL403", "  # noqa: FAL301"))
    assert "a.py:5:17: FAL403" in cli("check", "a.py", "--select", "FAL403", "--no-cache").output


def test_noqa_with_another_linters_equivalent_code(project):
    write(
        project / "twins.py",
        """\
        import time
        from sqlalchemy import text
        async def a(db, name):
            await db.execute(text(f"SELECT * FROM t WHERE n = '{name}'"))  # noqa: S608
            time.sleep(1)  # noqa: ASYNC251
            time.sleep(2)  # noqa: S608
        def b(x=[]):  # noqa:B006
            return x
        """,
    )
    result = cli("check", "twins.py", "-q", "--select", "FAL301,FAL403,FAL201")
    assert [line.split(":")[1:3] for line in result.output.splitlines()] == [["6", "5"]]


def test_file_level_noqa(project):
    write(project / "all.py", "# fastapi-lint: noqa\n" + BAD)
    write(project / "some.py", "# fastapi-lint: noqa: FAL302\n" + BAD)
    assert cli("check", "all.py").exit_code == 0
    assert cli("check", "some.py").exit_code == 1


def test_config_per_file_ignores_and_excludes(project):
    write(
        project / "pyproject.toml",
        """\
        [project]
        name = "p"
        requires-python = ">=3.9"

        [tool.fastapi-lint]
        extend-exclude = ["generated/"]
        per-file-ignores = { "legacy/*.py" = ["FAL301"] }
        """,
    )
    write(project / "legacy" / "old.py", BAD)
    write(project / "generated" / "gen.py", BAD)
    write(project / "app.py", "def f(x: list = []):\n    return x\n")
    result = cli("check", ".", "--unsafe-fixes", "--diff")
    assert "legacy" not in result.output and "generated" not in result.output
    assert "Optional[list]" in result.output  # target version from requires-python
    assert cli("check", "generated/gen.py").exit_code == 1  # named explicitly: checked
    assert cli("check", "generated/gen.py", "--force-exclude").exit_code == 0


def test_gitignore_is_respected(project):
    (project / ".git").mkdir()
    write(project / ".gitignore", "ignored/\n")
    write(project / "ignored" / "x.py", BAD)
    assert cli("check", ".").exit_code == 0


def test_config_errors_are_clear(project):
    pyproject = project / "pyproject.toml"
    write(project / "ok.py", GOOD)
    pyproject.write_text("[tool.fastapi-lint]\nselcet = ['FAL3']\n")
    result = cli("check", "ok.py")
    assert result.exit_code == 2
    assert (
        "pyproject.toml: unknown key `selcet` in [tool.fastapi-lint] (did you mean `select`?)"
        in (result.output)
    )
    pyproject.write_text("[tool.fastapi-lint]\nunsafe-fixes = 'yes'\n")
    assert "`unsafe-fixes` must be true or false" in cli("check", "ok.py").output
    pyproject.write_text("[tool.fastapi-lint\n")
    broken = cli("check", "ok.py")
    assert broken.exit_code == 2 and "invalid TOML" in broken.output
    pyproject.write_text(
        "[tool.fastapi-lint.call-evaluated-field-default]\nextend-evaluated = []\n"
    )
    option = cli("check", "ok.py")
    assert "unknown option `extend-evaluated`" in option.output
    assert "did you mean `extend-evaluated-calls`" in option.output
    assert cli("check", "ok.py", "--isolated").exit_code == 0
    missing = cli("check", "ok.py", "--config", "nope.toml")
    assert missing.exit_code == 2 and "no such configuration file" in missing.output


def test_config_of_another_name_is_read_as_pyproject_when_it_has_a_tool_table(project):
    write(project / "bad.py", BAD)
    write(project / "ci.toml", "[tool.fastapi-lint]\nignore = ['FAL301']\n")
    assert cli("check", "bad.py", "--config", "ci.toml").exit_code == 0
    write(project / "flat.toml", "ignore = ['FAL301']\n")
    assert cli("check", "bad.py", "--config", "flat.toml").exit_code == 0
    write(project / "typo.toml", "[tool.fastapi-lint]\nignroe = ['FAL301']\n")
    result = cli("check", "bad.py", "--config", "typo.toml")
    assert result.exit_code == 2 and "unknown key `ignroe` in [tool.fastapi-lint]" in result.output
    # another tool's table beside top-level settings, or a misspelt table: still an error
    write(project / "other.toml", "ignore = ['FAL301']\n[tool.black]\nx = 1\n")
    result = cli("check", "bad.py", "--config", "other.toml")
    assert result.exit_code == 2 and "unknown key `tool` in the top level" in result.output
    write(project / "misspelt.toml", "[tool.fastapi_lint]\nignore = ['FAL301']\n")
    assert cli("check", "bad.py", "--config", "misspelt.toml").exit_code == 2
    copy = "[build-system]\nrequires = ['setuptools']\n[project]\nname = 'x'\n"
    write(project / "pyproject.ci.toml", copy + "[tool.fastapi-lint]\nignore = ['FAL301']\n")
    assert cli("check", "bad.py", "--config", "pyproject.ci.toml").exit_code == 0
    write(project / "both.toml", "select = ['FAL3']\n[tool.fastapi-lint]\nignore = ['FAL301']\n")
    result = cli("check", "bad.py", "--config", "both.toml")
    assert (
        result.exit_code == 2
        and "both in [tool.fastapi-lint] and at the top level" in result.output
    )


def test_number_options_and_target_versions_are_checked(project):
    write(project / "ok.py", GOOD)
    for value in ("-1", "'2'", "true", "1.5"):
        write(
            project / "pyproject.toml",
            f"[tool.fastapi-lint.blocking-call-in-async]\nproject-call-depth = {value}\n",
        )
        result = cli("check", "ok.py")
        assert result.exit_code == 2, value
        assert "`blocking-call-in-async.project-call-depth` must be a whole number" in result.output
    write(project / "pyproject.toml", "[tool.fastapi-lint]\ntarget-version = 'py27'\n")
    result = cli("check", "ok.py")
    assert result.exit_code == 2
    assert "must be a Python 3 version written like \"py310\", not 'py27'" in result.output


def test_rule_option_is_used(project):
    write(
        project / "pyproject.toml",
        """\
        [tool.fastapi-lint.call-evaluated-field-default]
        extend-evaluated-calls = ["app.defaults.region"]
        """,
    )
    write(project / "app" / "__init__.py", "")
    write(project / "app" / "defaults.py", "def region():\n    return 'eu'\n")
    write(
        project / "app" / "models.py",
        """\
        from pydantic import BaseModel

        from app.defaults import region


        class M(BaseModel):
            region: str = region()
        """,
    )
    assert cli("check", "app").exit_code == 1
    assert cli("check", "app", "--isolated").exit_code == 0


def test_stdin_check_and_fix(project):
    result = cli("check", "--stdin-filename", "app.py", "-", input=BAD)
    assert result.exit_code == 1 and "app.py:1:9: FAL301" in result.output
    runner = CliRunner()
    fixed = runner.invoke(main, ["check", "--fix", "--unsafe-fixes", "-"], input=BAD)
    assert fixed.stdout.startswith("def f(x=None):\n    if x is None:\n")
    assert fixed.exit_code == 0


def test_stdin_filename_alone_reads_stdin(project):
    write(project / "other.py", BAD)  # not checked: the code comes from stdin
    result = cli("check", "--stdin-filename", "app.py", input=BAD)
    assert result.exit_code == 1 and "app.py:1:9: FAL301" in result.output
    assert "other.py" not in result.output


def test_json_output_has_ruff_fields(project):
    write(project / "bad.py", BAD)
    result = cli("check", "bad.py", "--output-format", "json", "--unsafe-fixes")
    [item] = json.loads(result.output)
    assert item["code"] == "FAL301" and item["name"] == "mutable-default-argument"
    assert item["filename"] == "bad.py"
    assert item["location"] == {"row": 1, "column": 9}
    assert item["end_location"] == {"row": 1, "column": 11}
    assert item["noqa_row"] == 1
    assert item["fix"]["applicability"] == "unsafe"
    assert item["fix"]["edits"][0] == {
        "content": "None",
        "location": {"row": 1, "column": 9},
        "end_location": {"row": 1, "column": 11},
    }


def test_full_output_shows_the_source(project):
    write(project / "bad.py", BAD)
    result = cli("check", "bad.py", "--output-format", "full")
    assert "1 | def f(x=[]):\n  |         ^^ FAL301\n" in result.output


def test_output_file(project):
    write(project / "bad.py", BAD)
    result = cli("check", "bad.py", "--output-file", "report.txt")
    assert result.output == ""
    assert "FAL301" in (project / "report.txt").read_text()


def test_internal_error_is_fal002_and_exit_two(project, monkeypatch):
    from fastapi_lint.rules.models import MutableDefaultArgument

    def explode(self, node):
        raise RuntimeError("boom")

    monkeypatch.setattr(MutableDefaultArgument, "visit_FunctionDef", explode)
    write(project / "bad.py", BAD + "class M:\n    pass\n")
    result = cli("check", "bad.py")
    assert result.exit_code == 2
    assert (
        "FAL002 Rule FAL301 (mutable-default-argument) raised RuntimeError: boom" in result.output
    )


def test_rule_rules_and_version():
    doc = cli("rule", "FAL301")
    assert doc.output.startswith("# mutable-default-argument (FAL301)\n")
    assert "## What it does" in doc.output and "## Why is this bad?" in doc.output
    assert cli("rule", "mutable-column-default").exit_code == 0
    assert cli("rule", "FAL999").exit_code == 2
    listing = cli("rules").output
    assert "FAL304  call-evaluated-field-default" in listing
    assert listing.startswith("Code    Name ") and listing.splitlines()[0].endswith(" Summary")
    assert "\nFix: `fix` every finding has a fix, `fix?` some do, `-` none." in listing
    assert cli("--version").output.startswith("fastapi-lint, version ")


def test_real_process_and_module_entry_point(project):
    write(project / "bad.py", BAD)
    script = str(Path(sys.executable).parent / "fastapi-lint")
    for command in ([script], [sys.executable, "-m", "fastapi_lint"]):
        done = subprocess.run(
            [*command, "check", "bad.py"], capture_output=True, text=True, cwd=project
        )
        assert done.returncode == 1, done.stderr
        assert "bad.py:1:9: FAL301" in done.stdout
        assert "Traceback" not in done.stderr


class _Terminal:
    def __init__(self) -> None:
        self.written = ""

    def isatty(self) -> bool:
        return True

    def write(self, text: str) -> None:
        self.written += text

    def flush(self) -> None:
        pass


def test_progress_shows_only_after_a_second_on_a_terminal(monkeypatch):
    from fastapi_lint import cli as cli_module

    terminal = _Terminal()
    monkeypatch.setattr(cli_module.sys, "stderr", terminal)
    clock = iter([100.0, 100.5, 101.5])
    monkeypatch.setattr(cli_module.time, "monotonic", lambda: next(clock))
    progress = cli_module.Progress()  # started at 100.0
    progress(1, 10)  # 0.5 s in: nothing yet
    assert terminal.written == ""
    progress(2, 10)  # 1.5 s in
    assert terminal.written == "\rChecking files: 2/10"
    progress.clear()
    assert terminal.written.endswith("\r\033[K")


def test_no_progress_when_not_a_terminal(monkeypatch):
    from fastapi_lint import cli as cli_module

    terminal = _Terminal()
    terminal.isatty = lambda: False
    monkeypatch.setattr(cli_module.sys, "stderr", terminal)
    progress = cli_module.Progress()
    progress.started -= 10
    progress(5, 10)
    assert terminal.written == ""


STUB_DEFAULTS = """\
from datetime import datetime

from pydantic import BaseModel
from sqlalchemy import JSON, Column


def f(x: list = []) -> None: ...


class M(BaseModel):
    tags: list = []
    at: datetime = datetime.now()
    data = Column(JSON, default={})
"""


def test_rules_about_evaluated_defaults_skip_stubs(project):
    """A stub (`.pyi`, which the pre-commit hook passes too) evaluates no default: nothing is
    shared, nothing runs at import."""
    write(project / "types.pyi", STUB_DEFAULTS)
    write(project / "module.py", STUB_DEFAULTS)
    output = cli("check", "--no-cache", "--select", "FAL3", ".").output
    assert "types.pyi" not in output
    found = {line.split()[1] for line in output.splitlines() if line.startswith("module.py:")}
    assert found == {"FAL301", "FAL302", "FAL304", "FAL305"}
