"""The caches: a warm run reports exactly what a cold run does, and stale facts never stick."""

from __future__ import annotations

import dataclasses
import json
import os
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from fastapi_lint import cache
from fastapi_lint.cli import main
from fastapi_lint.diagnostics import Applicability, Diagnostic, Edit, Fix, Import
from fastapi_lint.engine import Linter


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")


def check(*args: str) -> str:
    return CliRunner().invoke(main, ["check", ".", "--output-format", "json", *args]).output


def test_warm_run_equals_cold_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\n")
    write(tmp_path / "app" / "__init__.py", "")
    write(
        tmp_path / "app" / "base.py",
        "from pydantic import BaseModel\n\n\nclass Base(BaseModel):\n    pass\n",
    )
    write(
        tmp_path / "app" / "models.py",
        """\
        from app.base import Base


        class Item(Base):
            tags: list = []  # noqa: FAL999


        def f(x=[]):
            return x
        """,
    )
    cold = check()
    assert (tmp_path / ".fastapi_lint_cache").is_dir()
    results = list((tmp_path / ".fastapi_lint_cache").glob("results-*.json"))
    assert results and json.loads(results[0].read_bytes().partition(b"\n")[0])  # its header
    warm = check()
    assert warm == cold
    assert {item["code"] for item in json.loads(warm)} == {"FAL301", "FAL302"}
    assert check("--no-cache") == cold


def test_a_warm_run_takes_every_result_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")  # calls are counted in this process
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\n")
    write(tmp_path / "a.py", "def f(x=[]):\n    return x\n")
    write(tmp_path / "b.py", "import time\n\n\nasync def g():\n    time.sleep(1)\n")
    write(tmp_path / "clean.py", "x = 1\n")
    linted: list[str] = []
    real_lint = Linter.lint

    def counting_lint(self, path, *args, **kwargs):
        linted.append(str(path))
        return real_lint(self, path, *args, **kwargs)

    monkeypatch.setattr(Linter, "lint", counting_lint)
    cold = check()
    assert sorted(linted) == ["a.py", "b.py", "clean.py"]
    linted.clear()
    assert check() == cold
    assert linted == [], "a warm run of unchanged files linted them again"
    write(tmp_path / "a.py", "def f(x={}):\n    return x\n")
    check()
    assert linted == ["a.py"], "only the changed file is linted again"


