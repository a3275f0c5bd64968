"""Bad input on the command line ends in a clear message and the right exit status, never a
traceback, and never a silently wrong answer."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from fastapi_lint.cli import main
from fastapi_lint.config import OUTPUT_FORMATS
from test_cli import BAD, cli, write


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    write(tmp_path / "pyproject.toml", "[project]\nname = 'p'\n")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def assert_no_crash(result) -> None:
    assert "Traceback" not in result.output
    assert "report it" not in result.output


# -- paths that cannot be followed ----------------------------------------------------------------
def test_symlink_loop_on_the_command_line_is_reported_and_the_rest_checked(project):
    (project / "loop").symlink_to("loop")
    write(project / "other.py", BAD)
    result = cli("check", "loop", "other.py")
    assert_no_crash(result)
    assert "loop:1:1: FAL001 Symlink loop" in result.output
    assert "other.py:1:9: FAL301" in result.output
    assert result.exit_code == 1


def test_symlink_loop_named_like_python_inside_a_folder_is_reported(project):
    (project / "app").mkdir()
    (project / "app" / "loop.py").symlink_to("loop.py")
    write(project / "app" / "bad.py", BAD)
    result = cli("check", "app")
    assert "app/loop.py:1:1: FAL001 Symlink loop" in result.output
    assert "app/bad.py:1:9: FAL301" in result.output


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_found_in_a_folder_is_not_read(project):
    write(project / "app" / "bad.py", BAD)
    os.mkfifo(project / "app" / "pipe.py")  # reading it would wait for a writer, for ever
    completed = subprocess.run(
        [sys.executable, "-m", "fastapi_lint", "check", "app"],
        capture_output=True,
        text=True,
        cwd=project,
        timeout=60,
    )
    assert completed.returncode == 1, completed.stderr
    assert "app/bad.py:1:9: FAL301" in completed.stdout and "pipe.py" not in completed.stdout


# -- files the run writes or reads besides the code -----------------------------------------------
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_named_on_the_command_line_is_a_finding(project):
    """Opening it waited for a writer: the run hung until killed."""
    write(project / "bad.py", BAD)
    os.mkfifo(project / "pipe.py")
    completed = subprocess.run(
        [sys.executable, "-m", "fastapi_lint", "check", "pipe.py", "bad.py"],
        capture_output=True,
        text=True,
        cwd=project,
        timeout=60,
    )
    assert "pipe.py:1:1: FAL001 not a regular file" in completed.stdout
    assert "bad.py:1:9: FAL301" in completed.stdout
    assert completed.returncode == 1


def test_output_file_in_a_missing_folder_creates_the_folder(project):
    write(project / "bad.py", BAD)
    result = cli("check", "bad.py", "-o", "reports/lint/out.txt")
    assert result.exit_code == 1
    assert "FAL301" in (project / "reports/lint/out.txt").read_text(encoding="utf-8")


def test_output_file_that_is_a_folder_is_a_clear_error(project):
    write(project / "bad.py", BAD)
    (project / "reports").mkdir()
    result = cli("check", "bad.py", "--output-file", "reports")
    assert_no_crash(result)
    assert result.exit_code == 2
    assert "error: cannot write reports: Is a directory" in result.output


def test_write_baseline_in_a_missing_folder_creates_the_folder(project):
    write(project / "bad.py", BAD)
    assert cli("check", "bad.py", "--write-baseline", "lint/baseline.json").exit_code == 0
    assert cli("check", "bad.py", "--baseline", "lint/baseline.json").exit_code == 0


def test_pyproject_with_a_non_utf8_byte_is_a_clear_error(project):
    (project / "pyproject.toml").write_bytes(b"[tool.fastapi-lint]\nselect = ['FAL3'] # \xff\n")
    write(project / "bad.py", BAD)
    result = cli("check", "bad.py")
    assert_no_crash(result)
    assert result.exit_code == 2
    assert "pyproject.toml: not a UTF-8 text file (byte 0xff at offset 40)" in result.output


def test_config_option_pointing_at_a_binary_file_is_a_clear_error(project):
    (project / "settings.bin").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00\xd0\xe7\x80")
    write(project / "bad.py", BAD)
    result = cli("check", "bad.py", "--config", "settings.bin")
    assert_no_crash(result)
    assert result.exit_code == 2
    assert "error: settings.bin: " in result.output


def test_config_option_pointing_at_a_folder_is_a_clear_error(project):
    (project / "conf").mkdir()
    write(project / "bad.py", BAD)
    result = cli("check", "bad.py", "--config", "conf")
    assert result.exit_code == 2
    assert "error: conf: is a directory, not a configuration file" in result.output


@pytest.mark.parametrize(
    "text", ['project = "oops"\n', "tool = 1\n[project]\nname = 'p'\n"], ids=["project", "tool"]
)
def test_a_pyproject_whose_tables_are_not_tables_is_a_clear_error(project, text):
    write(project / "pyproject.toml", text)
    write(project / "a.py", BAD)
    result = cli("check", ".")
    assert_no_crash(result)
    assert result.exit_code == 2
    assert "pyproject.toml: `" in result.output and "must be a table" in result.output


def _deny(monkeypatch, hidden: Path) -> None:
    """Make `hidden` a folder this user cannot look into (mode 700, another owner), as root
    cannot be denied anything: listing it, and looking at anything inside it, fail."""
    real = {name: getattr(os, name) for name in ("stat", "lstat", "scandir")}

    def denied(name: str, inside: bool):
        def call(path=".", *args, **kwargs):
            where = Path(path).absolute()
            if (hidden in where.parents) if inside else where == hidden:
                raise PermissionError(13, "Permission denied", str(path))
            return real[name](path, *args, **kwargs)

        return call

    for name in ("stat", "lstat"):
        monkeypatch.setattr(os, name, denied(name, inside=True))
    monkeypatch.setattr(os, "scandir", denied("scandir", inside=False))


def test_a_folder_that_cannot_be_looked_into_does_not_stop_the_run(project, monkeypatch):
    """A database volume owned by another user: not even its pyproject.toml can be looked at.
    A run on another file goes on; a walk reports the folder as FAL001."""
    hidden = project / "data"
    hidden.mkdir()
    write(project / "other.py", BAD)
    _deny(monkeypatch, hidden)
    for args in (["other.py"], ["data/x.py", "other.py"], ["."]):
        result = cli("check", "--no-cache", *args)
        assert_no_crash(result)
        assert result.exit_code == 1, result.output
        assert "other.py:1:9: FAL301" in result.output
    assert "data:1:1: FAL001 cannot read the folder: Permission denied" in result.output
    result = cli("check", "--no-cache", "data/x.py")
    assert "data/x.py:1:1: FAL001 cannot read: Permission denied" in result.output


def test_a_cached_folder_that_becomes_unreadable_does_not_stop_the_run(project, monkeypatch):
    """Its cached facts and results are dropped when the cache is saved, not looked at."""
    write(project / "pkg" / "m.py", "X = 1\n")
    write(project / "other.py", BAD)
    assert cli("check", ".").exit_code == 1  # both files cached
    _deny(monkeypatch, project / "pkg")
    write(project / "other.py", BAD + "\n")
    for _ in range(2):
        result = cli("check", ".")
        assert_no_crash(result)
        assert result.exit_code == 1 and "other.py:1:9: FAL301" in result.output
        assert "pkg:1:1: FAL001 cannot read the folder: Permission denied" in result.output


def test_a_named_path_the_user_cannot_read_is_a_finding_not_a_usage_error(project, monkeypatch):
    """As for a file found by walking: FAL001 where it is read, the other paths checked (click
    must not refuse the command line first)."""
    write(project / "other.py", BAD)
    write(project / "locked.py", BAD)
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda path, mode, **kw: "locked" not in str(path) and real_access(path, mode)
    )
    result = cli("check", "--no-cache", "locked.py", "other.py")
    assert_no_crash(result)
    assert "not readable" not in result.output
    assert result.exit_code == 1 and "other.py:1:9: FAL301" in result.output


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads files whatever the mode"
)
def test_unreadable_config_is_a_clear_error(project):
    config = write(project / "lint.toml", "select = ['FAL3']\n")
    config.chmod(0)
    write(project / "bad.py", BAD)
    try:
        result = cli("check", "bad.py", "--config", "lint.toml")
    finally:
        config.chmod(0o644)
    assert result.exit_code == 2
    assert "error: lint.toml: cannot read: Permission denied" in result.output


def test_config_that_cannot_be_opened_is_a_clear_error(project, monkeypatch):
    # The same path as chmod 000, also where the tests run as root (who reads anything).
    write(project / "lint.toml", "select = ['FAL3']\n")
    write(project / "bad.py", BAD)
    real_open = Path.open

    def refuse(self, *args, **kwargs):
        if self.name == "lint.toml":
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refuse)
    result = cli("check", "bad.py", "--config", "lint.toml")
    assert result.exit_code == 2
    assert "error: lint.toml: cannot read: Permission denied" in result.output


# -- a reader that goes away ----------------------------------------------------------------------
PIPED_MODES = [
    ["check", "bad.py"],
    ["check", "bad.py", "--output-format", "full"],
    ["check", "bad.py", "--output-format", "json"],
    ["check", "bad.py", "--output-format", "json-lines"],
    ["check", "bad.py", "--output-format", "sarif"],
    ["check", "bad.py", "--output-format", "github"],
    ["check", "bad.py", "--output-format", "junit"],
    ["check", "bad.py", "--output-format", "gitlab"],
    ["check", "bad.py", "--diff", "--unsafe-fixes"],
    ["check", "bad.py", "--statistics"],
    ["rules"],
    ["rule", "FAL301"],
    ["check", "-", "--fix", "--unsafe-fixes", "--stdin-filename", "bad.py"],
]


@pytest.mark.parametrize("args", PIPED_MODES, ids=lambda args: " ".join(args[1:]) or args[0])
def test_output_into_a_closed_pipe_ends_quietly(project, args):
    write(project / "bad.py", BAD)
    reader, writer = os.pipe()
    os.close(reader)  # nobody will ever read: the first write fails with EPIPE
    try:
        with open(project / "bad.py", "rb") as stdin:
            completed = subprocess.run(
                [sys.executable, "-m", "fastapi_lint", *args],
                stdin=stdin,
                stdout=writer,
                stderr=subprocess.PIPE,
                text=True,
                cwd=project,
                timeout=120,
            )
    finally:
        os.close(writer)
    assert completed.stderr == ""
    assert completed.returncode != 2


# -- rule codes that select nothing ---------------------------------------------------------------
@pytest.mark.parametrize("option", ["--select", "--extend-select", "--ignore"])
@pytest.mark.parametrize("code", ["FAL999", "FAL310", "FAL9", "FAL6"])
def test_a_code_or_prefix_no_rule_has_is_a_usage_error(project, option, code):
    write(project / "bad.py", BAD)
    result = cli("check", "bad.py", option, code)
    assert result.exit_code == 2
    assert f"error: {option}: `{code}` matches no rule (" in result.output
    assert result.output.rstrip().endswith("; see `fastapi-lint rules`")


@pytest.mark.parametrize("value", ["", ",", " "])
def test_an_empty_select_is_a_usage_error(project, value):
    write(project / "bad.py", BAD)
    result = cli("check", "bad.py", "--select", value)
    assert result.exit_code == 2
    assert "error: --select: no rule code given" in result.output


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        ("FAL21", "(did you mean `FAL20`?)"),
        ("FAL9", "(under `FAL`: FAL0, FAL1, FAL2, FAL3, FAL4, FAL5)"),
        ("FAL999", "(under `FAL`: FAL0, FAL1, FAL2, FAL3, FAL4, FAL5)"),
        ("FAL307", "(under `FAL30`: FAL301, FAL302, FAL303, FAL304, FAL305, FAL306)"),
    ],
)
def test_unknown_code_names_what_exists_beside_it(project, code, hint):
    """`FAL9` once suggested `FAL5`: a digit's spelling says nothing about the rule meant."""
    write(project / "bad.py", BAD)
    assert hint in cli("check", "bad.py", "--select", code).output


