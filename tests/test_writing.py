"""`--fix` never loses an edit nor damages a file: it writes only what it read, respects read-only
files, keeps mode, owner and hard links, and a killed run leaves every file old or new."""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from fastapi_lint import fixes
from fastapi_lint.cli import main

BAD = "def f(x=[]):\n    return x\n"
FIXED = "def f(x=None):\n    if x is None:\n        x = []\n    return x\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def fix(*paths: str):
    arguments = ["check", "--fix", "--unsafe-fixes", "--no-cache", *paths]
    return CliRunner().invoke(main, arguments, catch_exceptions=False)


def test_the_fix_is_what_these_tests_expect(project):
    (project / "a.py").write_text(BAD, encoding="utf-8")
    assert fix("a.py").exit_code == 0
    assert (project / "a.py").read_text(encoding="utf-8") == FIXED


def _edit_while_fixing(monkeypatch, path: Path, edit) -> None:
    """Run `edit` after the file was read and before the fix is written."""
    fix_text = fixes.fix_text  # (checking imports it when a check fixes)

    def fixing_while_the_user_edits(*args, **kwargs):
        edit(path)
        return fix_text(*args, **kwargs)

    monkeypatch.setattr(fixes, "fix_text", fixing_while_the_user_edits)


EDITED = BAD + "\nprint('edited by the user')\n"


def test_a_file_edited_during_the_fix_keeps_the_edit(project, monkeypatch):
    target = project / "a.py"
    target.write_text(BAD, encoding="utf-8")
    _edit_while_fixing(monkeypatch, target, lambda path: path.write_text(EDITED, encoding="utf-8"))
    result = fix("a.py")
    assert target.read_text(encoding="utf-8") == EDITED
    assert "a.py: the file changed while it was being fixed" in result.stderr
    assert result.exit_code == 1  # its finding remains
    assert "FAL301" in result.stdout
    assert [p.name for p in project.iterdir() if p.name.endswith(".tmp")] == []


def test_an_edit_by_another_process_during_the_fix_is_kept(project, monkeypatch):
    target = project / "a.py"
    target.write_bytes(BAD.encode())
    script = f"open({str(target)!r}, 'w').write({EDITED!r})"
    _edit_while_fixing(
        monkeypatch, target, lambda path: subprocess.run([sys.executable, "-c", script], check=True)
    )
    result = fix("a.py")
    assert target.read_text(encoding="utf-8") == EDITED
    assert result.exit_code == 1


def test_a_hard_linked_file_edited_during_the_fix_keeps_the_edit(project, monkeypatch):
    target = project / "a.py"
    target.write_text(BAD, encoding="utf-8")
    os.link(target, project / "b.txt")
    _edit_while_fixing(monkeypatch, target, lambda path: path.write_text(EDITED, encoding="utf-8"))
    assert fix("a.py").exit_code == 1
    assert target.read_text(encoding="utf-8") == EDITED


def test_a_read_only_file_is_left_alone(project):
    target = project / "a.py"
    target.write_text(BAD, encoding="utf-8")
    target.chmod(0o444)
    result = fix("a.py")
    assert target.read_text(encoding="utf-8") == BAD
    assert stat.S_IMODE(target.stat().st_mode) == 0o444
    assert "a.py: the file is read-only; it was not fixed" in result.stderr
    assert result.exit_code == 1
    assert "FAL301" in result.stdout
    assert "(0 fixed, 1 remaining)" in result.stdout
    assert "with the `--fix` option" not in result.stdout  # it was given: say what happened
    assert "fixable left as they were" in result.stdout


def test_mode_is_kept(project):
    target = project / "a.py"
    target.write_text(BAD, encoding="utf-8")
    target.chmod(0o640)
    assert fix("a.py").exit_code == 0
    assert target.read_text(encoding="utf-8") == FIXED
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_owner_is_kept_when_run_as_root(project):
    target = project / "a.py"
    target.write_text(BAD, encoding="utf-8")
    os.chown(target, 4321, 4321)
    assert fix("a.py").exit_code == 0
    assert target.read_text(encoding="utf-8") == FIXED
    assert (target.stat().st_uid, target.stat().st_gid) == (4321, 4321)


