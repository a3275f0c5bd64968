"""The console script (`memo.script`): it exits without tearing down what the run made, once
its output is flushed, and ends with the status and output `main` gives."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Runs the console script's function as `fastapi-lint` does, with an exit handler that says
# whether Python's own teardown ran.
_SCRIPT = (
    "import atexit, sys\nfrom fastapi_lint import memo\n"
    "atexit.register(lambda: sys.stderr.write('torn down\\n'))\n"
    "sys.argv[0] = 'fastapi-lint'\nmemo.script()\n"
)


def script(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "FASTAPI_LINT_JOBS": "1"}
    env.pop("FASTAPI_LINT_CACHE_DIR", None)
    command = [sys.executable, "-c", _SCRIPT, *args]
    return subprocess.run(command, capture_output=True, cwd=cwd, env=env)


@pytest.fixture
def project(tmp_path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.fastapi-lint]\n", encoding="utf-8")
    routes = "".join(
        f"\n\n@app.get('/{n}')\nasync def route{n}():\n    time.sleep(1)\n    return {{}}\n"
        for n in range(400)
    )
    text = "import time\n\nfrom fastapi import FastAPI\n\napp = FastAPI()\n" + routes
    (tmp_path / "app.py").write_text(text, encoding="utf-8")
    return tmp_path


def test_the_output_is_whole_and_the_teardown_skipped(project):
    done = script(project, "check", "--no-cache", "--output-format", "json", ".")
    assert done.returncode == 1
    assert done.stdout.count(b'"code": "FAL201"') == 400  # 100 KB through a pipe, all of it
    assert done.stdout.rstrip().endswith(b"]")
    assert b"torn down" not in done.stderr


@pytest.mark.parametrize(
    ("args", "status", "shown"),
    [
        (("check", "--no-cache", "--select", "FAL302", "."), 0, b"All checks passed"),
        (("check", "--no-such-option"), 2, b"No such option"),
        (("--help",), 0, b"Usage:"),
        (("check", "--config", "missing.toml", "."), 2, b"missing.toml"),
    ],
)
def test_each_status_and_its_output(project, args, status, shown):
    done = script(project, *args)
    assert done.returncode == status
    assert shown in done.stdout + done.stderr
    assert b"torn down" not in done.stderr


def test_the_module_runs_the_same_front_door(project):
    env = {**os.environ, "FASTAPI_LINT_JOBS": "1"}
    command = [sys.executable, "-m", "fastapi_lint", "check", "--no-cache", "."]
    done = subprocess.run(command, capture_output=True, cwd=project, env=env)
    assert done.returncode == 1
    assert done.stdout.count(b"FAL201") == 400


@pytest.mark.parametrize("closed", ["1", "2"])
def test_a_stream_closed_at_start_keeps_the_status(project, closed):
    """Python gives None for a stream whose descriptor was closed: the run failed on it
    (status 2, "'NoneType' object has no attribute 'isatty'"), and flushing it at the exit
    raised (status 1, a traceback). It runs as into /dev/null."""
    status = 1  # findings
    env = {**os.environ, "FASTAPI_LINT_JOBS": "1"}
    shell = f"{sys.executable} -m fastapi_lint check --no-cache . {closed}>&-"
    done = subprocess.run(["sh", "-c", shell], capture_output=True, cwd=project, env=env)
    assert b"Traceback" not in done.stderr + done.stdout
    assert b"failed" not in done.stderr + done.stdout
    assert done.returncode == status


def test_the_trees_linted_are_left_to_the_exit(demo, monkeypatch):
    """The console script and the workers end without freeing what they made: the tree of
    each file linted is kept for the exit instead of being freed node by node. A run inside
    a longer-lived process (the language server, tests) frees them."""
    import ast

    from click.testing import CliRunner

    from fastapi_lint import cli, memo, pipeline

    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    files = len(list(demo.rglob("*.py")))
    assert CliRunner().invoke(cli.main, ["check", "--no-cache", "."]).exit_code == 1
    assert pipeline.trees_left_to_exit is None
    kept: list = []
    monkeypatch.setattr(sys, "argv", ["fastapi-lint", "check", "--no-cache", "-q", "."])
    try:
        with pytest.raises(SystemExit) as exited:
            memo.main(kept)
        assert exited.value.code == 1
    finally:
        pipeline.leave_trees_to_exit(None)
        cli.kept_until_exit = None
    assert sum(isinstance(tree, ast.Module) for tree in kept) == files


def test_a_worker_leaves_the_trees_it_linted_to_its_exit(demo, monkeypatch, tmp_path):
    from click.testing import CliRunner

    from fastapi_lint import cli, pipeline

    notes = tmp_path / "kept"
    real_check = pipeline.check

    def noting(item, *args, **kwargs):
        report = real_check(item, *args, **kwargs)
        with notes.open("a", encoding="utf-8") as written:
            kept = pipeline.trees_left_to_exit
            written.write(f"{os.getpid()} {-1 if kept is None else len(kept)}\n")
        return report

    monkeypatch.setattr(pipeline, "check", noting)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "2")
    assert CliRunner().invoke(cli.main, ["check", "--no-cache", "."]).exit_code == 1
    counts: dict[str, list[int]] = {}
    for line in notes.read_text(encoding="utf-8").splitlines():
        pid, count = line.split()
        counts.setdefault(pid, []).append(int(count))
    assert counts and str(os.getpid()) not in counts  # (one worker may have read them all)
    for kept in counts.values():  # the trees of the files it read kept as it goes (those it
        assert kept == sorted(kept)  # parsed to lint another worker's file are freed)
    assert max(max(kept) for kept in counts.values()) > 0
    assert pipeline.trees_left_to_exit is None  # (the parent's is untouched)
