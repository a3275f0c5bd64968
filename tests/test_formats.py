"""Machine formats, the baseline and --add-noqa: the CI gate."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from fastapi_lint.cli import main
from harness import FIXTURES, ROOT, expectations

SCHEMA = ROOT / "tests" / "data" / "sarif-schema-2.1.0.json"  # the public SARIF 2.1.0 schema
GITHUB = re.compile(
    r"^::error file=(?P<path>[^,]+),line=(?P<line>\d+),col=(?P<col>\d+),endLine=\d+,"
    r"endColumn=\d+,title=(?P<code>FAL\d{3}) \([a-z-]+\)::(?P=code) .+$"
)


def demo_markers() -> list[tuple[str, int, str]]:
    """What the demo app must report: its `# error:` markers, as (path, line, code)."""
    demo_app = FIXTURES / "demo_app"
    return [
        (path.relative_to(demo_app).as_posix(), line, code)
        for path in sorted(demo_app.rglob("*.py"))
        for line, code, _ in expectations(path.read_text(encoding="utf-8"))
    ]


def run(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def _findings(output_format: str, text: str) -> set[tuple[str, int, str]]:
    if output_format in ("concise", "full"):
        return {
            (m["path"], int(m["line"]), m["code"])
            for m in re.finditer(
                r"^(?P<path>[^\s:]+):(?P<line>\d+):\d+: (?P<code>FAL\d{3}) ", text, re.M
            )
        }
    if output_format == "json":
        return {(i["filename"], i["location"]["row"], i["code"]) for i in json.loads(text)}
    if output_format == "json-lines":
        items = [json.loads(line) for line in text.splitlines()]
        return {(i["filename"], i["location"]["row"], i["code"]) for i in items}
    if output_format == "sarif":
        results = json.loads(text)["runs"][0]["results"]
        return {
            (
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"],
                r["ruleId"],
            )
            for r in results
        }
    if output_format == "github":
        found = set()
        for line in text.splitlines():
            match = GITHUB.match(line)
            assert match, line
            found.add((match["path"], int(match["line"]), match["code"]))
        return found
    if output_format == "junit":
        root = ET.fromstring(text)
        return {
            (case.get("file"), int(case.get("line")), case.find("failure").get("type"))
            for case in root.iter("testcase")
        }
    if output_format == "gitlab":
        return {
            (i["location"]["path"], i["location"]["positions"]["begin"]["line"], i["check_name"])
            for i in json.loads(text)
        }
    raise AssertionError(output_format)


FORMATS = ("concise", "full", "json", "json-lines", "sarif", "github", "junit", "gitlab")


def test_every_format_reports_the_same_findings(demo):
    seen = {}
    for output_format in FORMATS:
        result = run("check", ".", "--output-format", output_format)
        assert result.exit_code == 1, output_format
        seen[output_format] = _findings(output_format, result.output)
    reference = seen["concise"]
    markers = demo_markers()
    assert reference == set(markers)
    assert len(json.loads(run("check", ".", "--output-format", "json").output)) == len(markers)
    for output_format, found in seen.items():
        assert found == reference, output_format


def test_sarif_validates_against_the_official_schema(demo):
    document = json.loads(run("check", ".", "--output-format", "sarif").output)
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    # The schema names its own draft (04); validate with that draft's rules.
    jsonschema.validators.validator_for(schema)(schema).validate(document)
    driver = document["runs"][0]["tool"]["driver"]
    ids = [rule["id"] for rule in driver["rules"]]
    assert {"FAL001", "FAL002", "FAL301", "FAL302", "FAL304", "FAL305"} <= set(ids)
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert "## Why is this bad?" in rule["help"]["markdown"]
    fixed = [r for r in document["runs"][0]["results"] if "fixes" in r]
    assert fixed, "unsafe fixes are enabled in the demo app: results carry them"
    # imports a fix needs are part of its replacements
    schema_fix = next(
        r
        for r in fixed
        if r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "app/schemas.py"
        and r["ruleId"] == "FAL302"
    )
    texts = [
        rep["insertedContent"]["text"]
        for rep in schema_fix["fixes"][0]["artifactChanges"][0]["replacements"]
    ]
    assert ", Field" in texts


def test_github_escapes_properties_and_data(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a,b.py").write_text("def f(x=[]):\n    return x\n")
    line = run("check", "a,b.py", "--output-format", "github").output.strip()
    assert line.startswith("::error file=a%2Cb.py,line=1,col=9,endLine=1,endColumn=11,")
    assert "title=FAL301 (mutable-default-argument)::FAL301 Parameter" in line


def test_junit_without_findings_has_a_passing_case(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ok.py").write_text("x = 1\n")
    root = ET.fromstring(run("check", "ok.py", "--output-format", "junit").output)
    assert root.get("failures") == "0"
    assert len(list(root.iter("testcase"))) == 1


def _gitlab_prints(path: str) -> list[str]:
    items = json.loads(run("check", path, "--output-format", "gitlab", "--isolated").output)
    return [item["fingerprint"] for item in items]


def test_gitlab_fingerprints_survive_moved_lines(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    module = tmp_path / "m.py"
    module.write_text("def f(x=[]):\n    return x\n\n\ndef g(x=[]):\n    return x\n")
    before = _gitlab_prints("m.py")
    assert len(set(before)) == 2
    module.write_text("import os\n\n\n" + module.read_text())
    assert _gitlab_prints("m.py") == before
    module.write_text(module.read_text().replace("def g(x=[])", "def g(y=[])"))
    after = _gitlab_prints("m.py")
    assert after[0] == before[0] and after[1] != before[1]


def test_baseline_reports_only_new_findings(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    module = tmp_path / "m.py"
    module.write_text("def f(x=[]):\n    return x\n")
    written = run("check", ".", "--write-baseline", "baseline.json")
    assert written.exit_code == 0 and "Wrote 1 finding to baseline.json." in written.output
    assert run("check", ".", "--baseline", "baseline.json").exit_code == 0
    # unrelated lines move, and a new finding appears
    module.write_text("import os\n\n\ndef g(y={}):\n    return y\n\n\n" + module.read_text())
    result = run("check", ".", "--baseline", "baseline.json", "-q")
    assert result.exit_code == 1
    assert result.output == (
        "m.py:4:9: FAL301 Parameter `y` has a mutable default (`{}`): "
        "one `dict` is shared by every call\n"
    )
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    bad = run("check", ".", "--baseline", "broken.json")
    assert bad.exit_code == 2 and "not a fastapi-lint baseline file" in bad.output


def _format_one_print(code: str, path: str, line: str) -> str:
    """A fingerprint as fastapi-lint wrote baselines before format 2: the line as written."""
    raw = "\0".join([code, path, " ".join(line.split()), "0"])
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def test_a_format_one_baseline_still_holds_findings_on_secret_lines(tmp_path, monkeypatch):
    """Format 2 hashes a secret's line masked; a baseline written before that must not bring
    its findings back on upgrade (the run says to rewrite it)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    secret_line = 'API_TOKEN = "tok-8a7b6c5d4e3f"'
    (tmp_path / "m.py").write_text(f"{secret_line}\n\n\ndef f(x=[]):\n    return x\n")
    old = [
        _format_one_print("FAL401", "m.py", secret_line),
        _format_one_print("FAL301", "m.py", "def f(x=[]):"),
    ]
    findings = [
        {"fingerprint": p, "code": "", "path": "m.py", "line": 0, "message": ""} for p in old
    ]
    document = {"tool": "fastapi-lint", "version": "0", "format": 1, "findings": findings}
    (tmp_path / "old.json").write_text(json.dumps(document))
    result = run("check", ".", "--baseline", "old.json")
    assert result.exit_code == 0, result.output
    assert "old.json was written by an older fastapi-lint" in result.stderr
    assert "Rewrite it with `--write-baseline`" in result.stderr
    rewritten = run("check", ".", "--write-baseline", "new.json")
    assert json.loads((tmp_path / "new.json").read_text())["format"] == 2
    assert rewritten.exit_code == 0 and old[0] not in (tmp_path / "new.json").read_text()
    result = run("check", ".", "--baseline", "new.json")
    assert result.exit_code == 0 and "older fastapi-lint" not in result.stderr
    # format 2 does not match a line as written: only the masked line counts
    document["format"] = 2
    (tmp_path / "old.json").write_text(json.dumps(document))
    assert "FAL401" in run("check", ".", "--baseline", "old.json").output


