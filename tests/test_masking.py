"""Secrets never appear in full in any output: every format, frames, diffs, statistics."""

from __future__ import annotations

import contextlib
import difflib
import json
import marshal
import os
import shutil
import subprocess
import tempfile
import zlib
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastapi_lint.cli import main
from fastapi_lint.diffs import safe_unified_diff
from fastapi_lint.redaction import mask, masked_line
from harness import FIXTURES
from test_formats import SCHEMA, _findings

SECRETS = (
    "9f8e7d6c5b4a39281706",
    "jwt-signing-value-42",
    "db-pass-7781",
    "changeme",
    "live-api-key-0001",
    "b1946ac92492d2347c6235b4d2611184",
    "hunter2-but-longer",
    "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789",
    "MIIEowIBAAKCAQEA",
    "Kd93!xQz7@Lp2vR8",
    "Xk9#mQ2$vL7pR4tW",
    "super secret jwt secret",
    "your-secret-key-here",
    "Qm9vS2Vlc2hQ3x7Vh1ZkT0pXb2xMQ2JwN2Q",  # a JWT's signature, in an Authorization header
    "9fQ2xLr7Vb3Kw8Zt4Mn6",
    "Zx81Lq0Pw7Rt2Nv5Ky3M",
    "my-signing-key",
    "hunter22",
    "cache-pass",
    "guest-pass",
    "s3cr3t",
)
FORMATS = ("concise", "full", "json", "json-lines", "sarif", "github", "junit", "gitlab")


@pytest.fixture
def secrets_project(tmp_path, monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.fastapi-lint]\n")
    for name in ("FAL401/settings.py", "FAL401/constants.py", "FAL402/urls.py"):
        shutil.copy(FIXTURES / name, project / name.replace("/", "_"))
    monkeypatch.chdir(project)
    return project


def outputs(*args: str) -> str:
    result = CliRunner().invoke(main, ["check", ".", *args], catch_exceptions=False)
    assert result.exit_code in (0, 1), result.output
    return result.output


def leaked(text: str) -> list[str]:
    """The secrets in an output. SARIF's rule metadata is left out: it is the rules' own
    documentation, the same in every run, whose examples use some of these words."""
    if text.lstrip().startswith("{") and '"runs"' in text:
        document = json.loads(text)
        for run in document["runs"]:
            run["tool"]["driver"]["rules"] = []
        text = json.dumps(document)
    return [secret for secret in SECRETS if secret in text]


def test_the_fixture_really_holds_the_secrets(secrets_project):
    text = "".join(path.read_text() for path in secrets_project.glob("*.py"))
    for secret in SECRETS:
        assert secret in text


@pytest.mark.parametrize(
    "args",
    [
        *(("--output-format", output_format) for output_format in FORMATS),
        ("--output-format", "full", "--unsafe-fixes"),
        ("--diff", "--unsafe-fixes"),
        ("--statistics",),
        ("--output-format", "json", "--unsafe-fixes"),
    ],
    ids=lambda args: " ".join(args),
)
def test_no_output_shows_a_secret(secrets_project, args):
    text = outputs(*args)
    assert "FAL40" in text or "@@" in text
    assert not leaked(text), f"secrets in the output: {leaked(text)}"


def test_output_file_and_baseline_mask_too(secrets_project):
    outputs("--output-format", "sarif", "--output-file", "report.sarif")
    outputs("--write-baseline", "baseline.json")
    for name in ("report.sarif", "baseline.json"):
        text = (secrets_project / name).read_text()
        assert not leaked(text), f"secrets in {name}: {leaked(text)}"


