"""What a cold run shares instead of redoing per file: rule handlers and options once per run,
the file model's parent links for the ORM loads, and workers that divide the work as they go
(reading the next free file, linting the files a slower worker has not reached)."""

from __future__ import annotations

import ast
import json
import os
import shutil
import sys
import time

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from fastapi_lint import cli as cli_module
from fastapi_lint import pipeline
from fastapi_lint.checking import load
from fastapi_lint.cli import main
from fastapi_lint.config import Settings
from fastapi_lint.engine import Linter
from fastapi_lint.semantic.index import ProjectIndex
from fastapi_lint.semantic.loads import OwnParents
from fastapi_lint.semantic.model import FUNCTIONS, FileModel
from harness import fixture_files

_NO_PARENT = (ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)


def test_own_parents_are_the_parents_a_walk_of_the_function_finds():
    """`FunctionLoads.parents` (the file model's links, limited to the function) answers what
    the map it made of its own nodes' children answered, for every node of every function."""
    asked = 0
    for path in fixture_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        model = FileModel(tree)
        for func in (node for node in ast.walk(tree) if isinstance(node, FUNCTIONS)):
            own = model.own_nodes(func)
            walked = {child: node for node in own for child in ast.iter_child_nodes(node)}
            parents = OwnParents(model, own)
            for node in [func, *func.body, *walked]:
                if isinstance(node, _NO_PARENT):
                    continue  # shared singletons: nobody asks their parent
                assert parents.get(node) is walked.get(node), (path, ast.dump(node)[:80])
                assert parents.get(node, func) is walked.get(node, func)
                asked += 1
    assert asked > 5_000


def test_rule_handlers_and_options_are_made_once_per_run():
    settings = Settings(select=("ALL",), pydantic_version=2)
    linter = Linter(settings, ProjectIndex())
    assert ast.FunctionDef in linter.table
    text = (
        "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
        "@router.get('/')\ndef f(x=[]): ...\n"
    )
    linter.lint("a.py", text, "a", "")
    options = dict(linter.option_values)
    assert options, "no rule asked an option"
    for key, value in options.items():
        assert value == settings.rule_option(*key)
    linter.lint("b.py", text, "b", "")
    assert linter.option_values == options  # shared by the files of the run


def test_a_failing_rule_is_switched_off_in_its_file_only(monkeypatch):
    from fastapi_lint.rules.models.mutable_argument import MutableDefaultArgument

    def failing(self, node):
        raise ValueError("boom")

    monkeypatch.setattr(MutableDefaultArgument, "visit_FunctionDef", failing)
    linter = Linter(Settings(select=("ALL",)), ProjectIndex())
    text = "def f(x=[]):\n    pass\n\n\ndef g(x=[]):\n    pass\n"
    for name in ("a", "b"):
        found = linter.lint(f"{name}.py", text, name, "").diagnostics
        assert [d.code for d in found].count("FAL002") == 1  # once per file, not per function


# -- workers ----------------------------------------------------------------------------------
def check(*args: str) -> list:
    result = CliRunner().invoke(main, ["check", "--output-format", "json", *args])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.output)


def test_a_worker_done_first_lints_what_a_slower_one_has_not_reached(demo, tmp_path, monkeypatch):
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    alone = check("--no-cache", ".")
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "2")
    borrowed = tmp_path / "borrowed"
    real_lint_shared, real_borrow = pipeline._lint_shared, pipeline.Share.borrow

    def slow_busiest_worker(share, number, todo, digests, lint):
        # The (first) worker that read the most files is the slow one.
        slow = number == max(range(len(todo)), key=lambda other: len(todo[other]))
        for report in real_lint_shared(share, number, todo, digests, lint):
            if slow:
                time.sleep(0.05)
            yield report

    def noting(share, path, digest):
        with borrowed.open("a", encoding="utf-8") as notes:
            notes.write(f"{os.getpid()} {path}\n")
        return real_borrow(share, path, digest)

    monkeypatch.setattr(pipeline, "_lint_shared", slow_busiest_worker)
    monkeypatch.setattr(pipeline.Share, "borrow", noting)
    checked: list[int] = []
    real_checked = pipeline._Reports.checked

    def counting(reports, position, report):
        checked.append(position)
        real_checked(reports, position, report)

    monkeypatch.setattr(pipeline._Reports, "checked", counting)
    assert check("--no-cache", ".") == alone
    assert borrowed.read_text(encoding="utf-8"), "no file was linted by the faster worker"
    assert sorted(checked) == list(range(len(checked)))  # every file once
    assert len(checked) == len(list(demo.rglob("*.py")))