def test_add_noqa_appends_and_merges(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    module = tmp_path / "m.py"
    module.write_text(
        "def f(x=[]):\n"
        "    return x\n"
        "def g(x={}):  # noqa: E501\n"
        "    return x\n"
        "def h(x=[]):  # noqa\n"
        "    return x\n"
        "def k(x='''\n"
        "''', y=[\n"
        "]):\n"
        "    return x\n"
    )
    result = run("check", "m.py", "--add-noqa")
    assert result.exit_code == 0
    assert "Added 3 noqa directives." in result.output
    text = module.read_text()
    assert "def f(x=[]):  # noqa: FAL301\n" in text
    assert "def g(x={}):  # noqa: E501, FAL301\n" in text
    assert "def h(x=[]):  # noqa\n" in text
    assert "''', y=[  # noqa: FAL301\n" in text
    assert run("check", "m.py").exit_code == 0


def test_add_noqa_puts_a_finding_in_a_multiline_string_after_the_string(tmp_path, monkeypatch):
    """The comment after a string covers every line of it (as suppression reads it), but the
    finding was counted as on a line that cannot take a comment, and left as it was."""
    monkeypatch.chdir(tmp_path)
    module = tmp_path / "m.py"
    module.write_text(
        "from sqlalchemy import text\n\n\n"
        "def run(session, name):\n"
        '    return session.execute(text(f"""\n'
        "        SELECT * FROM users WHERE name = '{name}'\n"
        '    """))\n'
        "\n\n"
        "def g(x=[\n"
        "    1]): \\\n"
        "    return x\n"
    )
    result = run("check", "m.py", "--add-noqa")
    assert result.exit_code == 0
    assert "Added 2 noqa directives." in result.output
    assert "cannot take a comment" not in result.output
    text = module.read_text()
    assert '    """))  # noqa: FAL403\n' in text
    assert "def g(x=[  # noqa: FAL301\n" in text
    assert run("check", "m.py").exit_code == 0


def test_fix_and_diff_and_add_noqa_exclude_each_other(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "m.py").write_text("x = 1\n")
    result = run("check", "m.py", "--fix", "--add-noqa")
    assert result.exit_code == 2
    assert "--fix and --add-noqa cannot be used together" in result.output


def test_demo_app_fix_removes_every_fixable_finding(demo):
    before = json.loads(run("check", ".", "--output-format", "json").output)
    assert len(before) == len(demo_markers())
    fixable = [item for item in before if item["fix"] is not None and item["fix"]["edits"]]
    assert fixable, "the demo app shows fixes"
    result = run("check", ".", "--fix", "--unsafe-fixes")
    assert f"{len(fixable)} fixed" in result.output
    after = run("check", ".", "--unsafe-fixes", "--output-format", "json").output
    remaining = json.loads(after)
    assert all(item["fix"] is None or not item["fix"]["edits"] for item in remaining)
    assert sorted(item["code"] for item in remaining) == sorted(
        item["code"] for item in before if item not in fixable
    )


# -- the edits JSON and SARIF show are the edits --fix writes ----------------------------------
MODELS = """\
from sqlalchemy import JSON
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Org(Base):
    __tablename__ = "orgs"
    id: Mapped[int] = mapped_column(primary_key=True)
    options: Mapped[dict] = mapped_column(JSON)
"""
EDITED = {
    # FAL303 adds `from sqlalchemy.orm.attributes import flag_modified`: a third-party import,
    # which goes above the first-party `app` section, not sorted in with it
    "app/services.py": (
        "from app.models import Org\n\n\ndef enable(org: Org) -> None:\n"
        '    org.options["beta"] = True\n'
    ),
    # FAL201 replaces the only use of `time`: its import goes
    "app/clock.py": "import time\n\n\nasync def wait() -> None:\n    time.sleep(1)\n",
}


@pytest.fixture
def edited(tmp_path, monkeypatch) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "app"\n')
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "models.py").write_text(MODELS)
    for name, text in EDITED.items():
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _json_edits(name: str) -> list[tuple[int, int, int, int, str]]:
    [item] = json.loads(run("check", name, "--no-cache", "--output-format", "json").output)
    return [
        (*_row_column(e["location"]), *_row_column(e["end_location"]), e["content"])
        for e in item["fix"]["edits"]
    ]