@pytest.mark.parametrize(
    "table",
    [
        'select = ["FAL999"]',
        'extend-select = ["FAL9"]',
        'ignore = ["FAL6"]',
        '[tool.fastapi-lint.per-file-ignores]\n"tests/*" = ["FAL310"]',
    ],
)
def test_unknown_code_in_pyproject_is_a_configuration_error(project, table):
    write(project / "pyproject.toml", f"[tool.fastapi-lint]\n{table}\n")
    write(project / "bad.py", BAD)
    result = cli("check", "bad.py")
    assert result.exit_code == 2
    assert "matches no rule" in result.output and "All checks passed" not in result.output


def test_known_codes_and_prefixes_still_select(project):
    write(project / "bad.py", BAD)
    for code in ("FAL", "FAL3", "FAL30", "FAL301", "ALL"):
        assert cli("check", "bad.py", "--select", code).exit_code == 1


# -- folders named on the command line ------------------------------------------------------------
def test_a_named_folder_that_a_default_exclude_matches_is_checked(project):
    write(project / "build" / "a.py", BAD)
    write(project / "build" / "node_modules" / "vendored.py", BAD)  # excluded on its own name
    write(project / "build" / "sub" / "build" / "nested.py", BAD)  # so is a nested `build`
    result = cli("check", "build")
    assert result.exit_code == 1
    assert "build/a.py:1:9: FAL301" in result.output
    assert "vendored.py" not in result.output and "nested.py" not in result.output