def test_a_file_changed_since_another_worker_read_it_is_not_borrowed(tmp_path):
    path = tmp_path / "a.py"
    path.write_text("x = 1\n", encoding="utf-8")
    digest = load(path).digest
    made = pipeline.Plan(None, None, 10**6, [path], {path}, {path: ("a", "", ["a"])})
    share = pipeline.Share(made, [path])
    assert share.borrow(path, digest)
    assert share.kept[path].module == ("a", "")
    path.write_text("x = 2\n", encoding="utf-8")
    assert not pipeline.Share(made, [path]).borrow(path, digest)


# -- answers worked out once ----------------------------------------------------------------
def _module(name: str, text: str):
    from fastapi_lint.semantic.facts import extract

    return extract(ast.parse(text), name, name.rpartition(".")[0])


def test_definitions_are_worked_out_once_and_again_after_the_modules_change(monkeypatch):
    index = ProjectIndex()
    index.add(_module("app.api", "from app.models import User\n"), ["app.api"])
    worked: list[str] = []
    real = ProjectIndex._definition

    def counting(self, qualified, depth):
        worked.append(qualified)
        return real(self, qualified, depth)

    monkeypatch.setattr(ProjectIndex, "_definition", counting)
    assert index.definition("app.api.User") is None  # app.models is not known yet
    assert index.definition("app.api.User") is None
    assert worked == ["app.api.User", "app.models.User"]  # the import followed, once
    models = _module("app.models", "class User:\n    pass\n")
    index.add(models, ["app.models"])  # a new module: the answers are worked out again
    assert index.definition("app.api.User") == (models, "User")
    assert index.definition("app.api.User") == (models, "User")
    assert worked == ["app.api.User", "app.models.User"] * 2


def test_a_class_is_of_the_kinds_its_whole_facts_give():
    """`SemanticFile.class_kinds` judges a class by its first line (`class_header`): the
    kinds are those of its full facts, for every class of every fixture."""
    from fastapi_lint.semantic.facts import class_fact, class_header, extract

    judged = 0
    for path in fixture_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        facts = extract(tree, path.stem, "")
        index = ProjectIndex()
        index.add(facts, [path.stem])
        table = facts.imports()
        for node in (node for node in ast.walk(tree) if isinstance(node, ast.ClassDef)):
            whole = index.kinds_of(class_fact(node, table, node.name))
            assert index.kinds_of(class_header(node, table, node.name)) == whole, path
            judged += bool(whole)
    assert judged > 100