def _row_column(location: dict) -> tuple[int, int]:
    return location["row"], location["column"]


def _sarif_edits(name: str) -> list[tuple[int, int, int, int, str]]:
    document = json.loads(run("check", name, "--no-cache", "--output-format", "sarif").output)
    [result] = document["runs"][0]["results"]
    [change] = result["fixes"][0]["artifactChanges"]
    return [
        (*_region(r["deletedRegion"]), r["insertedContent"]["text"]) for r in change["replacements"]
    ]


def _region(region: dict) -> tuple[int, int, int, int]:
    return region["startLine"], region["startColumn"], region["endLine"], region["endColumn"]


def _applied(text: str, edits: list[tuple[int, int, int, int, str]]) -> str:
    """The text with edits given as 1-based (row, column) ranges applied."""
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    for row, column, end_row, end_column, content in sorted(edits, reverse=True):
        start = starts[row - 1] + column - 1
        end = starts[end_row - 1] + end_column - 1
        text = text[:start] + content + text[end:]
    return text


@pytest.mark.parametrize("name", sorted(EDITED))
@pytest.mark.parametrize("shown", [_json_edits, _sarif_edits], ids=["json", "sarif"])
def test_json_and_sarif_show_the_edits_fix_writes(edited, name, shown):
    edits = shown(name)
    run("check", name, "--no-cache", "--fix", "--unsafe-fixes")
    assert _applied(EDITED[name], edits) == (edited / name).read_text()
    if name == "app/clock.py":
        # `import time`, left unused, is replaced by the new import
        assert (1, 1, 2, 1, "import asyncio\n") in edits
    else:
        assert "flag_modified\n\nfrom app.models" in (edited / name).read_text()


