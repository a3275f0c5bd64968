"""The index cache decodes a module's facts when first used, and never fails a run."""

from __future__ import annotations

import json
import os
import pickle
import textwrap
import time
from pathlib import Path

from click.testing import CliRunner

from fastapi_lint import cache, pipeline
from fastapi_lint.cli import main
from fastapi_lint.projects import Projects
from fastapi_lint.semantic.facts import LazyFacts, ModuleFacts

AN_HOUR_AGO = time.time() - 3600
BASE = "from pydantic import BaseModel\n\n\nclass Base(BaseModel):\n    pass\n"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    os.utime(path, (AN_HOUR_AGO, AN_HOUR_AGO))  # old enough to be found by its stamp


def project(tmp_path: Path, modules: int = 12) -> list[str]:
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\n")
    write(tmp_path / "app" / "__init__.py", "from app.base import *\n")
    write(tmp_path / "app" / "base.py", BASE)
    names = []
    for number in range(modules):
        write(
            tmp_path / "app" / f"m{number}.py",
            f"from app import Base\n\n\nclass M{number}(Base):\n    tags: list = []\n",
        )
        names.append(f"app/m{number}.py")
    return names


def check(*args: str) -> list[tuple[str, str]]:
    result = CliRunner().invoke(main, ["check", "--output-format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return sorted((item["filename"], item["code"]) for item in json.loads(result.output))


def count_decodes(monkeypatch) -> list[str]:
    """The modules whose facts are decoded from now on, in order."""
    decoded: list[str] = []
    real = ModuleFacts.from_json.__func__

    def counting(cls, data):
        decoded.append(data["module"])
        return real(cls, data)

    monkeypatch.setattr(ModuleFacts, "from_json", classmethod(counting))
    return decoded


def index_of(tmp_path: Path, files: list[str]):
    """The project index a run on `files` assembles, in this process."""
    projects = Projects()
    own = projects.project_at(tmp_path.resolve())
    folder = cache.cache_folder(own.root, None)
    made = pipeline.plan(own, projects, [tmp_path / name for name in files], folder, 10**7)
    index, _, _ = pipeline.build_index(made)
    return index


def test_a_warm_run_on_a_few_files_decodes_only_their_facts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    names = project(tmp_path)
    cold = check(".")
    assert cold == sorted((str(Path(name)), "FAL302") for name in names)
    decoded = count_decodes(monkeypatch)
    assert check(*names[:2]) == cold[:2]
    # Their results are cached: only the star import of `app` is expanded (its facts, and
    # those of the module it star-imports), the other modules' facts are never needed.
    assert sorted(decoded) == ["app", "app.base"]


def test_lazily_decoded_facts_give_the_same_index(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    names = project(tmp_path)
    cold = index_of(tmp_path, names[:1])  # every module read and extracted
    warm = index_of(tmp_path, names[:1])  # every module found by its stamp
    lazy = [facts for facts in warm.modules.values() if type(facts) is LazyFacts]
    assert len(lazy) >= len(names)  # only the checked file was read
    assert warm.digest == cold.digest
    assert warm.modules.keys() == cold.modules.keys()
    for name, facts in warm.modules.items():
        assert facts.to_json() == cold.modules[name].to_json(), name
        assert type(facts) is ModuleFacts  # decoded: a plain ModuleFacts from then on
    # The star import of the package was expanded without decoding what it did not need.
    assert warm.modules["app"].bindings["Base"] == "app.base.Base"


def test_lazy_facts_pickle_as_plain_facts(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    names = project(tmp_path)
    index_of(tmp_path, names[:1])
    warm = index_of(tmp_path, names[:1])
    copy = pickle.loads(pickle.dumps(warm))
    for name, facts in copy.modules.items():
        assert type(facts) is ModuleFacts
        assert facts == warm.modules[name]


def test_a_damaged_entry_is_a_miss_not_a_crash(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    names = project(tmp_path)
    cold = check(".")
    [stored] = (tmp_path / cache.CACHE_DIR).glob("index-*.json")
    head, _, body = stored.read_bytes().partition(b"\n")
    heads = json.loads(head)["modules"]
    start, end = heads["app/base.py"][5:7]
    # Same length, not JSON: the header still points at it.
    stored.write_bytes(head + b"\n" + body[:start] + b"!" * (end - start) + body[end:])
    index = index_of(tmp_path, names[:1])
    assert index.class_kinds("app.base.Base")  # read from the file again: still a model
    assert check(".") == cold
    # The run that found it damaged dropped it; the next one stores the facts anew.
    assert "app/base.py" not in json.loads(stored.read_bytes().partition(b"\n")[0])["modules"]
    assert check(".") == cold
    head, _, body = stored.read_bytes().partition(b"\n")
    start, end = json.loads(head)["modules"]["app/base.py"][5:7]
    assert json.loads(body[start:end])["module"] == "app.base"
    # Entries of the wrong shape, or holding the wrong kinds of values, are misses alone.
    heads["app/base.py"] = ["?"]
    heads["app/__init__.py"][4] = 5  # its star imports
    heads["app/m0.py"][5:7] = ["0", None]  # where its facts lie
    heads["app/m1.py"][5:7] = [-3, 10**9]
    heads["app/m2.py"][2] = "stamp"
    heads["app/m3.py"] = {"not": "a list"}
    stored.write_bytes(json.dumps({**json.loads(head), "modules": heads}).encode() + b"\n" + body)
    assert check(*names[:2]) == cold[:2]
    assert check(".") == cold
    stored.write_bytes(b"\x00garbage")
    assert check(".") == cold


def test_lazy_facts_are_the_facts_once_decoded():
    import dataclasses

    plain = ModuleFacts("app.m", "app", bindings={"x": "y.x"}, stars=["y"], exports=["x"])
    calls: list[int] = []

    def decode() -> ModuleFacts:
        calls.append(1)
        return ModuleFacts.from_json(plain.to_json())

    lazy = LazyFacts("app.m", ["y"], [], decode)
    assert (lazy.module, lazy.stars, calls) == ("app.m", ["y"], [])  # known without decoding
    lazy.bindings = {"z": "w.z"}  # set before decoding: it wins over the stored one
    assert lazy.exports == ["x"] and calls == [1]
    assert type(lazy) is ModuleFacts and lazy.bindings == {"z": "w.z"}
    assert LazyFacts("app.m", ["y"], [], decode) == plain and calls == [1, 1]
    copy = dataclasses.replace(LazyFacts("app.m", ["y"], [], decode))
    assert type(copy) is ModuleFacts and copy == plain
    try:
        LazyFacts("app.m", [], [], decode).not_a_field  # noqa: B018
    except AttributeError:
        pass
    else:
        raise AssertionError("a name facts do not hold is no attribute")


def test_linting_a_route_decodes_no_module_for_its_included_routers(tmp_path, monkeypatch):
    """A route's default response class asks every module's `include_router` calls: they are
    known from the cache's header, so an edited route module does not decode every module."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    write(tmp_path / "pyproject.toml", "[tool.fastapi-lint]\n")
    write(tmp_path / "app" / "__init__.py", "")
    write(
        tmp_path / "app" / "main.py",
        """\
        from fastapi import FastAPI
        from fastapi.responses import ORJSONResponse

        from app.routes import router

        app = FastAPI()
        app.include_router(router, default_response_class=ORJSONResponse)
        """,
    )
    route = """\
        from fastapi import APIRouter

        router = APIRouter()


        @router.get("/items")
        async def items():
            return {"n": N}
        """
    write(tmp_path / "app" / "routes.py", route.replace("N", "1"))
    for number in range(10):
        write(tmp_path / "app" / f"other{number}.py", f"X{number} = {number}\n")
    cold = check(".")
    decoded = count_decodes(monkeypatch)
    write(tmp_path / "app" / "routes.py", route.replace("N", "2"))  # a body edit
    assert check(".") == cold
    assert not any(module.startswith("app.other") for module in decoded), decoded


def test_a_worker_s_use_of_cached_facts_is_noted_without_decoding_them(tmp_path, monkeypatch):
    """A worker found a module's facts in the index cache; the parent keeps the entry alive
    (its uses die with the worker) without decoding the facts a second time."""
    monkeypatch.chdir(tmp_path)
    names = project(tmp_path)
    check(".")
    projects = Projects()
    own = projects.project_at(tmp_path.resolve())
    made = pipeline.plan(own, projects, [], cache.cache_folder(own.root, None), 10**7)
    path = (tmp_path / names[0]).resolve()
    key = made.key(path)
    made.cache.used[key] = 0  # as if last used long ago
    decoded = count_decodes(monkeypatch)
    facts = ModuleFacts(module="app.m0", package="app")
    read = pipeline.Read(path, made.cache.entries[key][0], made.stamps[path], facts, cached=True)
    pipeline.Assembly(made).take(read, by_worker=True)
    assert decoded == []
    assert made.cache.used[key] == made.cache.generation


def _run(*args: str) -> str:
    return CliRunner().invoke(main, ["check", ".", "--output-format", "json", *args]).output


def test_an_edit_of_one_module_goes_to_the_journal(tmp_path, monkeypatch):
    """A write of few entries of a large index leaves the index file alone (a journal beside
    it holds them), and the next run finds them there without reading their modules again."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")  # extractions are counted in this process
    monkeypatch.setattr(cache, "JOURNAL_MIN", 8)
    names = project(tmp_path, modules=24)
    _run()
    [stored] = (tmp_path / cache.CACHE_DIR).glob("index-*.json")
    journal = stored.with_name(stored.name + ".journal")
    before = stored.read_bytes()

    def edit(name: str, number: int) -> None:
        text = (tmp_path / name).read_text()
        write(tmp_path / name, text + f"\n\nclass Extra{number}(Base):\n    x: dict = {{}}\n")
        os.utime(tmp_path / name, (AN_HOUR_AGO + number, AN_HOUR_AGO + number))

    edit(names[3], 1)
    assert _run() == _run("--no-cache")
    assert stored.read_bytes() == before and journal.is_file()
    extracted: list[str] = []
    real_extract = pipeline.extract

    def counting(tree, module, package):
        extracted.append(module)
        return real_extract(tree, module, package)

    monkeypatch.setattr(pipeline, "extract", counting)
    warm = _run()
    monkeypatch.setattr(pipeline, "extract", real_extract)
    assert warm == _run("--no-cache")
    assert extracted == [], "the journal's facts were not used"
    for number, name in enumerate(names[4:8], start=2):  # more than the journal holds
        edit(name, number)
    assert _run() == _run("--no-cache")
    assert stored.read_bytes() != before and not journal.exists()
    assert _run() == _run("--no-cache")


def test_a_damaged_or_foreign_journal_is_ignored(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(cache, "JOURNAL_MIN", 8)
    names = project(tmp_path, modules=24)
    cold = _run("--no-cache")
    _run()
    [stored] = (tmp_path / cache.CACHE_DIR).glob("index-*.json")
    journal = stored.with_name(stored.name + ".journal")
    header = json.loads(stored.read_bytes().partition(b"\n")[0])
    entry = header["modules"][names[0]]
    for text in (
        b"not json",
        b'{"id": "another file", "generation": 2, "used": {}, "modules": {}}\n',
        # this file's, but its entry's facts lie outside the journal
        json.dumps(
            {
                "id": header["id"],
                "generation": 2,
                "used": header["used"],
                "modules": {names[0]: [*entry[:5], 10**6, 10**6 + 5, entry[7]]},
            }
        ).encode()
        + b"\n",
    ):
        journal.write_bytes(text)
        assert _run() == cold, text


def test_facts_are_digested_only_for_a_cache_folder(tmp_path, monkeypatch):
    """The facts digest keys stored results: a run with no cache folder (`--no-cache`) stores
    none, and does not serialise and hash every module's facts for it."""
    import ast

    from fastapi_lint.semantic.facts import extract

    hashed: list[bytes] = []
    real = cache.content_hash
    monkeypatch.setattr(cache, "content_hash", lambda data: hashed.append(data) or real(data))
    facts = extract(ast.parse("from a import b\n\n\ndef f():\n    b()\n"), "m", "")
    without = cache.IndexCache(None)
    without.put("m.py", "digest", facts)
    assert hashed == []
    assert without.facts_digest("m.py") == ""
    assert without.get("m.py", "digest", "m") == facts  # the facts are still kept
    stored = cache.IndexCache(tmp_path, tmp_path)
    stored.put("m.py", "digest", facts)
    assert len(hashed) == 1
    assert stored.facts_digest("m.py") == real(hashed[0])