# -- the credential formats' quick test -----------------------------------------------------
_STARTS = ["AKIA", "ASIA", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xoxa-"]
_STARTS += ["xoxb-", "xoxp-", "xoxr-", "xoxs-", "rk_live_", "sk_live_", "AIza", "sk-", "eyJ"]
_STARTS += ["-----BEGIN "]


@given(
    st.lists(
        st.one_of(st.sampled_from(_STARTS), st.text(alphabet="AIKSaghiopsux_-kvley J", max_size=6)),
        max_size=8,
    ).map("".join)
)
def test_the_quick_test_lets_every_credential_format_through(text):
    from fastapi_lint.rules.security.secret_values import _ANY_FORMAT, _may_hold_a_format

    if _ANY_FORMAT.search(text) is not None:
        assert _may_hold_a_format(text)


def test_the_quick_test_turns_away_prose():
    from fastapi_lint.rules.security.secret_values import _may_hold_a_format

    assert not _may_hold_a_format("Return the rows of the query as a list of mappings, in order.")
    for start in _STARTS:
        assert _may_hold_a_format(f"a value: {start}0123456789")


# -- annotations spelt without the unparser ---------------------------------------------------
@pytest.mark.parametrize(
    "source",
    [
        "int",
        "typing.Optional[app.models.User]",
        "dict[str, list[int]]",
        "Mapped[str | None]",
        "int | str | None",
        "tuple[int, ...]",
        "a | (b | c)",
        "X[a,]",
        pytest.param(
            "X[*Ts]",
            marks=pytest.mark.skipif(sys.version_info < (3, 11), reason="3.11 syntax: ast"),
        ),
        "'User'",
        "Literal['a', 'b']",
        "f(x).y",
        "X[0]",
        "a + b | c",
        "x[1:2]",
    ],
)
def test_annotations_are_spelt_as_the_unparser_spells_them(source):
    from fastapi_lint.semantic.facts import unparsed

    node = ast.parse(source, mode="eval").body
    assert unparsed(node) == ast.unparse(node)


def test_every_plain_expression_of_the_fixtures_is_spelt_as_the_unparser_spells_it():
    from fastapi_lint.semantic.facts import _plain

    plain = 0
    for path in fixture_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            spelt = _plain(node) if isinstance(node, ast.expr) else None
            if spelt is not None:
                assert spelt == ast.unparse(node), path
                plain += 1
    assert plain > 5_000


@pytest.mark.parametrize(
    "missing",
    [
        OSError(38, "Function not implemented"),  # as where /dev/shm is missing
        ImportError("This platform lacks a functioning sem_open implementation"),  # no sem_open
    ],
)
def test_without_shared_semaphores_workers_take_fixed_shares(demo, monkeypatch, missing):
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    alone = check("--no-cache", ".")
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "2")

    def no_semaphores(count):
        raise missing

    monkeypatch.setattr(pipeline, "Claims", no_semaphores)
    assert check("--no-cache", ".") == alone


# -- what a lint asked, written once per index --------------------------------------------------
def test_stored_queries_are_written_once_per_index_as_json_writes_them():
    from fastapi_lint.semantic.facts import ModuleFacts
    from fastapi_lint.semantic.queries import RecordingIndex

    facts = ModuleFacts(module="m", package="", calls={"router": "fastapi.APIRouter"})
    index = ProjectIndex()
    index.add(facts, ["m"])
    for _ in range(2):  # the second file's queries are the texts the first wrote
        recorder = RecordingIndex(index)
        recorder.value_callee("m.router")
        recorder.class_kinds("m.Missing")
        expected = {json.dumps(query): found for query, found in recorder.answers.items()}
        assert recorder.stored() == expected
        assert set(index.query_texts) == set(recorder.answers)
    index.add(ModuleFacts(module="n", package=""), ["n"])  # a new index: written again
    assert index.query_texts == {}
    recorder = RecordingIndex(index)
    recorder.packages_import(frozenset({"m"}), lambda value: True)  # a query no run names again
    assert recorder.stored() == {json.dumps(q): found for q, found in recorder.answers.items()}
    assert '["packages_import", ["m"], "?"]' in recorder.stored()


# -- facts extraction: each body listed once, the module's client makers found once ------------
def _module_of_sync_functions(count: int) -> ast.Module:
    text = "import boto3\n\n" + "".join(
        f"def f{n}(x):\n    if x:\n        pass\n    return boto3.client('s3')\n\n"
        for n in range(count)
    )
    return ast.parse(text)


def test_facts_of_a_module_ask_for_its_client_makers_once(monkeypatch):
    from fastapi_lint.semantic import facts as module

    asked = []
    real = module.client_made_by
    monkeypatch.setattr(module, "client_made_by", lambda callee: asked.append(1) or real(callee))
    found = module.extract(_module_of_sync_functions(200), "m", "")
    assert found.functions["f0"].provides == ["boto3.client"]
    assert len(asked) <= 200  # was once per function per sync function: 40,000