@pytest.mark.parametrize("shown", [_json_edits, _sarif_edits], ids=["json", "sarif"])
def test_edits_shown_for_a_crlf_file_insert_its_newline(edited, shown):
    """`--fix` writes a CRLF file's new lines with CRLF: the edits shown are the ones it makes."""
    crlf = EDITED["app/clock.py"].replace("\n", "\r\n")
    path = edited / "app" / "clock.py"
    path.write_bytes(crlf.encode())
    edits = shown("app/clock.py")
    run("check", "app/clock.py", "--no-cache", "--fix", "--unsafe-fixes")
    fixed = path.read_bytes().decode()
    assert "import asyncio\r\n" in fixed
    assert _applied(crlf, edits) == fixed


def test_every_output_format_has_a_reporter_imported_only_when_asked_for():
    from fastapi_lint.config import OUTPUT_FORMATS
    from fastapi_lint.reporters import MODULES

    assert set(MODULES) == set(OUTPUT_FORMATS)
    code = "import sys, fastapi_lint.cli; print(sorted(m for m in sys.modules if 'xml' in m))"
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert imported.stdout.strip() == "[]"  # JUnit's XML waits for `--output-format junit`


def test_sarif_locations_are_uri_references_against_the_source_root(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "my app"
    folder.mkdir()
    (folder / "a b#1é.py").write_text("def f(x=[]):\n    return x\n", encoding="utf-8")
    document = json.loads(run("check", ".", "--output-format", "sarif").output)
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema)(schema).validate(document)
    the_run = document["runs"][0]
    base = the_run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base == tmp_path.as_uri() + "/"
    location = the_run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "my%20app/a%20b%231%C3%A9.py", "uriBaseId": "%SRCROOT%"}
    fix_location = the_run["results"][0]["fixes"][0]["artifactChanges"][0]["artifactLocation"]
    assert fix_location == location