def test_a_named_folder_that_a_parent_gitignore_matches_is_checked(project):
    write(project / ".gitignore", "generated/\n")
    write(project / "generated" / "sub" / "b.py", BAD)
    assert "generated/sub/b.py:1:9: FAL301" in cli("check", "generated").output
    assert "All checks passed!" in cli("check", ".").output  # walking from above: still skipped


def test_force_exclude_still_skips_a_named_excluded_folder(project):
    write(project / "build" / "a.py", BAD)
    result = cli("check", "build", "--force-exclude")
    assert result.exit_code == 0 and "FAL301" not in result.output


@pytest.mark.parametrize("layout", ["empty", "no_python"])
def test_a_run_that_finds_no_python_file_says_so(project, layout):
    (project / "docs").mkdir()
    if layout == "no_python":
        write(project / "docs" / "index.md", "# hello\n")
    result = CliRunner().invoke(main, ["check", "docs"])
    assert result.exit_code == 0
    assert result.stderr == "warning: No Python files found under docs\n"


def test_no_warning_when_files_were_checked(project):
    write(project / "ok.py", "x = 1\n")
    result = CliRunner().invoke(main, ["check", "ok.py"])
    assert result.stderr == ""


# -- suppression comments are comments ------------------------------------------------------------
NOQA_IN_STRINGS = """\
def f(x=[], note="# noqa"):
    return x


def g(x=[], note="# fastapi-lint: noqa"):
    return x


def h(x=[], note="#"):  # noqa: FAL301
    return x
"""