def test_facts_list_each_body_once_for_all_their_passes(monkeypatch):
    from fastapi_lint.semantic import facts as module

    opened = []
    real = module._sub_bodies
    monkeypatch.setattr(module, "_sub_bodies", lambda stmt: opened.append(1) or real(stmt))
    module.extract(_module_of_sync_functions(50), "m", "")
    # one `if` per function: listed once, and once more for the imports inside functions
    assert len(opened) <= 2 * 50  # was 5 per block (one per pass over the body)


def test_a_linter_imports_its_rules_when_it_first_lints():
    code = (
        "import sys\n"
        "from fastapi_lint.config import Settings\n"
        "from fastapi_lint.engine import Linter\n"
        "from fastapi_lint.semantic.index import ProjectIndex\n"
        "linter = Linter(Settings(), ProjectIndex())\n"
        "assert 'fastapi_lint.rules.async_io' not in sys.modules, 'imported early'\n"
        "linter.lint('a.py', 'x = 1\\n', 'a', '')\n"
        "assert 'fastapi_lint.rules.async_io' in sys.modules, 'never imported'\n"
    )
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


# -- per-file answers and walks -----------------------------------------------------------------
def test_a_session_alias_is_looked_up_once_per_file_whatever_the_functions(monkeypatch):
    from fastapi_lint.semantic.facts import extract

    deps = (
        "from typing import Annotated\n"
        "from fastapi import Depends\n"
        "from sqlalchemy.ext.asyncio import AsyncSession\n\n"
        "async def get_db():\n    yield AsyncSession()\n\n"
        "SessionDep = Annotated[AsyncSession, Depends(get_db)]\n"
    )
    routes = "from app.deps import SessionDep\n\n" + "".join(
        f"async def f{n}(db: SessionDep):\n    await db.commit()\n\n" for n in range(20)
    )
    index = ProjectIndex()
    index.add(extract(ast.parse(deps), "app.deps", "app"), ["app.deps"])
    settings = Settings(select=("ALL",))
    result = Linter(settings, index).lint("r.py", routes, "app.r", "app")
    assert not result.internal_error
    asked = []
    real = ProjectIndex.alias
    monkeypatch.setattr(
        ProjectIndex, "alias", lambda self, name: asked.append(name) or real(self, name)
    )
    again = Linter(settings, index).lint("r.py", routes, "app.r", "app")
    assert asked, "the alias was never looked up"
    assert again.diagnostics == result.diagnostics
    assert again.queries == result.queries
    # The sessions' two questions (annotation, dependency) once per file, not per function (the
    # route rules ask theirs per function), and FAL201's receivers' once: 80 asks before, 43 now
    assert len(asked) <= 2 * 20 + 3, len(asked)