def test_outputs_order_diagnostics_as_sort_key_does():
    from fastapi_lint.diagnostics import Diagnostic
    from fastapi_lint.reporters.base import by_position

    diagnostic = Diagnostic("FAL301", "name", "message", 3, 4, 3, 9, path="app/a.py")
    assert by_position(diagnostic) == diagnostic.sort_key()


def test_concise_lines_from_rows_are_those_from_diagnostics():
    """A report whose findings the cache gave as rows (results.py) renders as one holding
    them as diagnostics, colour, fix marks, summary and order included (two reports under one
    shown path interleave by position, as one sort of every diagnostic orders them)."""
    from fastapi_lint.diagnostics import Applicability, Diagnostic, Edit, Fix
    from fastapi_lint.reporters import ReportOptions
    from fastapi_lint.reporters.concise import render
    from fastapi_lint.results import FileReport, Rows, RunResult, row_of

    def fix(applicability):
        return Fix("title", applicability, (Edit(0, 1, "x"),))

    def found(path, specs):
        return [
            Diagnostic(code, "name", f"message {code}", line, column, line, column + 1, made, path)
            for line, column, code, made in specs
        ]

    a = found("a.py", [(3, 1, "FAL302", None), (1, 4, "FAL301", fix(Applicability.SAFE))])
    a += found("a.py", [(1, 4, "FAL201", fix(Applicability.UNSAFE))])
    b = found("b.py", [(2, 0, "FAL401", fix(Applicability.DISPLAY_ONLY))])
    again = found("a.py", [(2, 0, "FAL101", None)])  # another report shown as a.py
    objects = RunResult([FileReport("b.py", b), FileReport("a.py", a), FileReport("a.py", again)])
    rows = RunResult(
        [
            FileReport("b.py", rows=Rows(map(row_of, b))),
            FileReport("a.py", a),
            FileReport("a.py", rows=Rows(list(row) for row in map(row_of, again))),
        ]
    )
    for unsafe in (False, True):
        for color in (False, True):
            for quiet in (False, True):
                options = ReportOptions(unsafe_fixes=unsafe, color=color, show_summary=not quiet)
                assert render(rows, options) == render(objects, options)
    assert render(rows, ReportOptions()).splitlines()[:3] == [
        "a.py:1:5: FAL201 message FAL201",
        "a.py:1:5: FAL301 [*] message FAL301",
        "a.py:2:1: FAL101 message FAL101",
    ]
    assert rows.count == 5 and not rows.internal_error
    with pytest.raises(RuntimeError):
        rows.diagnostics  # noqa: B018  (rows-only runs hold no objects to give)


def test_a_finding_a_baseline_cannot_hold_is_named_and_fails_the_write(tmp_path, monkeypatch):
    """A file that does not parse was left out silently, with status 0: the next run with the
    baseline failed on it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "broken.py").write_text("def f(:\n", encoding="utf-8")
    (tmp_path / "ok.py").write_text("def g(x=[]):\n    return x\n", encoding="utf-8")
    written = run("check", "--no-cache", ".", "--write-baseline", "baseline.json")
    assert written.exit_code == 1
    assert "Wrote 1 finding to baseline.json." in written.stderr
    assert "not baselined: broken.py:1:7: FAL001 SyntaxError" in written.stderr
    assert "1 finding cannot be baselined" in written.stderr
    again = run("check", "--no-cache", ".", "--baseline", "baseline.json")
    assert again.exit_code == 1 and "broken.py:1:7: FAL001" in again.stdout
