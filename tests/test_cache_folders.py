"""Where the caches live, how they stay bounded, and what a warm pre-commit run reads."""

from __future__ import annotations

import collections
import json
import marshal
import os
import textwrap
import time
import zlib
from pathlib import Path

from click.testing import CliRunner

from fastapi_lint import cache, checking, pipeline
from fastapi_lint.cli import main

AN_HOUR_AGO = time.time() - 3600
BASE = "from pydantic import BaseModel\n\n\nclass Base(BaseModel):\n    pass\n"


def write(path: Path, text: str, *, old: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    if old:  # older than the "too fresh to trust its modification time" window
        os.utime(path, (AN_HOUR_AGO, AN_HOUR_AGO))


def check(*args: str) -> list[tuple[str, str]]:
    result = CliRunner().invoke(main, ["check", "--output-format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return sorted((item["filename"], item["code"]) for item in json.loads(result.output))


def entries(folder: Path, kind: str) -> dict:
    if kind == "results":  # shards: a header line describing each entry, then their texts
        found = {}
        for path in folder.glob(f"{kind}-*.json"):
            found.update(json.loads(path.read_bytes().partition(b"\n")[0])["entries"])
        return found
    [path] = folder.glob(f"{kind}-*.json")
    if kind == "index":  # a header line with each module's entry, then the facts
        return json.loads(path.read_text().partition("\n")[0])["modules"]
    return json.loads(path.read_text())["entries"]


def test_files_of_no_project_are_cached_in_the_current_folder(tmp_path, monkeypatch):
    work = tmp_path / "loose"
    write(work / "a.py", "def f(x=[]):\n    return x\n")
    monkeypatch.chdir(work)
    linted: list[str] = []
    real_check = pipeline.check

    def counting(item, *args, **kwargs):
        if kwargs.get("cached") is None:
            linted.append(item.path.name)
        return real_check(item, *args, **kwargs)

    monkeypatch.setattr(pipeline, "check", counting)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    cold = check("a.py")
    folder = work / cache.CACHE_DIR
    assert folder.is_dir()
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"  # it ignores itself
    assert (
        (folder / "CACHEDIR.TAG")
        .read_text()
        .startswith("Signature: 8a477f597d28d172789f06886806bc55")
    )
    assert linted == ["a.py"]
    linted.clear()
    assert check("a.py") == cold == [("a.py", "FAL301")]
    assert linted == [], "a warm run of an unchanged loose file linted it again"


def test_an_existing_project_cache_gets_the_cache_markers(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\n")
    write(tmp_path / "a.py", "x = 1\n")
    (tmp_path / cache.CACHE_DIR).mkdir()  # left by an older version: no markers
    check(".")
    assert (tmp_path / cache.CACHE_DIR / ".gitignore").is_file()
    assert (tmp_path / cache.CACHE_DIR / "CACHEDIR.TAG").is_file()


def _two_projects(tmp_path: Path) -> tuple[Path, Path]:
    first, second = tmp_path / "one", tmp_path / "two"
    for project in (first, second):
        write(project / "pyproject.toml", "[tool.fastapi-lint]\n")
        write(project / "app" / "__init__.py", "")
        write(project / "app" / "m.py", "def f(x=[]):\n    return x\n")
    return first, second


def _project_folders(shared: Path) -> list[Path]:
    return sorted(path for path in shared.iterdir() if path.is_dir())


def test_the_environment_names_a_shared_folder_with_one_folder_per_project(tmp_path, monkeypatch):
    first, second = _two_projects(tmp_path)
    shared = tmp_path / "shared"
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(shared))
    monkeypatch.chdir(tmp_path)
    assert check("one", "two") == [
        (str(Path("one/app/m.py")), "FAL301"),
        (str(Path("two/app/m.py")), "FAL301"),
    ]
    assert not (first / cache.CACHE_DIR).exists() and not (second / cache.CACHE_DIR).exists()
    folders = _project_folders(shared)
    assert len(folders) == 2  # same module names, never the same entries
    for folder in folders:
        assert list(entries(folder, "index")) == ["app/__init__.py", "app/m.py"]
        assert (folder / ".gitignore").is_file()


def test_the_option_beats_the_setting_which_beats_the_environment(tmp_path, monkeypatch):
    project = tmp_path / "project"
    write(project / "pyproject.toml", '[tool.fastapi-lint]\ncache-dir = "../from-setting"\n')
    write(project / "a.py", "x = 1\n")
    monkeypatch.chdir(project)
    monkeypatch.setenv(cache.CACHE_DIR_ENV, str(tmp_path / "from-env"))
    check(".")
    assert len(_project_folders(tmp_path / "from-setting")) == 1  # relative to the file
    assert not (tmp_path / "from-env").exists()
    check(".", "--cache-dir", str(tmp_path / "from-option"))
    assert len(_project_folders(tmp_path / "from-option")) == 1
    write(project / "pyproject.toml", "[tool.fastapi-lint]\n")
    check(".")
    assert len(_project_folders(tmp_path / "from-env")) == 1
    assert not (project / cache.CACHE_DIR).exists()
    check(".", "--no-cache", "--cache-dir", str(tmp_path / "unused"))
    assert not (tmp_path / "unused").exists()


def test_a_cache_dir_that_is_not_a_string_is_a_config_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\ncache-dir = 3\n")
    write(tmp_path / "a.py", "x = 1\n")
    result = CliRunner().invoke(main, ["check", "."])
    assert result.exit_code == 2
    assert "`cache-dir` must be a folder path" in result.output


def _checked_project(tmp_path: Path, monkeypatch, files: dict[str, str]) -> Path:
    """A project of `files`, checked once (cwd: the project): its cache folder."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\n")
    for name, text in files.items():
        write(tmp_path / name, text)
    check(".")
    return tmp_path / cache.CACHE_DIR


def test_entries_of_deleted_files_are_dropped(tmp_path, monkeypatch):
    files = {"gone.py": "def f(x=[]):\n    return x\n", "kept.py": "def g(x={}):\n    return x\n"}
    folder = _checked_project(tmp_path, monkeypatch, files)
    assert set(entries(folder, "index")) == set(entries(folder, "results")) == set(files)
    (tmp_path / "gone.py").unlink()
    write(tmp_path / "kept.py", "def g(x=set()):\n    return x\n")  # the cache is written
    check(".")
    assert set(entries(folder, "index")) == set(entries(folder, "results")) == {"kept.py"}


def test_entries_no_run_used_for_a_while_are_dropped(tmp_path, monkeypatch):
    monkeypatch.setattr(cache, "IDLE_SAVES", 2)
    folder = _checked_project(tmp_path, monkeypatch, {"a.py": "x = 0\n", "b.py": "y = 0\n"})
    for number in range(1, 3):  # runs on a.py alone: b.py's results are not used
        write(tmp_path / "a.py", f"x = {number}\n")
        check("a.py")
    assert set(entries(folder, "results")) == {"a.py"}
    assert set(entries(folder, "index")) == {"a.py", "b.py"}  # every run indexes b.py


def _shard_of(path: str) -> int:
    return zlib.crc32(path.encode()) % cache.RESULT_SHARDS


def _old_project(tmp_path: Path, monkeypatch, names: list[str]) -> Path:
    """A project of `names` (old files: their stamps hold), checked once: its cache folder."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\n", old=True)
    for name in names:
        write(tmp_path / name, "def f(x=[]):\n    return x\n", old=True)
    check(".")
    return tmp_path / cache.CACHE_DIR


def test_an_entry_a_run_used_is_kept_whichever_shards_the_run_wrote(tmp_path, monkeypatch):
    """Runs that write one shard (the edited file's) and use every entry, then one that uses
    one entry: the others were used within the window, so they are kept."""
    monkeypatch.setattr(cache, "IDLE_SAVES", 3)
    names = [f"m{number}.py" for number in range(12)]
    folder = _old_project(tmp_path, monkeypatch, names)
    for number in range(5):
        write(tmp_path / "m0.py", f"def f(x=[]):\n    return x\n# {number}\n", old=True)
        check(".")
    write(tmp_path / "m0.py", "def f(x=[]):\n    return x\n# pre-commit\n", old=True)
    check("m0.py")
    assert set(entries(folder, "results")) == set(names)


def test_the_uses_of_a_run_that_changed_no_entry_are_recorded(tmp_path, monkeypatch):
    """Pre-commit runs on one file, each followed by a run on all that only finds entries."""
    monkeypatch.setattr(cache, "IDLE_SAVES", 3)
    names = [f"m{number}.py" for number in range(12)]
    folder = _old_project(tmp_path, monkeypatch, names)
    for number in range(5):
        write(tmp_path / "m0.py", f"def f(x=[]):\n    return x\n# {number}\n", old=True)
        check("m0.py")
        assert set(entries(folder, "results")) == set(names), number
        check(".")


def test_a_run_on_one_file_reads_and_writes_its_shard_alone(tmp_path, monkeypatch):
    """The other shards are neither read nor rewritten (their uses are kept apart); the entry
    of a deleted file is still dropped, though its shard is another."""
    names = [f"m{number}.py" for number in range(12)]
    folder = _old_project(tmp_path, monkeypatch, names)
    [deleted] = [name for name in names if _shard_of(name) != _shard_of("m0.py")][:1]
    (tmp_path / deleted).unlink()
    check(".")  # (uses every remaining entry, drops the deleted file's)
    read: list[str] = []
    written: list[str] = []
    real_read, real_write = cache._Shard._read, cache._write_bytes

    def reading(shard, path):
        read.append(path.name)
        return real_read(shard, path)

    def writing(path, data):
        written.append(path.name)
        real_write(path, data)

    monkeypatch.setattr(cache._Shard, "_read", reading)
    monkeypatch.setattr(cache, "_write_bytes", writing)
    write(tmp_path / "m0.py", "def f(x={}):\n    return x\n", old=True)
    assert check("m0.py") == [("m0.py", "FAL301")]
    shard = f"-{_shard_of('m0.py'):02}.json"
    assert len(read) == 1 and read[0].endswith(shard), read
    assert [name for name in written if name.startswith("results-")] == [read[0]]
    assert set(entries(folder, "results")) == set(names) - {deleted}


def test_an_entry_of_a_file_deleted_is_dropped_by_a_run_on_another(tmp_path, monkeypatch):
    names = [f"m{number}.py" for number in range(12)]
    folder = _old_project(tmp_path, monkeypatch, names)
    [deleted] = [name for name in names if _shard_of(name) != _shard_of("m0.py")][:1]
    (tmp_path / deleted).unlink()
    write(tmp_path / "m0.py", "def f(x={}):\n    return x\n", old=True)
    check("m0.py")
    assert set(entries(folder, "results")) == set(names) - {deleted}


def test_files_of_an_older_format_of_this_version_are_removed(tmp_path, monkeypatch):
    """Results, uses and index files once idle, and a killed write's leftover; not those of
    another version: two installed versions must not delete each other's."""
    folder = _old_project(tmp_path, monkeypatch, ["a.py"])
    version, facts, results = cache.__version__, cache.FACTS_FORMAT, cache.RESULTS_FORMAT
    older = [
        f"results-{version}-{facts}-{results - 1}.json",  # a single file, before the shards
        f"results-{version}-{facts}-{results - 1}-03.json",
        f"results-{version}-{facts - 1}-{results}-03.json",
        f"used-{version}-{facts}-{results - 1}.json",
        f"results-{version}-{facts - 1}.json",  # before the results format was in the name
        f"index-{version}-{facts - 1}.json",
        f"index-{version}-{facts - 1}.json.journal",
        "tmpk2x9_a1b.tmp",  # a write a killed run left
    ]
    others = [
        f"results-{version}1-{facts}-{results - 1}.json",
        f"results-9.9.9-{facts}-{results - 1}-03.json",
        f"results-{version}-{facts}-{results + 1}-03.json",  # (newer: not this code's to drop)
        f"index-{version}-{facts + 1}.json",
        f"index-9.9.9-{facts - 1}.json",
        f"fallback-{version}-py39.json",  # (another Python's: it may run again)
    ]
    current = sorted(path.name for path in folder.iterdir())
    assert f"index-{version}-{facts}.json" in current
    for name in older + others:
        (folder / name).write_text("{}\n")
    written = {name: (folder / name).stat().st_mtime for name in older}
    idle = time.time() - cache.FORMAT_IDLE_SECONDS - 60
    for name in older[1:]:
        os.utime(folder / name, (idle, idle))
    for name in others:
        os.utime(folder / name, (idle, idle))
    # Written lately, in a format this code still reads: kept whatever the run.
    write(folder / "another.py.1234.tmp", "", old=False)
    write(tmp_path / "a.py", "def f(x={}):\n    return x\n", old=True)
    check(".")
    left = sorted(path.name for path in folder.iterdir())
    # The older format still written lately may be another build's of the same version (a
    # pre-commit hook pinned to an older commit): kept until it is idle.
    assert left == sorted([*current, *others, older[0], "another.py.1234.tmp"])
    assert (folder / older[0]).stat().st_mtime == written[older[0]]


def test_a_damaged_uses_file_is_ignored(tmp_path, monkeypatch):
    """A path with a NUL in it made `os.scandir` raise ValueError: every writing run failed."""
    folder = _old_project(tmp_path, monkeypatch, ["a.py", "b.py"])
    [uses] = folder.glob("used-*.json")
    data = json.loads(uses.read_text())
    data["used"]["bad\u0000dir/x.py"] = data["generation"] - 1
    data["used"]["\ud800x/y.py"] = data["generation"] - 1  # (UnicodeEncodeError)
    uses.write_text(json.dumps(data))
    write(tmp_path / "a.py", "def f(x=[]):\n    return x\n# edited\n")
    assert ("a.py", "FAL301") in check(".")


def _with_crc(data: bytes) -> bytes:
    """Rows as the results cache stores them: the CRC-32 of the marshal data, then it."""
    return zlib.crc32(data).to_bytes(4, "little") + data


def _large_project(tmp_path: Path, modules: int = 40) -> list[str]:
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\n", old=True)
    write(tmp_path / "app" / "__init__.py", "", old=True)
    # Not Pydantic (a module that does not exist), as long as its Pydantic twin below.
    write(tmp_path / "app" / "base.py", BASE.replace("pydantic", "pydantix"), old=True)
    names = []
    for number in range(modules):
        write(
            tmp_path / "app" / f"m{number}.py",
            f"from app.base import Base\n\n\nclass M{number}(Base):\n    tags: list = []\n",
            old=True,
        )
        names.append(f"app/m{number}.py")
    return names


def _count_reads(monkeypatch) -> tuple[list[str], list[str]]:
    loaded: list[str] = []
    parsed: list[str] = []
    real_load, real_parse = pipeline.load, pipeline.parse

    def counting_load(path, *args, **kwargs):
        loaded.append(path.name)
        return real_load(path, *args, **kwargs)

    def counting_parse(text, filename="<unknown>", *args, **kwargs):
        parsed.append(Path(filename).name)
        return real_parse(text, filename, *args, **kwargs)

    monkeypatch.setattr(pipeline, "load", counting_load)
    monkeypatch.setattr(checking, "load", counting_load)  # a file read after all (see Loaded)
    monkeypatch.setattr(pipeline, "parse", counting_parse)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    return loaded, parsed


def test_a_warm_pre_commit_run_reads_only_its_files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    names = _large_project(tmp_path)
    loaded, parsed = _count_reads(monkeypatch)
    assert check(".") == []
    assert len(loaded) == len(names) + 2
    loaded.clear()
    parsed.clear()
    resolved: list[Path] = []
    real_resolve = Path.resolve

    def counting_resolve(path, *args, **kwargs):
        resolved.append(path)
        return real_resolve(path, *args, **kwargs)

    monkeypatch.setattr(Path, "resolve", counting_resolve)
    assert check(*names[:3]) == []
    # Read for the final edits JSON shows (see the next test for a run that needs no text).
    assert sorted(loaded) == ["m0.py", "m1.py", "m2.py"]
    assert parsed == []  # their results come from the cache too
    # Resolving costs a system call per folder of the path: the walk finds each module of the
    # project from its folder's resolved path, its excludes included, and resolves none.
    others = [path.name for path in resolved if path.name not in ("m0.py", "m1.py", "m2.py")]
    walked = collections.Counter(name for name in others if name.endswith(".py"))
    assert not walked, walked


def test_a_changed_module_is_read_again_though_its_size_is_the_same(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    names = _large_project(tmp_path)
    loaded, _ = _count_reads(monkeypatch)
    check(".")
    # Same size, new content and modification time: Base becomes a Pydantic model.
    base = tmp_path / "app" / "base.py"
    before = base.stat().st_size
    write(base, BASE)
    assert base.stat().st_size == before
    loaded.clear()
    assert check(*names[:3]) == [(str(Path(name)), "FAL302") for name in names[:3]]
    assert sorted(loaded) == ["base.py", "m0.py", "m1.py", "m2.py"]


def test_the_flake8_plugin_keeps_its_index_in_the_configured_folder(tmp_path, monkeypatch):
    from fastapi_lint import flake8_plugin, parsing

    monkeypatch.setattr(parsing, "fallback_cache", parsing.NO_CACHE)
    project = tmp_path / "project"
    write(project / "pyproject.toml", '[tool.fastapi-lint]\ncache-dir = "../shared"\n')
    write(project / "app.py", "x = 1\n")
    flake8_plugin._linter(flake8_plugin._PROJECTS.project_of((project / "app.py").resolve()))
    [folder] = _project_folders(tmp_path / "shared")
    assert list(entries(folder, "index")) == ["app.py"]
    assert not (project / cache.CACHE_DIR).exists()


def _concise(*args: str) -> str:
    result = CliRunner().invoke(main, ["check", "--output-format", "concise", *args])
    assert result.exit_code in (0, 1), result.output
    return result.output


def _count_file_reads(monkeypatch) -> list[str]:
    """The .py files whose bytes are read (a check's load, or an output asking for the text)."""
    read: list[str] = []
    real_read_bytes = Path.read_bytes

    def counting(path: Path) -> bytes:
        if path.suffix == ".py":
            read.append(path.name)
        return real_read_bytes(path)

    monkeypatch.setattr(Path, "read_bytes", counting)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    return read


FINDINGS = {
    "a.py": "def f(x=[]):\n    return x\n",
    "b.py": "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
    '@router.get("/")\ndef read():\n    return {"password": "hunter2hunter2"}\n',
    "c.py": "x = 1\n",
}


def test_a_warm_run_reads_no_file_whose_stamp_is_unchanged(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\n", old=True)
    for name, text in FINDINGS.items():
        write(tmp_path / name, text, old=True)
    read = _count_file_reads(monkeypatch)
    cold = _concise(".")
    assert "FAL301" in cold
    assert sorted(read) == ["a.py", "b.py", "c.py"]
    read.clear()
    assert _concise(".") == cold
    assert read == []  # the stamps vouch for the cached results: no file is opened
    full = _concise(".", "--output-format", "full")  # shows the source: read when asked for
    assert full == _concise(".", "--output-format", "full", "--no-cache")
    assert "def f(x=[]):" in full


def test_a_file_changed_with_its_size_kept_is_read_again(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\n", old=True)
    write(tmp_path / "a.py", FINDINGS["a.py"], old=True)
    read = _count_file_reads(monkeypatch)
    assert "FAL301" in _concise("a.py")
    path = tmp_path / "a.py"
    before = path.stat()
    path.write_text("def f(x=()):\n    return x\n", encoding="utf-8")  # same size
    os.utime(path, (AN_HOUR_AGO + 60, AN_HOUR_AGO + 60))  # another time, old enough to trust
    assert path.stat().st_size == before.st_size
    assert path.stat().st_mtime_ns != before.st_mtime_ns
    read.clear()
    assert "FAL301" not in _concise("a.py")
    assert read == ["a.py"]


def test_a_file_with_a_noqa_comment_is_not_read_for_its_suppressions(tmp_path, monkeypatch):
    """The cache keeps which findings a file's comments silence (tests/test_cache.py)."""
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\n", old=True)
    write(tmp_path / "a.py", "def f(x=[]):  # noqa: FAL301\n    return x\n", old=True)
    write(tmp_path / "b.py", FINDINGS["a.py"], old=True)
    read = _count_file_reads(monkeypatch)
    cold = _concise(".")
    assert "a.py" not in cold and "b.py:1:" in cold
    read.clear()
    assert _concise(".") == cold
    assert read == []


def _replaced(head: bytes, body: bytes, part: int, text: bytes) -> bytes:
    """A results file whose every entry has `text` as its part `part` (0 rows, 1 details)."""
    header = json.loads(head)  # each entry's key, digest, stamp, ..., where its parts lie
    parts = []
    for fields in header["entries"].values():
        spans = fields[-4:]  # rows, details, queries: body[spans[n]:spans[n + 1]]
        texts = [body[spans[n] : spans[n + 1]] for n in range(3)]
        texts[part] = text
        offset = sum(map(len, parts))
        fields[-4:] = [offset + sum(map(len, texts[:n])) for n in range(4)]
        parts += texts
    return json.dumps(header).encode() + b"\n" + b"".join(parts)


def test_a_garbage_results_entry_is_a_miss(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\n", old=True)
    for name, text in FINDINGS.items():
        write(tmp_path / name, text, old=True)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    cold = _concise(".")
    cold_json = check(".")
    shards = {  # the results files, each a header line and a body
        path: path.read_bytes().partition(b"\n")[::2]
        for path in (tmp_path / cache.CACHE_DIR).glob("results-*.json")
    }
    assert shards
    good = marshal.dumps([(1, 0, "FAL301", "", "message")])
    flipped = bytearray(good)
    flipped[1:5] = (2**31 - 1).to_bytes(4, "little")  # a list claiming 2**31 rows: gigabytes
    rows = [  # concise output reads the rows alone (a CRC-32, then marshal's format)
        b"not marshal",
        b"",
        _with_crc(good[:-3]),  # cut short
        _with_crc(good)[:4] + bytes(flipped),  # damaged after the CRC was taken
        _with_crc(marshal.dumps([("1", 0, "FAL301", "", "message")])),  # a line that is text
        _with_crc(marshal.dumps([(1, -1, "FAL301", "", "message")])),  # a negative column
        _with_crc(marshal.dumps([(0, 0, "FAL301", "", "message")])),  # line 0
        _with_crc(marshal.dumps([(1, 0, "FAL301", "always", "message")])),  # no such fix
        _with_crc(marshal.dumps([(1, 0, "FAL301", [], "message")])),
        _with_crc(marshal.dumps([(1, 0, 301, "", "message")])),
        _with_crc(marshal.dumps([(1, 0, "FAL301", "")])),
        _with_crc(marshal.dumps([(1, 0, "FAL301", "", b"message")])),  # bytes, not text
        _with_crc(marshal.dumps([{1: "x", 0: "y", "FAL301": 0, "": 0, "m": 0}])),  # it unpacks
        _with_crc(marshal.dumps([[1, 0, "FAL301", "", "message"]])),  # a list, not a tuple
        _with_crc(marshal.dumps({"FAL301": 1})),
        _with_crc(marshal.dumps(((1, 0, "FAL301", "", "message"),))),  # a tuple, not a list
    ]
    for bad in rows:
        for path, (head, body) in shards.items():
            path.write_bytes(_replaced(head, body, 0, bad))
        assert _concise(".") == cold, bad
    details = [  # the other outputs make whole diagnostics: rows and details
        b"not json",
        b"[]",  # fewer details than rows
        b"[[7, 1, 4, 0, null, null]]",  # a name that is a number
        b'[["n", 1, 4, 0, [9, 2], null]]',  # a secret ends before it starts
        b'[["n", 1, 4, 0, null, ["t", [[5, 1, "x"]], []]]]',  # an edit that ends before it starts
    ]
    for bad in details:
        for path, (head, body) in shards.items():
            path.write_bytes(_replaced(head, body, 1, bad))
        assert check(".") == cold_json, bad
    # header fields no write makes: a stamp; positions silenced by comments out of range, not
    # ascending, not numbers
    for field, bad in ((2, "a stamp"), (4, [99]), (4, [0, 0]), (4, ["0"]), (4, False)):
        for path, (head, body) in shards.items():
            header = json.loads(head)
            for fields in header["entries"].values():
                fields[field] = bad
            path.write_bytes(json.dumps(header).encode() + b"\n" + body)
        assert _concise(".") == cold, bad
        assert check(".") == cold_json, bad


def test_per_file_ignores_apply_to_results_taken_unread(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = '[tool.fastapi-lint]\nper-file-ignores = { "a.py" = ["FAL301"] }\n'
    write(tmp_path / "pyproject.toml", settings, old=True)
    write(tmp_path / "a.py", FINDINGS["a.py"], old=True)
    write(tmp_path / "b.py", FINDINGS["a.py"], old=True)
    read = _count_file_reads(monkeypatch)
    cold = _concise(".")
    assert "b.py:1:" in cold and "a.py" not in cold
    read.clear()
    assert _concise(".") == cold
    assert read == []