def test_noqa_inside_a_string_silences_nothing(project):
    write(project / "bad.py", NOQA_IN_STRINGS)
    result = cli("check", "bad.py")
    assert result.exit_code == 1
    lines = [line.split(" FAL301 ")[0] for line in result.output.splitlines() if "FAL301" in line]
    assert lines == ["bad.py:1:9:", "bad.py:5:9:"]  # line 9 has a real comment


def test_add_noqa_does_not_take_a_string_for_a_directive(project):
    path = write(project / "bad.py", NOQA_IN_STRINGS)
    assert cli("check", "bad.py", "--add-noqa").exit_code == 0
    text = path.read_text(encoding="utf-8")
    assert 'def f(x=[], note="# noqa"):  # noqa: FAL301\n' in text
    assert 'def g(x=[], note="# fastapi-lint: noqa"):  # noqa: FAL301\n' in text
    assert cli("check", "bad.py").exit_code == 0


def test_comments_come_from_tokens():
    from fastapi_lint.suppression import comments

    text = 'a = "# not a comment"  # a comment\nb = 1\n'
    assert comments(text) == {1: (23, "# a comment")}


def test_comments_past_what_tokenize_can_read_are_read_as_text():
    from fastapi_lint.suppression import comments

    text = 'a = 1  # first\ns = """\nnever closed  # noqa: FAL301\n'
    assert comments(text) == {1: (7, "# first"), 3: (14, "# noqa: FAL301")}


