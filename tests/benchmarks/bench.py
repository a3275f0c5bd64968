"""Time fastapi-lint next to ruff, flake8 and the Python floor on the same files (run by hand).

    python tests/benchmarks/bench.py [--runs 5] [--app-modules 2000] [--flake8] [--scaling]

Not a test: nothing here asserts a time. It builds, in a temporary folder,
- `libs/`: a copy of the installed sources of sqlalchemy, fastapi, pydantic and starlette, and
- `app/`: a generated application (route modules with sessions, models and schemas),
each with its own pyproject.toml so that caches have a project root, then prints one table with
medians per scenario: cold, warm, a function-body edit, an imports edit, the 3-file pre-commit case,
`--fix` on one file of 4,000 functions; ruff cold and warm with the closest selection of its
rules; the floor (read + `ast.parse` + one trivial walk with as many processes as we use); peak
memory and lines per second. `--flake8` adds flake8 with whatever plugins are installed (bugbear,
flake8-async, bandit: minutes); `--scaling` adds cold runs of the app at 1x, 2x and 4x.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

BIN = Path(sys.executable).parent
LINT = [str(BIN / "fastapi-lint"), "check", "--exit-zero", "-q"]
RUFF_SELECT = "FAST,ASYNC,B006,S105,S106,S107,S608"
RUFF = [shutil.which("ruff") or str(BIN / "ruff"), "check", "--isolated", "--exit-zero", "-q"]
LIBRARIES = ("sqlalchemy", "fastapi", "pydantic", "starlette")


# -- corpus ---------------------------------------------------------------------------------------


def copy_libraries(target: Path) -> None:
    target.mkdir(parents=True)
    (target / "pyproject.toml").write_text('[project]\nname = "libs"\nversion = "0"\n')
    for name in LIBRARIES:
        source = Path(importlib.import_module(name).__file__).parent
        shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("__pycache__"))


ROUTE_MODULE = '''"""Generated route module {n}."""

import time

from fastapi import APIRouter, BackgroundTasks
from sqlalchemy import select

from app.deps import SessionDep
from app.models import Item{n}
from app.schemas import ItemOut{n}

router = APIRouter(prefix="/items{n}")


def notify(item_id: int) -> None: ...


@router.get("/{{item_id}}")
async def read_item(item_id: int, db: SessionDep):
    item = await db.scalar(select(Item{n}).where(Item{n}.id == item_id))
    return {{"id": item.id, "data": item.data}}


@router.post("/{{item_id}}")
async def update_item(item_id: int, tasks: BackgroundTasks, db: SessionDep) -> ItemOut{n}:
    item = await db.get(Item{n}, item_id)
    item.data["touched"] = True
    time.sleep(0.01)
    db.commit()
    tasks.add_task(notify(item_id))
    return ItemOut{n}.model_validate(item)


async def helper(db: SessionDep, tags=[]) -> list[int]:
    rows = await db.scalars(select(Item{n}.id))
    return [row for row in rows if row not in tags]
'''

MODEL_CLASS = """

class Item{n}(Base):
    __tablename__ = "item{n}"
    id: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
"""

SCHEMA_CLASS = """

class ItemOut{n}(BaseModel):
    id: int
    data: dict = {{}}
"""


def generate_app(target: Path, modules: int) -> None:
    package = target / "app"
    (package / "routes").mkdir(parents=True)
    (target / "pyproject.toml").write_text(
        '[project]\nname = "app"\nversion = "0"\ndependencies = ["pydantic>=2", "fastapi"]\n'
    )
    (package / "__init__.py").write_text("")
    (package / "routes" / "__init__.py").write_text("")
    (package / "deps.py").write_text(
        "from typing import Annotated\n\nfrom fastapi import Depends\n"
        "from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, "
        "create_async_engine\n\n"
        'engine = create_async_engine("postgresql+asyncpg://localhost/app")\n'
        "SessionLocal = async_sessionmaker(engine)\n\n\n"
        "async def get_db():\n    async with SessionLocal() as session:\n"
        "        yield session\n\n\n"
        "SessionDep = Annotated[AsyncSession, Depends(get_db)]\n"
    )
    models = [
        "from sqlalchemy import JSON\n"
        "from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column\n\n\n"
        "class Base(DeclarativeBase):\n    pass\n"
    ]
    schemas = ["from pydantic import BaseModel\n"]
    for n in range(modules):
        (package / "routes" / f"items{n}.py").write_text(ROUTE_MODULE.format(n=n))
        models.append(MODEL_CLASS.format(n=n))
        schemas.append(SCHEMA_CLASS.format(n=n))
    (package / "models.py").write_text("".join(models))
    (package / "schemas.py").write_text("".join(schemas))


def generate_fix_file(target: Path, functions: int) -> Path:
    target.mkdir(parents=True)
    (target / "pyproject.toml").write_text('[project]\nname = "fixme"\nversion = "0"\n')
    body = ["import time\n"]
    for n in range(functions):
        body.append(f"\n\nasync def f{n}(x=[]):\n    time.sleep(0.1)\n    return x\n")
    path = target / "big.py"
    path.write_text("".join(body))
    return path


def python_files(root: Path) -> list[Path]:
    return sorted(root.rglob("*.py"))


def count_lines(files: list[Path]) -> int:
    return sum(len(p.read_bytes().splitlines()) for p in files)


# -- measuring ------------------------------------------------------------------------------------


def run_once(command: list[str], cwd: Path, env: dict | None = None) -> tuple[float, int]:
    """Wall seconds and peak resident memory (MB) of one run of `command`."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, _, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    return seconds, usage.ru_maxrss // 1024