def test_own_node_lists_are_the_nodes_the_lazy_walk_gives():
    from fastapi_lint.semantic.walk import own_node_list, own_nodes

    scopes = 0
    for path in fixture_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for scope in [tree, *ast.walk(tree)]:
            if isinstance(scope, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                listed, walked = own_node_list(scope), list(own_nodes(scope))
                assert len(listed) == len(walked)
                assert all(a is b for a, b in zip(listed, walked, strict=True)), path
                scopes += 1
    assert scopes > 500


def test_the_calls_and_assignments_of_a_body_are_those_its_node_list_holds():
    """The facts' walk of a sync function lists only its calls and assignments, in the order
    and with the nesting `own_node_list` has."""
    from fastapi_lint.semantic.walk import own_calls_and_assignments, own_node_list

    found = 0
    for path in fixture_files():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for scope in [tree, *ast.walk(tree)]:
            if isinstance(scope, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                listed = [n for n in own_node_list(scope) if type(n) in (ast.Call, ast.Assign)]
                walked = own_calls_and_assignments(scope)
                assert len(listed) == len(walked)
                assert all(a is b for a, b in zip(listed, walked, strict=True)), path
                found += len(walked)
    assert found > 1000


def test_per_file_ignores_are_not_matched_when_none_are_set(tmp_path, monkeypatch):
    from fastapi_lint import checking
    from fastapi_lint.rules.models.mutable_argument import MutableDefaultArgument

    def matched(path, patterns):
        raise AssertionError(f"matched {path} against no patterns")

    monkeypatch.setattr(checking, "per_file_ignored", matched)
    (tmp_path / "a.py").write_text("def f(x=[]):\n    pass\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    found = check("--no-cache", "--isolated", "--select", "ALL", "a.py")
    assert [d["code"] for d in found] == [MutableDefaultArgument.code]


def test_workers_assemble_the_index_themselves(demo, monkeypatch):
    """Each worker puts the index together from the reads the parent passes on: nobody
    pickles it whole (the parent did, while the workers waited), and the findings are those
    of one process."""
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    alone = check("--no-cache", ".")

    def refused(index):
        raise AssertionError("the project index was pickled")

    monkeypatch.setattr(ProjectIndex, "__getstate__", refused)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "2")
    assert check("--no-cache", ".") == alone
    assert check(".") == alone  # with the caches written by the parent


def test_without_a_cache_the_parent_unpickles_no_facts(demo, monkeypatch):
    """The parent's index serves the results cache: a run without one leaves the facts the
    workers send packed (they are the bulk of what it received), and passes them on as they
    came."""
    import pickle

    from fastapi_lint.semantic.facts import ModuleFacts

    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    alone = check("--no-cache", ".")
    parent, real_loads, unpacked = os.getpid(), pickle.loads, []

    def noting(data, *args, **kwargs):
        loaded = found = real_loads(data, *args, **kwargs)
        if os.getpid() == parent:
            if isinstance(found, tuple) and found[0] == "read":  # a worker's message
                found = found[2].facts  # (unpickled with it, once)
            if isinstance(found, ModuleFacts):
                unpacked.append(found.module)
        return loaded

    monkeypatch.setattr(pickle, "loads", noting)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "2")
    assert check("--no-cache", ".") == alone
    assert unpacked == []
    assert check(".") == alone  # with a cache to write, it stores what they found
    assert unpacked


def _shown(output_format: str, *args: str) -> str:
    result = CliRunner().invoke(main, ["check", "--output-format", output_format, *args, "."])
    assert result.exit_code in (0, 1), result.output
    return result.output


def test_the_parent_is_sent_a_file_s_text_once_at_most(demo, monkeypatch):
    """A worker's report comes without the text the parent has from phase 1; a run that shows
    rows and caches nothing is not sent the text at all. A report with secrets keeps its text:
    outputs must mask them whatever happens to the file meanwhile. Every output is the one of
    one process."""
    import pickle

    runs = {("concise", "--no-cache"): 0, ("json", "--no-cache"): 1, ("full", "--no-cache"): 1}
    runs |= {("sarif", "--no-cache"): 1, ("concise",): 1}  # (the last writes the caches)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    alone = {args: _shown(*args) for args in runs}
    parent, real_loads = os.getpid(), pickle.loads
    sent: list[tuple[str, bool]] = []  # (kind of message, with secrets) of each text sent

    def noting(data, *args, **kwargs):
        found = real_loads(data, *args, **kwargs)
        if os.getpid() == parent and isinstance(found, tuple) and found:
            if found[0] == "item" and found[2].source is not None:
                sent.append(("item", False))
            elif found[0] == "report" and found[2].source_text:
                sent.append(("report", bool(found[2].secrets)))
        return found

    monkeypatch.setattr(pickle, "loads", noting)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "2")
    files = len(list(demo.rglob("*.py")))
    for args, items in runs.items():
        sent.clear()
        shutil.rmtree(demo / ".fastapi_lint_cache", ignore_errors=True)  # (a cold run)
        assert _shown(*args) == alone[args]
        assert sent.count(("item", False)) == items * files, args
        assert ("report", True) in sent and ("report", False) not in sent, args