# -- file names that are not UTF-8 ----------------------------------------------------------------
def non_utf8_file(project: Path) -> str:
    try:
        with open(os.fsencode(project) + b"/\xff.py", "wb") as handle:
            handle.write(BAD.encode())
    except OSError:  # pragma: no cover - file systems that insist on UTF-8 names (APFS)
        pytest.skip("this file system refuses a file name that is not UTF-8")
    return os.fsdecode(b"\xff.py")


@pytest.mark.parametrize("output_format", OUTPUT_FORMATS)
def test_a_file_name_that_is_not_utf8_is_reported_in_every_format(project, output_format):
    name = non_utf8_file(project)
    result = cli("check", name, "--output-format", output_format, "-o", "report.txt")
    assert_no_crash(result)
    assert result.exit_code == 1
    assert b"FAL301" in (project / "report.txt").read_bytes()


def test_a_file_name_that_is_not_utf8_is_printed_as_its_bytes(project):
    name = non_utf8_file(project)
    completed = subprocess.run(
        [sys.executable, "-m", "fastapi_lint", "check", name],
        capture_output=True,
        cwd=project,
        env={**os.environ, "PYTHONIOENCODING": "utf-8:strict"},
        timeout=120,
    )
    assert completed.returncode == 1, completed.stderr
    assert completed.stdout.startswith(b"\xff.py:1:9: FAL301 ")


# -- patterns ------------------------------------------------------------------------------------
def test_a_gitignore_line_that_is_not_a_pattern_is_skipped_as_git_does(project):
    write(project / ".gitignore", "!\n[z-a]\nignored.py\n")
    write(project / "ignored.py", BAD)
    write(project / "bad.py", BAD)
    result = cli("check", ".")
    assert_no_crash(result)
    assert result.exit_code == 1
    assert "bad.py:1:9: FAL301" in result.output and "ignored.py" not in result.output


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ('extend-exclude = ["!"]', "`extend-exclude`: '!' is not a valid .gitignore-style pattern"),
        # The reason only: pathspec's position is in the regex it made, past the pattern's end.
        (
            'exclude = ["a/[z-a]"]',
            "`exclude`: 'a/[z-a]' is not a valid .gitignore-style pattern: "
            "bad character range z-a\n",
        ),
        ("blocking-call-in-async = 3", "`blocking-call-in-async` must be a table of options"),
        # A string where a list of codes belongs (it used to be taken as a list of one).
        ('select = "FAL301"', "`select` must be a list of rule codes, not 'FAL301'"),
        ('ignore = "FAL301"', "`ignore` must be a list of rule codes, not 'FAL301'"),
        (
            '[tool.fastapi-lint.per-file-ignores]\n"t/*" = "FAL301"',
            "`per-file-ignores.t/*` must be a list of rule codes, not 'FAL301'",
        ),
    ],
)
def test_configuration_errors_name_the_key(project, table, message):
    write(project / "pyproject.toml", f"[tool.fastapi-lint]\n{table}\n")
    write(project / "bad.py", BAD)
    result = cli("check", "bad.py")
    assert_no_crash(result)
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize(
    ("given", "hint"),
    [
        ("missing-response-model", "(`missing-response-model` is the name of `FAL102`)"),
        ("fal102", "(did you mean `FAL102`?)"),
        ("fal3", "(did you mean `FAL3`?)"),
        ("FAL1020", "(did you mean `FAL102`?)"),
        ("INVALID-SYNTAX", "(`INVALID-SYNTAX` is the name of `FAL001`)"),
        ("fal9", "(under `FAL`: FAL0, FAL1, FAL2, FAL3, FAL4, FAL5)"),
    ],
)
def test_a_rule_name_or_a_code_in_lower_case_is_pointed_to_its_code(project, given, hint):
    write(project / "pyproject.toml", f'[tool.fastapi-lint]\nignore = ["{given}"]\n')
    result = cli("check", ".")
    assert result.exit_code == 2
    assert hint in result.output


def test_another_linters_code_gets_no_look_alike_suggestion(project):
    result = cli("check", ".", "--ignore", "E501")
    assert result.exit_code == 2
    assert "fastapi-lint's codes start with FAL" in result.output
    assert "FAL501" not in result.output


def test_rule_docs_show_defaults_as_toml():
    result = cli("rule", "FAL201")
    assert "(default [])" in result.output and "(default false)" in result.output