def median_of(runs: int, command: list[str], cwd: Path, before=None, env=None) -> tuple[float, int]:
    times, peaks = [], []
    for _ in range(runs):
        if before:
            before()
        seconds, peak = run_once(command, cwd, env)
        times.append(seconds)
        peaks.append(peak)
        if seconds > 60:
            break  # one run says enough
    return statistics.median(times), max(peaks)


def _parse_and_walk(path: Path) -> int:
    tree = ast.parse(path.read_bytes())
    return sum(1 for _ in ast.walk(tree))


def floor_seconds(files: list[Path], processes: int) -> float:
    """Read, parse and walk every file once, with `processes` workers: what Python can't beat."""
    start = time.perf_counter()
    if processes > 1:
        with ProcessPoolExecutor(processes) as pool:
            sum(pool.map(_parse_and_walk, files, chunksize=16))
    else:
        sum(map(_parse_and_walk, files))
    return time.perf_counter() - start


def forget_memos(root: Path) -> None:
    """Drops the output memos (and their notes): the next run goes through the caches."""
    for pattern in ("memo-*", "seen-*"):
        for memo in (root / ".fastapi_lint_cache").glob(pattern):
            memo.unlink()


def clear_cache(root: Path) -> None:
    shutil.rmtree(root / ".fastapi_lint_cache", ignore_errors=True)
    shutil.rmtree(root / ".ruff_cache", ignore_errors=True)


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str]] = []

    def add(self, name: str, seconds: float, peak: int | None = None, ref: float | None = None):
        ratio = f"{seconds / ref:.2f}" if ref else ""
        memory = f"{peak} MB" if peak else ""
        self.rows.append((name, f"{seconds:.3f} s", memory, ratio))
        print(f"  {name:<58} {seconds:8.3f} s {memory:>8} {ratio:>7}", flush=True)

    def markdown(self, ratio_header: str) -> str:
        lines = [f"| run | median | peak memory | {ratio_header} |", "| --- | --- | --- | --- |"]
        lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in self.rows]
        return "\n".join(lines)


def bench_corpus(name: str, root: Path, runs: int, jobs: int, table: Table) -> float:
    files = python_files(root)
    lines = count_lines(files)
    print(f"\n{name}: {len(files)} files, {lines:,} lines", flush=True)
    # The floor, a cold run and a one-process cold run take turns, so that a machine slowing
    # down or speeding up during the bench weighs on the three alike: each round gives the two
    # ratios the targets are about, and their medians are printed beside the medians of times.
    one_process = {**os.environ, "FASTAPI_LINT_JOBS": "1"}
    floors, colds, ones, peaks = [], [], [], []
    for _ in range(runs):
        floors.append(floor_seconds(files, jobs))
        seconds, peak = run_once([*LINT, "--no-cache", "."], root)
        colds.append(seconds)
        peaks.append(peak)
        ones.append(run_once([*LINT, "--no-cache", "."], root, one_process)[0])
    floor, cold, one = (statistics.median(times) for times in (floors, colds, ones))
    table.add(f"{name}: Python floor (read + ast.parse + walk, {jobs} proc)", floor)
    table.add(f"{name}: fastapi-lint cold (--no-cache)", cold, max(peaks), floor)
    table.add(f"{name}: fastapi-lint cold, FASTAPI_LINT_JOBS=1", one, None, floor)
    to_floor = statistics.median(c / f for c, f in zip(colds, floors, strict=True))
    scaling = statistics.median(o / c for o, c in zip(ones, colds, strict=True))
    print(
        f"    {lines / cold:,.0f} lines/s; cold / floor = {cold / floor:.2f} (median of the"
        f" rounds' ratios {to_floor:.2f}); {jobs} workers against 1: {one / cold:.2f}x"
        f" (rounds {scaling:.2f}x)"
    )
    clear_cache(root)
    run_once([*LINT, "."], root)
    # The output memo (memo.py) replays an invocation run before, once what it read is older
    # than its racy-time window (2 s): as a user's next run of an unchanged project.
    time.sleep(2.1)
    run_once([*LINT, "."], root)
    warm, peak = median_of(runs, [*LINT, "."], root)
    table.add(f"{name}: fastapi-lint warm (nothing changed)", warm, peak, floor)
    cached, _ = median_of(runs, [*LINT, "."], root, before=lambda: forget_memos(root))
    table.add(f"{name}: fastapi-lint warm, no output memo (caches)", cached, None, floor)
    ruff_cold, _ = median_of(runs, [*RUFF, "--no-cache", "--select", RUFF_SELECT, "."], root)
    table.add(f"{name}: ruff cold --select {RUFF_SELECT}", ruff_cold)
    run_once([*RUFF, "--select", RUFF_SELECT, "."], root)
    ruff_warm, _ = median_of(runs, [*RUFF, "--select", RUFF_SELECT, "."], root)
    table.add(f"{name}: ruff warm", ruff_warm)
    print(
        f"    cold / ruff cold = {cold / ruff_cold:.1f}; warm / ruff warm = {warm / ruff_warm:.1f}"
        f" (without the output memo {cached / ruff_warm:.1f})"
    )
    return cold