# -- any secret value: every format stays valid, the lines stay right ---------------------------
SECRET_LINE, OTHER_LINE = 12, 123
FORMAT_WORDS = (
    "123", "12", "1", "message", "error", "results", "location", "testcase", "failure",
    "row", "column", "line", "file", "code", "fix", "runs", "version", "2.1.0", "FAL301",
    "fastapi-lint", "::error", "%0A", "%", "&", "&amp;", "<", ">", "\\", '"', "'", "***",
    "@@", "a/", "+", "-", "\t", "null", "true", "[", "{",
)  # fmt: skip
secret_values = st.one_of(
    st.sampled_from(FORMAT_WORDS),
    st.text(st.characters(codec="ascii", exclude_categories=("Cc",)), min_size=1, max_size=12),
)


def _source(value: str) -> str:
    lines = [f"# line {number}" for number in range(1, OTHER_LINE + 3)]
    lines[SECRET_LINE - 1] = f'CONFIG = {{"api_bot_token": {value!r}}}'
    lines[OTHER_LINE - 1] = "def f(x=[]):"
    lines[OTHER_LINE] = "    return x"
    return "\n".join(lines) + "\n"


_SARIF_VALIDATOR = []


def _validate_sarif(text: str) -> None:
    if not _SARIF_VALIDATOR:
        jsonschema = pytest.importorskip("jsonschema")
        if not SCHEMA.is_file():
            pytest.skip(f"no SARIF schema at {SCHEMA}")
        _SARIF_VALIDATOR.append(jsonschema.Draft7Validator(json.loads(SCHEMA.read_text())))
    _SARIF_VALIDATOR[0].validate(json.loads(text))


@contextlib.contextmanager
def _inside(folder: Path):
    previous = Path.cwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(previous)


def _output_for(source: str, output_format: str) -> str:
    with tempfile.TemporaryDirectory() as folder, _inside(Path(folder)):
        Path("pyproject.toml").write_text("[tool.fastapi-lint]\n")
        Path("app.py").write_text(source)
        args = ["check", ".", "--no-cache", "--unsafe-fixes", "--output-format", output_format]
        return CliRunner().invoke(main, args, catch_exceptions=False).output


# FASTAPI_LINT_LONG_TESTS=1: many more generated secrets
EXAMPLES = 400 if os.environ.get("FASTAPI_LINT_LONG_TESTS") == "1" else 20


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=secret_values)
def test_every_format_stays_valid_for_any_secret(value):
    runner = CliRunner()
    with tempfile.TemporaryDirectory() as folder, _inside(Path(folder)):
        Path("pyproject.toml").write_text("[tool.fastapi-lint]\n")
        Path("app.py").write_text(_source(value))
        seen, outputs = {}, {}
        for output_format in FORMATS:
            args = ["check", ".", "--no-cache", "--unsafe-fixes", "--output-format"]
            result = runner.invoke(main, [*args, output_format], catch_exceptions=False)
            assert result.exit_code == 1, result.output
            seen[output_format] = _findings(output_format, result.stdout)
            outputs[output_format] = result.output
            if output_format == "sarif":
                _validate_sarif(result.stdout)
            if output_format == "json":
                report = json.loads(result.stdout)
            if output_format == "full":
                full = result.stdout
    assert ("app.py", OTHER_LINE, "FAL301") in seen["concise"]
    for output_format, found in seen.items():
        assert found == seen["concise"], output_format
    flagged = [item for item in report if item["code"] == "FAL401"]
    if not flagged:
        return  # not a value FAL401 reports ('{', '%'...): the formats were checked all the same
    assert [item["location"]["row"] for item in flagged] == [SECRET_LINE]
    if len(value) >= 12:  # long enough to be a real secret: it shows nowhere
        for output_format, text in outputs.items():
            if value in text:  # a word of the format itself? the report of another value has it
                other = _output_for(_source("placeholder-value"), output_format)
                assert text.count(value) <= other.count(value), output_format
    assert flagged[0]["message"] == f"Hardcoded secret in `api_bot_token`: `{mask(value)}`"
    # the code frame: the line with the literal masked, the caret under the literal
    prefix = f'{SECRET_LINE} | CONFIG = {{"api_bot_token": '
    shown = [line for line in full.splitlines() if line.startswith(prefix)]
    assert shown and all(line.endswith("}") and "***" in line for line in shown)
    assert shown[0] != f"{SECRET_LINE} | " + _source(value).splitlines()[SECRET_LINE - 1]
    carets = [line for line in full.splitlines() if line.endswith("^ FAL401")]
    assert carets and carets[0].index("^") == len(prefix)


