"""One parse and one fact extraction per file per run, in one process or in workers."""

from __future__ import annotations

import collections
import json
import os
import sys

from click.testing import CliRunner

from fastapi_lint.cli import main
from fastapi_lint.parsing import parse
from fastapi_lint.semantic.facts import extract


def check(*args: str) -> list:
    result = CliRunner().invoke(main, ["check", "--output-format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


def _count_calls(monkeypatch, original, record) -> None:
    """Count the calls of `original` wherever our modules imported it, in this process."""
    parent = os.getpid()

    def counting(*args, **kwargs):
        if os.getpid() == parent:
            record(*args)
        return original(*args, **kwargs)

    for name, module in list(sys.modules.items()):
        if name.startswith("fastapi_lint") and module is not None:
            for attribute, value in list(vars(module).items()):
                if value is original:
                    monkeypatch.setattr(module, attribute, counting)


def test_each_file_is_extracted_once_per_run(demo, monkeypatch):
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    extracted: list[str] = []
    _count_calls(monkeypatch, extract, lambda tree, module, package: extracted.append(module))
    assert check("--no-cache", ".")
    counts = collections.Counter(extracted)
    assert len(counts) == len(list(demo.rglob("*.py")))
    assert set(counts.values()) == {1}, counts


def test_workers_report_what_one_process_reports(demo, monkeypatch):
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    alone = check("--no-cache", ".")
    assert alone
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "2")
    parsed: list[str] = []
    _count_calls(monkeypatch, parse, lambda text, filename="": parsed.append(filename))
    assert check("--no-cache", ".") == alone
    # (the JSON report parses the text of fixes that add imports: not a file's parse)
    assert [name for name in parsed if name] == [], "the parent parsed files its workers read"
    # A warm index with every result stale (a module's imports changed): the lint alone runs
    # in workers.
    assert check(".") == alone
    db = demo / "app" / "db.py"
    db.write_text("import os\n" + db.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    expected = check("--no-cache", ".")
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "2")
    assert check(".") == expected


def test_a_fix_round_lints_the_tree_it_was_validated_with(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.py").write_text(
        "import time\n\n\nasync def f(x=[]):\n    time.sleep(1)\n    return x\n", encoding="utf-8"
    )
    parsed: list[str] = []
    _count_calls(monkeypatch, parse, lambda text, filename="": parsed.append(text))
    result = CliRunner().invoke(main, ["check", "--fix", "--unsafe-fixes", "--no-cache", "a.py"])
    assert result.exit_code in (0, 1), result.output
    assert (tmp_path / "a.py").read_text(encoding="utf-8") != parsed[0]  # it was fixed
    assert len(parsed) >= 2
    again = [text for text, count in collections.Counter(parsed).items() if count > 1]
    assert again == [], "a text was parsed twice"


def test_a_worker_that_dies_ends_the_run_with_an_error(demo, monkeypatch):
    from fastapi_lint import pipeline

    monkeypatch.setenv("FASTAPI_LINT_JOBS", "2")
    parent = os.getpid()
    real_check = pipeline.check

    def dying(*args, **kwargs):
        if os.getpid() != parent:
            os._exit(3)  # as a worker killed by the system would
        return real_check(*args, **kwargs)

    monkeypatch.setattr(pipeline, "check", dying)
    result = CliRunner().invoke(main, ["check", "--no-cache", "."])
    assert result.exit_code == 2
    assert "a worker process ended unexpectedly" in result.output


def test_modules_are_planned_in_pathlib_order():
    """(A guard of `_in_order`'s shortcut: the order of pathlib's comparisons.)"""
    from pathlib import Path

    from fastapi_lint.pipeline import _in_order

    names = ["a", "a-b", "a.b", "a b", "a/b", "a/b/c", "a0", "ab", "é", "a/-", "a/\u00e9", "A"]
    paths = {Path("/root") / name / "m.py" for name in names} | {Path("/root/a.py")}
    assert _in_order(paths) == sorted(paths)