def test_hard_links_are_kept(project):
    target = project / "a.py"
    target.write_text(BAD, encoding="utf-8")
    other = project / "elsewhere.txt"
    os.link(target, other)
    assert fix("a.py").exit_code == 0
    assert target.read_text(encoding="utf-8") == FIXED
    assert other.read_text(encoding="utf-8") == FIXED
    assert os.path.samefile(target, other)


def test_a_symlink_stays_a_link_to_the_fixed_file(project):
    real = project / "real.py"
    real.write_text(BAD, encoding="utf-8")
    (project / "link.py").symlink_to(real)
    fix("link.py")
    assert (project / "link.py").is_symlink()
    assert real.read_text(encoding="utf-8") == FIXED


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_stale_temporaries_of_dead_runs_are_removed(project):
    (project / "a.py").write_text(BAD, encoding="utf-8")
    stale = project / f".a.py.fastapi-lint-{_dead_pid()}-x1y2.tmp"
    ours = project / f".a.py.fastapi-lint-{os.getpid()}-k3j4.tmp"  # from a killed run, same pid
    live = project / ".a.py.fastapi-lint-1-abcd.tmp"  # pid 1 is alive: maybe still writing
    unrelated = project / ".a.py.swp.tmp"
    for path in (stale, ours, live, unrelated):
        path.write_text("partial", encoding="utf-8")
    assert fix("a.py").exit_code == 0
    assert not stale.exists() and not ours.exists()
    assert live.exists() and unrelated.exists()


def _kill_during_fix(folder: Path, rng: random.Random, count: int) -> int:
    """SIGKILL a `--fix` over `count` files at a random moment: each file is old or new;
    returns how many were still old when it died."""
    versions = {}  # path -> (old, new)
    for number in range(count):
        header = f"# file {number}\n"
        old, new = (header + text.replace("f(", f"f_{number}(") * 5 for text in (BAD, FIXED))
        versions[folder / f"m{number}.py"] = (old, new)
        (folder / f"m{number}.py").write_text(old, encoding="utf-8")
    command = [sys.executable, "-m", "fastapi_lint", "check", "--fix", "--unsafe-fixes"]
    command += ["--no-cache", str(folder)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    # Kill it while it writes: once the first file (in sorted order) is fixed, at a random
    # moment of the next half second (200 files take longer than that to write).
    first, (first_old, _) = next(iter(versions.items()))
    while process.poll() is None and first.read_text(encoding="utf-8") == first_old:
        time.sleep(0.002)
    time.sleep(rng.uniform(0, 0.5))
    process.send_signal(signal.SIGKILL)
    process.wait()
    left_old = 0
    for path, (old, new) in versions.items():
        text = path.read_text(encoding="utf-8")
        assert text in (old, new), f"{path.name} is partial"
        left_old += text == old
    subprocess.run(command, capture_output=True, check=False)
    leftovers = [path.name for path in folder.iterdir() if path.name.endswith(".tmp")]
    assert leftovers == [], "the next run must remove the temporaries of the killed one"
    for path, (_, new) in versions.items():
        assert path.read_text(encoding="utf-8") == new
    return left_old


KILL_ROUNDS = 25 if os.environ.get("FASTAPI_LINT_LONG_TESTS") == "1" else 2


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_killed_fix_leaves_every_file_old_or_new(tmp_path):
    rng = random.Random(11)
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'p'\n", encoding="utf-8")
    left_old = []
    for round_number in range(KILL_ROUNDS):
        folder = tmp_path / f"round{round_number}"
        folder.mkdir()
        left_old.append(_kill_during_fix(folder, rng, 200))
    # The kill must have landed while files were being written, or nothing was tested.
    assert any(0 < count < 200 for count in left_old), left_old
