"""Pathological input (deep nesting, huge or binary files) is FAL001 for that file, never a crash
of the run: through the CLI and the flake8 plugin, in subprocesses (a crash may be a segfault)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
LONG = os.environ.get("FASTAPI_LINT_LONG_TESTS") == "1"
GOOD = "def f(x=[]):\n    return x\n"  # FAL301 at 1:9


def _blocks(keyword: str, depth: int) -> str:
    lines = [" " * (4 * level) + keyword for level in range(depth)]
    return "\n".join(lines) + "\n" + " " * (4 * depth) + "pass\n"


# name -> (content, what its FAL001 message says, or None for a file that must check cleanly)
UNREADABLE = {
    "lists.py": ("x = " + "[" * 1000 + "]" * 1000 + "\n", "nesting too deep"),
    "parens.py": ("x = " + "(" * 5000 + "1" + ")" * 5000 + "\n", "nesting too deep"),
    "dicts.py": ("x = " + "{1: " * 1000 + "1" + "}" * 1000 + "\n", "nesting too deep"),
    "sets.py": ("x = " + "{" * 3000 + "1" + "}" * 3000 + "\n", "nesting too deep"),
    "mixed.py": ("x = " + "([{" * 700 + "]})" * 700 + "\n", "nesting too deep"),
    "ifs.py": (_blocks("if x:", 150), "nesting too deep"),
    "defs.py": (_blocks("def f():", 120), "nesting too deep"),
    # newer syntax (lowered through LibCST) that is also too deep
    "generic_deep.py": ("def f[T](): pass\nx = " + "[" * 2000 + "]" * 2000 + "\n", "nesting"),
    "long_sum.py": ("x = " + "1 + " * 100_000 + "1\n", "too deep"),
    "nul.py": ("x = 1\x00\n", "null bytes"),
}
READABLE = {
    "deep_ok.py": "x = " + "(" * 150 + "1" + ")" * 150 + "\n" + _blocks("if x:", 90),
    "long_line.py": "x = '" + "a" * 2_000_000 + "'\n",
}


def _project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.fastapi-lint]\n", encoding="utf-8")
    (tmp_path / "good.py").write_text(GOOD, encoding="utf-8")
    for name, (content, _) in UNREADABLE.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    for name, content in READABLE.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    (tmp_path / "binary.py").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "latin.py").write_bytes(b"# -*- coding: latin-1 -*-\nx = '\xe9'\n")
    (tmp_path / "bogus_cookie.py").write_bytes(b"# -*- coding: no-such-codec -*-\nx = 1\n")
    return tmp_path


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300)


def _by_file(stdout: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in stdout.splitlines():
        name, _, rest = line.partition(":")
        if name.endswith(".py"):
            found.setdefault(name, []).append(rest)
    return found


def test_pathological_files_are_fal001_and_the_run_goes_on(tmp_path):
    project = _project(tmp_path)
    done = _run([str(BIN / "fastapi-lint"), "check", "--no-cache", "."], project)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    found = _by_file(done.stdout)
    assert found["good.py"] == [
        "1:9: FAL301 Parameter `x` has a mutable default (`[]`): one `list` is shared by every call"
    ]
    for name, (_, reason) in UNREADABLE.items():
        assert len(found[name]) == 1 and "FAL001" in found[name][0], (name, found.get(name))
        assert reason in found[name][0], (name, found[name])
    for name in READABLE:
        assert name not in found, (name, found[name])
    assert "latin.py" not in found
    assert "FAL001" in found["binary.py"][0]
    assert "FAL001" in found["bogus_cookie.py"][0]


def test_checking_one_file_says_which_siblings_the_index_cannot_read(tmp_path):
    project = _project(tmp_path)
    done = _run([str(BIN / "fastapi-lint"), "check", "--no-cache", "good.py"], project)
    assert done.returncode == 1, done.stderr
    assert "good.py:1:9: FAL301" in done.stdout
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning: ")]
    for name in [*UNREADABLE, "binary.py", "bogus_cookie.py"]:
        said = [line for line in warnings if line.startswith(f"warning: {name}: cannot be read")]
        assert len(said) == 1, (name, done.stderr)
        assert said[0].endswith("may be missing")
    assert not any("good.py" in line or "latin.py" in line for line in warnings)


def test_a_checked_unreadable_file_gets_fal001_and_no_second_warning(tmp_path):
    project = _project(tmp_path)
    done = _run([str(BIN / "fastapi-lint"), "check", "--no-cache", "."], project)
    assert "lists.py:1:" in done.stdout and "FAL001" in done.stdout
    assert "warning: lists.py" not in done.stderr, done.stderr


def test_the_flake8_plugin_survives_pathological_siblings(tmp_path):
    project = _project(tmp_path)
    done = _run([sys.executable, "-m", "flake8", "--select=FAL", "good.py"], project)
    assert done.returncode == 1, done.stderr
    assert "good.py:1:9: FAL301" in done.stdout
    assert "Traceback" not in done.stderr
    assert "fastapi-lint: warning: lists.py: cannot be read" in done.stderr


def test_a_file_over_max_file_size_is_fal001_unread(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.fastapi-lint]\nmax-file-size = "1KB"\n', encoding="utf-8"
    )
    (tmp_path / "big.py").write_text(GOOD + "x = 1\n" * 400, encoding="utf-8")
    (tmp_path / "good.py").write_text(GOOD, encoding="utf-8")
    done = _run([str(BIN / "fastapi-lint"), "check", "--no-cache", "."], tmp_path)
    assert done.returncode == 1, done.stderr
    assert "big.py:1:1: FAL001 file too large to analyse" in done.stdout
    assert "good.py:1:9: FAL301" in done.stdout
    flake8 = _run([sys.executable, "-m", "flake8", "--select=FAL", "big.py"], tmp_path)
    assert "big.py:1:1: FAL001 file too large to analyse" in flake8.stdout
    stdin = subprocess.run(
        [str(BIN / "fastapi-lint"), "check", "--stdin-filename", "big.py", "-"],
        input=(tmp_path / "big.py").read_text(encoding="utf-8"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert "big.py:1:1: FAL001 file too large to analyse" in stdin.stdout


def test_a_bad_max_file_size_is_a_configuration_error(tmp_path):
    (tmp_path / "pyproject.toml").write_text(
        '[tool.fastapi-lint]\nmax-file-size = "lots"\n', encoding="utf-8"
    )
    (tmp_path / "good.py").write_text(GOOD, encoding="utf-8")
    done = _run([str(BIN / "fastapi-lint"), "check", "good.py"], tmp_path)
    assert done.returncode == 2
    assert "`max-file-size` must be a positive size" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.skipif(not LONG, reason="set FASTAPI_LINT_LONG_TESTS=1")
def test_big_generated_files(tmp_path):
    """A 20 MB file is refused unread; a 4 MB one (under the default limit) is checked."""
    (tmp_path / "pyproject.toml").write_text("[tool.fastapi-lint]\n", encoding="utf-8")
    chunk = "def f{n}(x=[]):\n    return {{'k': [x, {n}]}}\n\n\n"
    for name, size in (("huge.py", 20_000_000), ("big.py", 4_000_000)):
        pieces, total, n = [], 0, 0
        while total < size:
            piece = chunk.format(n=n)
            pieces.append(piece)
            total += len(piece)
            n += 1
        (tmp_path / name).write_text("".join(pieces), encoding="utf-8")
    started = time.perf_counter()
    done = _run([str(BIN / "fastapi-lint"), "check", "--no-cache", "huge.py"], tmp_path)
    print(f"huge.py (20 MB): {time.perf_counter() - started:.1f} s")
    assert done.returncode == 1 and "FAL001 file too large" in done.stdout
    started = time.perf_counter()
    done = _run([str(BIN / "fastapi-lint"), "check", "--no-cache", "big.py"], tmp_path)
    print(f"big.py (4 MB): {time.perf_counter() - started:.1f} s")
    assert done.returncode == 1 and "FAL301" in done.stdout and "FAL001" not in done.stdout


DEEP_EXPRESSIONS = {
    "attribute_chain.py": "x = a" + ".b" * 50_000,
    "subscript_chain.py": "x = a" + "[0]" * 10_000,
    "call_chain.py": "x = f" + "()" * 10_000,
    "nots.py": "x = " + "not " * 10_000 + "a",
    "unary_minus.py": "x = " + "-" * 50_000 + "a",
    "lambdas.py": "x = " + "lambda: " * 500 + "1",
    "conditionals.py": "x = " + "a if b else " * 5_000 + "c",
    "comparisons.py": "x = a" + " == a" * 50_000,
    "powers.py": "x = " + "a ** " * 20_000 + "a",
}


def test_deep_expressions_without_brackets_never_crash_the_run(tmp_path):
    """Some Pythons read these (then our own recursive steps must hold), some refuse them."""
    (tmp_path / "pyproject.toml").write_text("[tool.fastapi-lint]\n", encoding="utf-8")
    (tmp_path / "good.py").write_text(GOOD, encoding="utf-8")
    for name, content in DEEP_EXPRESSIONS.items():
        (tmp_path / name).write_text(content + "\n", encoding="utf-8")
    done = _run([str(BIN / "fastapi-lint"), "check", "--no-cache", "."], tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    found = _by_file(done.stdout)
    assert found.pop("good.py")[0].startswith("1:9: FAL301")
    for name, lines in found.items():
        assert name in DEEP_EXPRESSIONS, (name, lines)
        assert len(lines) == 1 and "FAL001" in lines[0] and "too" in lines[0], (name, lines)