# -- --diff: a patch that applies, without the hunks that would show a secret --------------------
DIFF_PADDING = "".join(f"# padding {number}\n" for number in range(10))
DIFF_SOURCE = (
    "def first(x=[]):\n    return x\n\n\n"
    + DIFF_PADDING
    + 'API_TOKEN = "tok-8a7b6c5d4e3f"\n'  # line 15: its fix would show the secret
    + DIFF_PADDING
    + "\n\ndef last(y={}):\n    return y\n"
)


def _diff_project(tmp_path: Path) -> Path:
    project = tmp_path / "repo"
    (project / "app").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[tool.fastapi-lint]\n")
    (project / "app" / "main.py").write_text(DIFF_SOURCE)
    return project


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_diff_leaves_out_a_secret_and_applies(tmp_path, monkeypatch):
    project = _diff_project(tmp_path)
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    monkeypatch.chdir(project)
    result = CliRunner().invoke(
        main, ["check", "app/main.py", "--diff", "--unsafe-fixes"], catch_exceptions=False
    )
    assert result.exit_code == 1
    patch = result.stdout
    assert "tok-8a7b6c5d4e3f" not in result.output
    assert patch.startswith("--- a/app/main.py\n+++ b/app/main.py\n")
    assert "+    if x is None:\n" in patch and "+    if y is None:\n" in patch
    # the FAL401 fix edits the secret's line: left out whole, its `import os` too
    assert "environ" not in patch and "import os" not in patch
    note = "note: app/main.py: line 15: the FAL401 fix is left out of the diff: it would show a"
    assert note in result.stderr
    _applies(tmp_path, patch)
    assert not (project / ".fastapi_lint_cache").exists()  # --diff writes nothing