def test_a_change_in_another_module_reaches_cached_results(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\n")
    write(tmp_path / "app" / "__init__.py", "")
    write(tmp_path / "app" / "base.py", "class Base:\n    pass\n")
    write(
        tmp_path / "app" / "models.py",
        "from app.base import Base\n\n\nclass Item(Base):\n    tags: list = []\n",
    )
    assert json.loads(check()) == []
    # The base becomes a Pydantic model: models.py is unchanged, its findings are not.
    write(
        tmp_path / "app" / "base.py",
        "from pydantic import BaseModel\n\n\nclass Base(BaseModel):\n    pass\n",
    )
    assert [item["code"] for item in json.loads(check())] == ["FAL302"]


def test_settings_are_part_of_the_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\n")
    write(tmp_path / "m.py", "def f(x=[]):\n    return x\n")
    assert len(json.loads(check())) == 1
    assert json.loads(check("--ignore", "FAL301")) == []
    write(tmp_path / "pyproject.toml", '[tool.fastapi-lint]\nignore = ["FAL3"]\n')
    assert json.loads(check()) == []


def test_a_broken_cache_is_ignored(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\n")
    write(tmp_path / "m.py", "def f(x=[]):\n    return x\n")
    cold = check()
    for path in (tmp_path / ".fastapi_lint_cache").glob("*.json"):
        path.write_text("{broken")
    assert check() == cold


def test_worker_processes_report_what_one_process_does(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\n")
    write(tmp_path / "app" / "__init__.py", "")
    write(
        tmp_path / "app" / "base.py",
        "from pydantic import BaseModel\n\n\nclass Base(BaseModel):\n    pass\n",
    )
    for number in range(12):
        write(
            tmp_path / "app" / f"m{number}.py",
            f"from app.base import Base\n\n\nclass M{number}(Base):\n    tags: list = []\n\n\n"
            f"def f{number}(x=[]):\n    return x\n",
        )
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    alone = check("--no-cache")
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "2")
    together = check("--no-cache")
    assert together == alone
    assert len(json.loads(together)) == 24


def test_a_run_on_one_file_decodes_only_its_own_results(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\n")
    for name in ("a", "b", "c"):
        write(tmp_path / f"{name}.py", f"def {name}({name}=[]):\n    return {name}\n")
    cold = CliRunner().invoke(main, ["check", "b.py", "--output-format", "json"]).output
    check()
    entries: dict[str, bytes] = {}
    for stored in (tmp_path / ".fastapi_lint_cache").glob("results-*.json"):  # (the shards)
        head, _, body = stored.read_bytes().partition(b"\n")
        # each file's [key, digest, stamp, index digest, by comment, start, rows end, middle,
        # end]: its diagnostics' rows lie at body[start:rows end], after their CRC (4 bytes)
        for path, fields in json.loads(head)["entries"].items():
            entries[path] = body[fields[5] + 4 : fields[6]]
    assert sorted(entries) == ["a.py", "b.py", "c.py"]
    decoded: list[bytes] = []
    real_loads = cache.marshal.loads  # (rows are in marshal's format)

    def recording(data, *args, **kwargs):
        decoded.append(bytes(data))
        return real_loads(data, *args, **kwargs)

    monkeypatch.setattr(cache.marshal, "loads", recording)
    warm = CliRunner().invoke(main, ["check", "b.py", "--output-format", "json"]).output
    monkeypatch.setattr(cache.marshal, "loads", real_loads)
    assert warm == cold
    assert entries["b.py"] in decoded
    assert entries["a.py"] not in decoded and entries["c.py"] not in decoded


def test_a_cached_diagnostic_is_the_one_stored():
    fix = Fix("title", Applicability.UNSAFE, (Edit(0, 2, "x"),), (Import("a", "b"), Import("c")))
    stored = Diagnostic(
        code="FAL301",
        name="name",
        message="message",
        line=2,
        column=1,
        end_line=3,
        end_column=0,
        fix=fix,
        path="p.py",
        start_offset=5,
        secret=(1, 2),
    )
    from fastapi_lint.results import row_of

    row, details = json.loads(json.dumps([row_of(stored), cache._details_to_json(stored)]))
    made = cache._diagnostic_from_json(row, details, "p.py")
    assert vars(made) == vars(stored)  # every field, those left out of comparisons too
    assert made.fix == fix and hash(made.fix) == hash(fix)
    # The fields the cache does not hold are made with their defaults: plain ones.
    unstored = [f for f in dataclasses.fields(Diagnostic) if f.name in cache._UNSTORED]
    assert all(f.default is not dataclasses.MISSING for f in unstored)


def test_a_file_given_the_same_size_and_mtime_is_read_again(tmp_path, monkeypatch):
    """`cp -p`, `touch -r` or an unpacked archive can give a new content the old size and
    modification time: the stamp also holds the change time and the inode, as git's does."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\n")
    path = tmp_path / "a.py"
    path.write_text("def f(x=[]):\n    return x\n", encoding="utf-8")
    os.utime(path, (1_700_000_000, 1_700_000_000))

    def concise() -> str:  # (an output needing no text: results are taken unread)
        return CliRunner().invoke(main, ["check", "--output-format", "concise", "a.py"]).output

    assert "FAL301" in concise()
    assert "FAL301" in concise()  # from the cache, unread
    status = path.stat()
    replacement = tmp_path / "b.py.new"
    replacement.write_text("def f(x=()):\n    return x\n", encoding="utf-8")
    os.utime(replacement, ns=(status.st_atime_ns, status.st_mtime_ns))
    os.replace(replacement, path)  # as `cp -p` through a temporary file: same size and mtime
    assert (path.stat().st_size, path.stat().st_mtime_ns) == (status.st_size, status.st_mtime_ns)
    assert "FAL301" not in concise()


def test_the_text_of_results_taken_unread_is_that_of_their_content(tmp_path):
    """An output reading the text later (full's frames, fingerprints) gets none if the file
    changed since the results were found: their positions and secrets' spans are of the old
    content (a frame of the new one could show a secret unmasked)."""
    from fastapi_lint.checking import TextOf

    path = tmp_path / "settings.py"
    path.write_bytes(b'KEY = "value"\n')
    text = TextOf(path, cache.content_hash(path.read_bytes()))
    assert text() == 'KEY = "value"\n'
    path.write_bytes(b'# a longer first line\nKEY = "value"\n')
    assert text() == ""
    path.unlink()
    assert text() == ""


def test_absurdly_nested_cache_files_are_ignored(tmp_path, monkeypatch):
    """json.loads raises RecursionError, not ValueError, on deep nesting: the cache never fails
    a run, whatever its files hold."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\n")
    write(tmp_path / "a.py", "def f(x=[]):\n    return x\n")
    cold = check()
    folder = tmp_path / ".fastapi_lint_cache"
    stored = sorted(folder.glob("*.json"))
    assert stored
    for path in stored:
        path.write_text("[" * 200_000 + "]" * 200_000 + "\n", encoding="utf-8")
    assert check() == cold


def _aged(root: Path) -> None:
    """Older than the "too fresh to trust its modification time" window: taken unread."""
    an_hour_ago = time.time() - 3600
    for path in root.rglob("*"):
        if path.is_file() and ".fastapi_lint_cache" not in path.parts:
            os.utime(path, (an_hour_ago, an_hour_ago))


def test_a_warm_concise_run_makes_no_diagnostic_of_cached_results(demo, monkeypatch):
    """Concise output takes cached findings as rows (results.py): no `Diagnostic` is made of
    them, and the output is the cold run's, byte for byte."""
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    _aged(demo)
    runner = CliRunner()
    real = cache._diagnostic_from_json

    def made(*args):
        raise AssertionError("a cached diagnostic was made")

    for extra in ([], ["--quiet"], ["--unsafe-fixes"]):
        cold = runner.invoke(main, ["check", ".", "--no-cache", *extra])
        runner.invoke(main, ["check", ".", *extra])
        monkeypatch.setattr(cache, "_diagnostic_from_json", made)
        warm = runner.invoke(main, ["check", ".", *extra])
        monkeypatch.setattr(cache, "_diagnostic_from_json", real)
        assert (warm.output, warm.exit_code) == (cold.output, cold.exit_code), extra
        assert "FAL" in warm.output


@pytest.mark.parametrize(
    "extra",
    [[], ["--quiet"], ["--unsafe-fixes"], ["--statistics"], ["--exit-zero"]],
    ids=["plain", "quiet", "unsafe-fixes", "statistics", "exit-zero"],
)
def test_warm_runs_equal_cold_runs_in_every_format(demo, monkeypatch, extra):
    _aged(demo)
    runner = CliRunner()
    runner.invoke(main, ["check", "."])  # the cache is the same for every output
    for output_format in ("concise", "full", "json", "json-lines", "sarif", "github", "junit"):
        args = ["check", ".", "--output-format", output_format, *extra]
        cold = runner.invoke(main, [*args, "--no-cache"])
        warm = runner.invoke(main, args)
        assert warm.output == cold.output, output_format
        assert warm.exit_code == cold.exit_code, output_format


def test_per_file_ignores_apply_to_cached_rows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(
        tmp_path / "pyproject.toml",
        '[tool.fastapi-lint]\nper-file-ignores = { "a.py" = ["FAL3"] }\n',
    )
    write(tmp_path / "a.py", "def f(x=[]):\n    return x\n\n\nasync def g():\n    open('x')\n")
    write(tmp_path / "b.py", "def f(x=[]):\n    return x\n")
    _aged(tmp_path)
    cold = CliRunner().invoke(main, ["check", "."]).output
    assert "b.py:1:" in cold and "a.py:1:" not in cold
    assert CliRunner().invoke(main, ["check", "."]).output == cold
    assert CliRunner().invoke(main, ["check", "."]).output == cold


_NOQA_FILES = {
    # a line noqa, a listed code, another linter's twin (B006), a noqa in a string (not a
    # comment), a noqa after a multi-line string, and a finding per-file-ignores silence on top
    "lines.py": '''\
        import time

        NOTE = "# noqa"


        def f(x=[]):  # noqa
            return x


        def g(x={}):  # noqa: FAL301
            return x


        def h(x=[]):  # noqa: B006
            return x


        def k(x=[]):  # noqa: FAL999
            return x


        async def slow():
            time.sleep(1)
            time.sleep(int("""
                2
            """))  # noqa: FAL201
        ''',
    # a file-level noqa for one code
    "whole.py": """\
        # fastapi-lint: noqa: FAL301
        import time


        def f(x=[]):
            return x


        async def slow():
            time.sleep(1)
        """,
    "plain.py": "def f(x=[]):\n    return x\n",
}


def _noqa_project(root: Path) -> None:
    write(
        root / "pyproject.toml",
        '[tool.fastapi-lint]\nper-file-ignores = { "whole.py" = ["FAL2"] }\n',
    )
    for name, text in _NOQA_FILES.items():
        write(root / name, text)
    _aged(root)


def test_a_warm_run_serves_files_with_noqa_comments_unread(tmp_path, monkeypatch):
    """What a file's noqa comments silence is cached with its results: a warm run neither
    reads nor tokenizes it, and says what a cold run says (silenced counts included)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")  # reads are seen in this process
    _noqa_project(tmp_path)
    runner = CliRunner()
    runner.invoke(main, ["check", "."])
    read: list[str] = []
    real_read = Path.read_bytes

    def recording(self):
        read.append(self.name)
        return real_read(self)

    for extra in ([], ["--statistics"], ["--quiet"], ["--exit-zero"]):  # (outputs of rows)
        cold = runner.invoke(main, ["check", ".", "--no-cache", *extra])
        monkeypatch.setattr(Path, "read_bytes", recording)
        warm = runner.invoke(main, ["check", ".", *extra])
        monkeypatch.setattr(Path, "read_bytes", real_read)
        assert (warm.output, warm.exit_code) == (cold.output, cold.exit_code), extra
        assert not {"lines.py", "whole.py"} & set(read), (extra, read)
    assert "FAL301" in cold.output


@pytest.mark.parametrize("extra", [[], ["--statistics"], ["--unsafe-fixes"]])
def test_warm_runs_of_files_with_noqa_comments_equal_cold_runs(tmp_path, monkeypatch, extra):
    monkeypatch.chdir(tmp_path)
    _noqa_project(tmp_path)
    runner = CliRunner()
    runner.invoke(main, ["check", "."])
    for output_format in ("concise", "full", "json", "json-lines", "sarif", "github", "junit"):
        args = ["check", ".", "--output-format", output_format, *extra]
        cold = runner.invoke(main, [*args, "--no-cache"])
        warm = runner.invoke(main, args)
        assert (warm.output, warm.exit_code) == (cold.output, cold.exit_code), output_format


def test_an_edit_of_one_file_rewrites_a_small_part_of_the_results(tmp_path, monkeypatch):
    """The results are spread over shards: an edit rewrites the one of the file edited."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\n")
    for number in range(40):
        write(tmp_path / f"m{number}.py", f"def f{number}(x=[]):\n    return x\n")
    cold = check()
    folder = tmp_path / ".fastapi_lint_cache"
    stored = sum(path.stat().st_size for path in folder.glob("results-*.json"))
    written: list[int] = []
    real_write = cache._write_bytes

    def recording(path, data):
        if path.name.startswith("results-"):
            written.append(sum(map(len, [data] if isinstance(data, bytes) else data)))
        real_write(path, data)

    monkeypatch.setattr(cache, "_write_bytes", recording)
    write(tmp_path / "m7.py", "def f7(x={}):\n    return x\n")
    warm = check()
    assert warm != cold and check("--no-cache") == warm
    assert written and sum(written) * 4 < stored, (written, stored)