def bench_edits(root: Path, runs: int, table: Table) -> None:
    """Edits to one module of the generated app, each measured on a warm cache."""
    route = root / "app" / "routes" / "items0.py"
    original = route.read_text()
    counter = iter(range(10**6))

    def body_edit():
        route.write_text(original.replace("0.01", f"0.{next(counter) + 2}"))

    def imports_edit():
        route.write_text(f"import os{next(counter)}\n" + original)

    run_once([*LINT, "."], root)
    for label, edit in (
        ("one function body edited", body_edit),
        ("one module's imports edited", imports_edit),
    ):
        seconds, peak = median_of(runs, [*LINT, "."], root, before=edit)
        table.add(f"app: fastapi-lint warm, {label}", seconds, peak)
        route.write_text(original)
        run_once([*LINT, "."], root)
    three = [
        str(p.relative_to(root)) for p in sorted((root / "app" / "routes").glob("items1*.py"))[:3]
    ]
    seconds, peak = median_of(runs, [*LINT, *three], root)
    table.add("app: pre-commit case, 3 files, warm cache", seconds, peak)
    # What a commit brings: one of the three files changed since the last run.
    staged = root / three[0]
    staged_text = staged.read_text()

    def staged_edit():
        staged.write_text(staged_text.replace("0.01", f"0.{next(counter) + 2}"))

    seconds, peak = median_of(runs, [*LINT, *three], root, before=staged_edit)
    table.add("app: pre-commit case, 3 files, one of them edited", seconds, peak)
    staged.write_text(staged_text)
    ruff_three, _ = median_of(runs, [*RUFF, "--select", RUFF_SELECT, *three], root)
    table.add("app: ruff, same 3 files", ruff_three)


def bench_fix(work: Path, runs: int, functions: int, table: Table) -> None:
    folder = work / "fix"
    path = generate_fix_file(folder, functions)
    original = path.read_text()
    seconds, peak = median_of(
        runs,
        [*LINT, "--no-cache", "--fix", "--unsafe-fixes", "big.py"],
        folder,
        before=lambda: path.write_text(original),
    )
    table.add(f"--fix --unsafe-fixes on one file of {functions} async functions", seconds, peak)


def bench_unawaited(work: Path, runs: int, calls: int, table: Table) -> None:
    """FAL202 on one function with `calls` unawaited session calls (it was quadratic once)."""
    folder = work / "unawaited"
    folder.mkdir(parents=True)
    (folder / "pyproject.toml").write_text('[project]\nname = "unawaited"\nversion = "0"\n')
    lines = "".join(f"    db.execute({n})\n" for n in range(calls))
    (folder / "calls.py").write_text(
        "from sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
        f"async def many(db: AsyncSession):\n{lines}"
    )
    seconds, peak = median_of(runs, [*LINT, "--no-cache", "calls.py"], folder)
    table.add(f"FAL202 on one function of {calls:,} unawaited session calls", seconds, peak)


def bench_flake8(root: Path, table: Table) -> None:
    seconds, peak = run_once([sys.executable, "-m", "flake8", "--exit-zero", "-j", "1", "."], root)
    table.add("flake8 (installed plugins), one process, 1 run", seconds, peak)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--app-modules", type=int, default=2000)
    parser.add_argument("--fix-functions", type=int, default=4000)
    parser.add_argument("--flake8", action="store_true")
    parser.add_argument("--scaling", action="store_true")
    args = parser.parse_args()
    jobs = int(os.environ.get("FASTAPI_LINT_JOBS", os.cpu_count() or 1))
    table = Table()
    with tempfile.TemporaryDirectory(prefix="fastapi-lint-bench-") as temp:
        work = Path(temp)
        copy_libraries(work / "libs")
        generate_app(work / "app", args.app_modules)
        bench_corpus("libs", work / "libs", args.runs, jobs, table)
        bench_corpus("app", work / "app", args.runs, jobs, table)
        bench_edits(work / "app", args.runs, table)
        bench_fix(work, args.runs, args.fix_functions, table)
        bench_unawaited(work, args.runs, 2000, table)
        if args.scaling:
            for factor in (1, 2, 4):
                root = work / f"scale{factor}"
                generate_app(root, args.app_modules // 2 * factor)
                seconds, peak = median_of(args.runs, [*LINT, "--no-cache", "."], root)
                table.add(
                    f"app at {factor}x ({args.app_modules // 2 * factor} modules), cold",
                    seconds,
                    peak,
                )
        if args.flake8:
            bench_flake8(work / "libs", table)
    print("\n" + table.markdown("ratio to the floor"))


if __name__ == "__main__":
    main()
