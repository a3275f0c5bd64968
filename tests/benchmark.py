"""Time fastapi-lint next to ruff and flake8 on the same files (not a test; run by hand).

    python tests/benchmark.py [PATH ...]   # default: installed sqlalchemy, fastapi, pydantic,
                                           # starlette
Each tool runs RUNS times without a cache (a tool whose first run takes over a minute runs
once); the medians and the ratios are printed as they come. flake8 runs with whatever plugins
are installed (bugbear, async, bandit when present) on one process (-j 1), as we do.
"""

from __future__ import annotations

import importlib
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

RUNS = 5


def default_paths() -> list[str]:
    names = ("sqlalchemy", "fastapi", "pydantic", "starlette")
    return [str(Path(importlib.import_module(n).__file__).parent) for n in names]


def count_lines(paths: list[str]) -> tuple[int, int]:
    files = [p for path in paths for p in Path(path).rglob("*.py")]
    return len(files), sum(len(p.read_bytes().splitlines()) for p in files)


def median_seconds(command: list[str]) -> tuple[float, int]:
    times: list[float] = []
    while len(times) < RUNS and not (times and times[0] > 60):
        start = time.perf_counter()
        subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times), len(times)


def main() -> None:
    paths = sys.argv[1:] or default_paths()
    files, lines = count_lines(paths)
    print(f"{files} files, {lines} lines, median of {RUNS} runs each")
    bin_dir = Path(sys.executable).parent
    tools = {
        "fastapi-lint": [
            str(bin_dir / "fastapi-lint"),
            "check",
            "--no-cache",
            "--isolated",
            "--exit-zero",
            "-q",
            *paths,
        ],
        "ruff": [
            shutil.which("ruff") or str(bin_dir / "ruff"),
            "check",
            "--no-cache",
            "--isolated",
            "--exit-zero",
            "-q",
            *paths,
        ],
        "flake8": [sys.executable, "-m", "flake8", "--exit-zero", "-j", "1", *paths],
    }
    ours = None
    for name, command in tools.items():
        seconds, runs = median_seconds(command)
        ours = ours or seconds
        ratio = ours / seconds
        print(f"{name:<13} {seconds:7.2f} s ({runs} runs)   fastapi-lint / {name} = {ratio:5.2f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