def _applies(tmp_path: Path, patch: str) -> None:
    """`git apply --check` (in the current folder) and `patch --dry-run` accept the patch."""
    (tmp_path / "fix.patch").write_text(patch)
    checked = subprocess.run(
        ["git", "apply", "--check", str(tmp_path / "fix.patch")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    if shutil.which("patch"):
        dry = subprocess.run(
            ["patch", "-p1", "--dry-run", "-i", str(tmp_path / "fix.patch")],
            capture_output=True,
            text=True,
        )
        assert dry.returncode == 0, dry.stdout + dry.stderr


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_diff_leaves_out_a_hunk_whose_context_shows_a_secret(tmp_path, monkeypatch):
    project = _diff_project(tmp_path)
    path = project / "app" / "main.py"
    path.write_text('API_TOKEN = "tok-8a7b6c5d4e3f"\n\n\n' + path.read_text())
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    monkeypatch.chdir(project)
    result = CliRunner().invoke(main, ["check", "app/main.py", "--diff", "--unsafe-fixes"])
    assert result.exit_code == 1
    assert "tok-8a7b6c5d4e3f" not in result.output
    # `first` (line 4) is fixed two lines below the secret: its hunk would show it as context
    assert "if x is None" not in result.stdout and "+    if y is None:\n" in result.stdout
    assert "line 4: a change is left out of the diff: its lines would show" in result.stderr
    _applies(tmp_path, result.stdout)


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_diff_of_a_file_without_a_final_newline_applies(tmp_path, monkeypatch):
    project = _diff_project(tmp_path)
    path = project / "app" / "main.py"
    path.write_text(path.read_text().rstrip("\n"))
    monkeypatch.chdir(project / "app")
    result = CliRunner().invoke(main, ["check", "main.py", "--diff", "--unsafe-fixes"])
    assert result.stdout.endswith("     return y\n\\ No newline at end of file\n")
    subprocess.run(["git", "init", "-q", str(project / "app")], check=True)
    _applies(tmp_path, result.stdout)


# -- other findings that quote a secret; the results cache -----------------------------------
QUOTING = """\
from pydantic import BaseModel


def first(x={"token": "hunter2-value-abc"}):
    return x


class Item(BaseModel):
    headers: dict = {"api_token": "abcdefghijklmnopqrstuvwxyz0123456789"}
"""


def test_findings_that_quote_a_secret_mask_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.fastapi-lint]\n")
    (tmp_path / "app.py").write_text(QUOTING)
    for output_format in FORMATS:
        args = ["check", ".", "--unsafe-fixes", "--output-format", output_format]
        text = CliRunner().invoke(main, args, catch_exceptions=False).stdout
        assert "FAL30" in text and "FAL401" in text
        assert "hunter2-value" not in text and "abcdefghij" not in leaked_free(text)
    cache = "".join(path.read_text() for path in (tmp_path / ".fastapi_lint_cache").glob("*"))
    assert "hunter2-value" not in cache and "abcdefghij" not in cache


def leaked_free(text: str) -> str:
    """An output without SARIF's rule documentation (see `leaked`)."""
    if text.lstrip().startswith("{") and '"runs"' in text:
        document = json.loads(text)
        for run in document["runs"]:
            run["tool"]["driver"]["rules"] = []
        return json.dumps(document)
    return text


def test_the_results_cache_holds_no_secret(secrets_project):
    outputs("--output-format", "json")
    files = list((secrets_project / ".fastapi_lint_cache").glob("results-*.json"))
    assert files
    # (the rows are in marshal's format: their texts are there as UTF-8 bytes)
    text = "".join(path.read_bytes().decode("utf-8", "replace") for path in files)
    assert "FAL401" in text
    assert not leaked(text), f"secrets in the cache: {leaked(text)}"


def test_a_cache_entry_that_does_not_fit_the_file_is_a_miss(secrets_project):
    first = outputs("--output-format", "concise")
    assert "FAL401/" not in first and "FAL40" in first
    for path in (secrets_project / ".fastapi_lint_cache").glob("results-*.json"):  # shards
        head, _, body = path.read_bytes().partition(b"\n")
        header = json.loads(head)  # then each file's rows, details and queries, where it says
        parts = []
        for fields in header["entries"].values():
            start, rows_end, end = fields[-4], fields[-3], fields[-1]
            # (a CRC-32, then the rows: line, column, code, fix, message)
            rows = marshal.loads(body[start + 4 : rows_end])
            rows = [(99999, 4, *row[2:]) for row in rows]  # line, column: outside every file
            data = marshal.dumps(rows)
            data = zlib.crc32(data).to_bytes(4, "little") + data
            offset = sum(map(len, parts))
            moved = offset + len(data) - rows_end  # the details and queries follow
            fields[-4:] = [offset, offset + len(data), fields[-2] + moved, end + moved]
            parts += [data, body[rows_end:end]]
        path.write_bytes(json.dumps(header).encode() + b"\n" + b"".join(parts))
    again = outputs("--output-format", "concise")
    assert ":99999:" not in again
    assert again == first


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_diff_of_a_crlf_file_with_a_bom_applies(tmp_path, monkeypatch):
    project = _diff_project(tmp_path)
    path = project / "app" / "main.py"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes().replace(b"\n", b"\r\n"))
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    monkeypatch.chdir(project)
    result = CliRunner().invoke(main, ["check", "app/main.py", "--diff", "--unsafe-fixes"])
    patch = result.stdout_bytes  # (`stdout` turns CRLF into LF)
    assert b"+    if x is None:\r\n" in patch
    (tmp_path / "fix.patch").write_bytes(patch)
    checked = subprocess.run(
        ["git", "apply", "--check", str(tmp_path / "fix.patch")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr


def test_a_frame_masks_every_secret_on_its_line_and_keeps_the_caret():
    text = 'a = f("tok-one", "tok-two")\nKEY = """first\nsecond-part"""\n'
    one, two = text.index("tok-one"), text.index("tok-two")
    line, column = masked_line(text, 0, [(one, one + 7), (two, two + 7)])
    assert line == 'a = f("to***", "to***")'
    assert column(text.index(")")) == line.index(")")
    assert column(one + 3) == line.index("to***")  # inside a secret: its start
    start = text.index("first")
    span = (start, text.index('"""', start))
    assert masked_line(text, text.index("KEY"), [span])[0] == 'KEY = """fi***'
    assert masked_line(text, text.index("second"), [span])[0] == '***"""'
    # overlapping secrets (a password inside a secret literal): masked as one
    both = [(one, one + 5), (one + 3, one + 7)]
    assert masked_line(text, 0, both)[0] == 'a = f("to***", "tok-two")'


def test_fingerprints_hash_the_line_with_its_secret_masked(tmp_path, monkeypatch):
    """A short secret could be found again by hashing every candidate line: the baseline's and
    GitLab's fingerprints hash the masked line, so only the mask's two characters count."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.fastapi-lint]\n")
    prints = []
    for secret in ("4821", "4899"):
        (tmp_path / "app.py").write_text(f'API_TOKEN = "{secret}"\n')
        args = ["check", ".", "--no-cache", "--output-format", "gitlab"]
        issues = json.loads(CliRunner().invoke(main, args).stdout)
        prints.append([issue["fingerprint"] for issue in issues if issue["check_name"] == "FAL401"])
    assert prints[0] and prints[0] == prints[1]


def test_diff_with_every_fix_left_out_still_exits_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.fastapi-lint]\n")
    (tmp_path / "app.py").write_text('API_TOKEN = "tok-8a7b6c5d4e3f"\n')
    result = CliRunner().invoke(main, ["check", ".", "--diff", "--unsafe-fixes"])
    assert result.stdout == ""
    assert "note: app.py: line 1: the FAL401 fix is left out of the diff" in result.stderr
    assert "Left out of the diff, as they would show a secret: 1." in result.stderr
    assert result.exit_code == 1  # --fix would still change the file


lines_strategy = st.lists(st.sampled_from(["a\n", "b\n", "c\n", "\n", "d = 1\n"]), max_size=30)


@settings(max_examples=60, deadline=None)
@given(before=lines_strategy, after=lines_strategy)
def test_the_diff_without_secrets_is_difflibs(before, after):
    expected = "".join(difflib.unified_diff(before, after, "a/m.py", "b/m.py"))
    patch, notes = safe_unified_diff("m.py", "".join(before), "".join(after), [], [])
    assert (patch, notes) == (expected, [])


def test_a_secret_in_a_file_of_newer_syntax_is_masked_where_it_is(tmp_path, monkeypatch):
    # The file is lowered to be read (PEP 695 lists shift columns): the secret's span must be
    # mapped back like the finding, or the frame masks the wrong characters.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[tool.fastapi-lint]\n")
    secret = "sk_live_abcdefghijklmnopqrstuvwx"
    (tmp_path / "app.py").write_text(
        f'class Repo[ModelT: (int, str), KeyT, *Ts, **P]: API_KEY = "{secret}"\n'
        f'def first[T](x: T) -> T: return x; TOKEN = "{secret}"\n'
    )
    for output_format in ("full", "json", "sarif", "concise"):
        args = ["check", ".", "--no-cache", "--output-format", output_format]
        output = CliRunner().invoke(main, args).stdout
        assert "FAL401" in output and secret[4:] not in output, output
    full = CliRunner().invoke(main, ["check", ".", "--no-cache", "--output-format", "full"])
    assert 'API_KEY = "sk***"' in full.stdout and 'TOKEN = "sk***"' in full.stdout