def test_workers_send_rows_when_the_output_shows_no_more(demo, monkeypatch):
    """A concise run that caches nothing gets its findings from the workers as rows, which the
    parent unpickles in a fraction of the time diagnostics take; a run whose output or cache
    needs whole diagnostics gets them. Every output is the one of one process."""
    import pickle

    runs = {
        ("concise", "--no-cache"): True,
        ("concise", "--no-cache", "--statistics"): False,
        ("json", "--no-cache"): False,
        ("concise",): False,  # it writes the results cache
    }
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    alone = {args: _shown(*args) for args in runs}
    parent, real_loads, as_rows = os.getpid(), pickle.loads, []

    def noting(data, *args, **kwargs):
        found = real_loads(data, *args, **kwargs)
        if os.getpid() == parent and isinstance(found, tuple) and found and found[0] == "report":
            as_rows.append(found[2].rows is not None)
        return found

    monkeypatch.setattr(pickle, "loads", noting)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "2")
    for args, rows in runs.items():
        as_rows.clear()
        shutil.rmtree(demo / ".fastapi_lint_cache", ignore_errors=True)  # (a cold run)
        assert _shown(*args) == alone[args]
        assert as_rows and set(as_rows) == {rows}, args


def test_a_worker_failing_between_the_phases_is_reported(demo, monkeypatch):
    """A worker that fails after its reads (the parent then writes to a closed pipe) is a
    failure of the run with the worker's traceback (status 2), not a reader gone away."""
    from fastapi_lint.engine import Linter

    def failing(linter):
        raise RuntimeError("prepare failed in a worker")

    monkeypatch.setattr(Linter, "prepare", failing)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "2")
    result = CliRunner().invoke(main, ["check", "--no-cache", "."])
    assert result.exit_code == 2, result.output
    assert "a worker process" in result.output


def test_outputs_show_the_text_that_was_linted_whatever_happens_to_the_file(demo, monkeypatch):
    """A file changed after the workers linted it: outputs that show source or fingerprint it
    (full, gitlab, baselines) use the text that was linted, with workers as in one process."""
    real_render = cli_module._render
    edited = demo / "app" / "services.py"

    def edit_then_render(*args, **kwargs):
        edited.write_text(edited.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
        return real_render(*args, **kwargs)

    original = edited.read_text(encoding="utf-8")
    outputs = {}
    for jobs in ("1", "2"):
        monkeypatch.setenv("FASTAPI_LINT_JOBS", jobs)
        for name in ("full", "gitlab"):
            edited.write_text(original, encoding="utf-8")
            monkeypatch.setattr(cli_module, "_render", edit_then_render)
            outputs[jobs, name] = _shown(name, "--no-cache")
            monkeypatch.setattr(cli_module, "_render", real_render)
    for name in ("full", "gitlab"):
        assert outputs["2", name] == outputs["1", name]
    assert "FAL301" in outputs["2", "full"] and "services.py:" in outputs["2", "full"]


def test_a_file_replaced_by_a_pipe_is_not_waited_for(tmp_path):
    import threading

    from fastapi_lint.checking import TextOf

    path = tmp_path / "app.py"
    path.write_text("x = 1\n", encoding="utf-8")
    digest = load(path).digest
    assert TextOf(path, digest)() == "x = 1\n"
    path.unlink()
    os.mkfifo(path)
    texts: list[str] = []
    reading = threading.Thread(target=lambda: texts.append(TextOf(path, digest)()), daemon=True)
    reading.start()
    reading.join(timeout=10)
    waited = reading.is_alive()
    if waited:  # let it go: a writer that closes at once
        os.close(os.open(path, os.O_WRONLY))
    assert not waited and texts == [""]


def test_trees_parsed_for_the_lint_are_freed_as_it_goes(demo, monkeypatch):
    """With the facts cached and the results not, each tree is parsed for its lint: those are
    freed one by one (a run of a large project would hold them all), the phase's own kept."""
    from fastapi_lint import memo

    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    assert CliRunner().invoke(main, ["check", "."]).exit_code == 1  # the caches written
    kept: list = []
    argv = ["fastapi-lint", "check", "--select", "FAL301", "-q", "."]  # other settings
    monkeypatch.setattr(sys, "argv", argv)
    try:
        with pytest.raises(SystemExit):
            memo.main(kept)
    finally:
        pipeline.leave_trees_to_exit(None)
        cli_module.kept_until_exit = None
    assert not any(isinstance(tree, ast.Module) for tree in kept)
