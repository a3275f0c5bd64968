"""The route and async rules ask the file's model instead of re-walking a function per finding:
how many walks a lint makes does not grow with the number of findings in a function."""

from __future__ import annotations

import ast
from collections import Counter
from dataclasses import replace
from pathlib import Path

from fastapi_lint import config
from fastapi_lint.rules.base import REGISTRY, Rule
from fastapi_lint.runner import Options, run
from fastapi_lint.semantic import blocking, locals, model, walk

CODES = ("FAL101", "FAL102", "FAL103", "FAL201", "FAL202", "FAL203", "FAL204")

HEADER = """\
import time
from pathlib import Path

import redis
from fastapi import APIRouter, BackgroundTasks
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

router = APIRouter()


def send(value):
    return value


class Service:
    def __init__(self):
        self.cache = redis.Redis()

    async def refresh(self, key):
"""


def _source(hits: int) -> str:
    lines = [HEADER]
    lines += [f"        self.cache.get(key + {i})\n" for i in range(hits)]
    lines.append(
        '\n\n@router.get("/items")\n'
        "async def items(db: AsyncSession, tasks: BackgroundTasks, target: Path, flag: int):\n"
        "    client = redis.Redis()\n"
        "    queue = BackgroundTasks()\n"
        "    path = Path('x')\n"
        "    response = {'ok': True}\n"
    )
    for i in range(hits):
        lines.append(
            f"    db.execute({i})\n"
            f"    pending{i} = db.commit()\n"
            f"    time.sleep({i})\n"
            f"    target.read_text()\n"
            f"    path.write_text('{i}')\n"
            f"    client.get('{i}')\n"
            f"    tasks.add_task(send({i}))\n"
            f"    queue.add_task(send({i}))\n"
            f"    if flag == {i}:\n"
            f"        return response\n"
        )
    lines.append('\n\n@router.get("/sync")\nasync def sync_items(db: Session):\n')
    lines += [f"    db.execute({i})\n" for i in range(hits)]
    return "".join(lines)


def _walks(tmp_path: Path, monkeypatch, hits: int) -> tuple[Counter, int]:
    project = tmp_path / str(hits)
    project.mkdir()
    (project / "pyproject.toml").write_text("[tool.fastapi-lint]\n", encoding="utf-8")
    target = project / "app.py"
    target.write_text(_source(hits), encoding="utf-8")
    counts: Counter = Counter()
    original_own_nodes, original_list, original_walk = walk.own_nodes, walk.own_node_list, ast.walk

    def counting_own_nodes(node):
        counts[("own_nodes", type(node).__name__, getattr(node, "name", ""))] += 1
        return original_own_nodes(node)

    def counting_list(node, *kinds):  # (own_calls_and_assignments goes through it too)
        counts[("own_nodes", type(node).__name__, getattr(node, "name", ""))] += 1
        return original_list(node, *kinds)

    def counting_walk(node):
        counts[("walk", type(node).__name__, getattr(node, "name", ""))] += 1
        return original_walk(node)

    for module in (walk, model, locals, blocking):
        for name, counting in (("own_nodes", counting_own_nodes), ("own_node_list", counting_list)):
            if hasattr(module, name):
                monkeypatch.setattr(module, name, counting)
    monkeypatch.setattr(ast, "walk", counting_walk)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    settings = replace(config.load(config.find_config(project)), select=CODES)
    result = run([target], settings, Options(use_cache=False), base=project)
    monkeypatch.undo()
    return counts, len(result.diagnostics)


def test_walks_do_not_grow_with_the_findings_of_a_function(tmp_path, monkeypatch):
    few, few_found = _walks(tmp_path, monkeypatch, 3)
    many, many_found = _walks(tmp_path, monkeypatch, 40)
    assert many_found > few_found  # the findings grow...
    assert many == few  # ...the walks do not
    # Each function's body is walked once for the lint, and a sync one once more for the
    # index's facts (does it block?).
    assert all(count <= 2 for (kind, *_), count in many.items() if kind == "own_nodes")


def test_a_local_assigned_from_itself_is_not_followed_forever(tmp_path, monkeypatch):
    """`p = p / "x"` and `c = c`: FAL201 follows each local name once (it used to recurse
    until Python stopped it, and reported FAL002)."""
    (tmp_path / "pyproject.toml").write_text("[tool.fastapi-lint]\n", encoding="utf-8")
    target = tmp_path / "app.py"
    target.write_text(
        "import redis\nfrom pathlib import Path\n\n\nasync def f():\n"
        '    p = p / "x"\n    p.read_text()\n    c = c\n    c.get(1)\n'
        '    q = Path("a")\n    q = q / "b"\n    q.read_text()\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    settings = replace(config.load(config.find_config(tmp_path)), select=("FAL201",))
    result = run([target], settings, Options(use_cache=False), base=tmp_path)
    assert [(d.code, d.line) for d in result.diagnostics] == [("FAL201", 12)]


def test_calls_no_session_method_could_be_do_not_ask_for_the_sessions(tmp_path, monkeypatch):
    """FAL202 and FAL203 report only session methods (`execute`, `commit`, `query`...): a
    function calling nothing else (`time.sleep`, `asyncio.gather`) is not analysed for sessions,
    which on a file of thousands of such functions was a tenth of its lint."""
    (tmp_path / "pyproject.toml").write_text("[tool.fastapi-lint]\n", encoding="utf-8")
    target = tmp_path / "app.py"
    target.write_text(
        "import asyncio\nimport time\n\n\nasync def f(db):\n"
        "    time.sleep(1)\n    await asyncio.sleep(1)\n    db.refresh_cache()\n",
        encoding="utf-8",
    )
    built = []
    original = locals.FunctionSessions.__init__

    def counting(self, *args, **kwargs):
        built.append(args[1].name)
        original(self, *args, **kwargs)

    monkeypatch.setattr(locals.FunctionSessions, "__init__", counting)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    settings = replace(config.load(config.find_config(tmp_path)), select=("FAL202", "FAL203"))
    run([target], settings, Options(use_cache=False), base=tmp_path)
    assert built == []
    target.write_text(
        "from sqlalchemy.ext.asyncio import AsyncSession\n\n\n"
        "async def f(db: AsyncSession):\n    db.commit()\n",
        encoding="utf-8",
    )
    result = run([target], settings, Options(use_cache=False), base=tmp_path)
    assert built == ["f"]
    assert [d.code for d in result.diagnostics] == ["FAL202"]


def test_a_blocking_call_not_under_await_is_fixed_without_summarising_its_function(
    tmp_path, monkeypatch
):
    """Whether FAL201's call is awaited is read from its parent first: only a call under
    `await` needs the function's summary (a walk of its body, per function with a finding)."""
    (tmp_path / "pyproject.toml").write_text("[tool.fastapi-lint]\n", encoding="utf-8")
    target = tmp_path / "app.py"
    target.write_text(
        "import time\n\n\nasync def f():\n    time.sleep(1)\n\n\n"
        "async def g():\n    await time.sleep(1)\n",
        encoding="utf-8",
    )
    summarised = []
    original = model.FileModel.summary

    def counting(self, func):
        summarised.append(func.name)
        return original(self, func)

    monkeypatch.setattr(model.FileModel, "summary", counting)
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    settings = replace(config.load(config.find_config(tmp_path)), select=("FAL201",))
    result = run([target], settings, Options(use_cache=False), base=tmp_path)
    assert summarised == ["g"]
    assert [(d.line, d.fix is not None) for d in result.diagnostics] == [(5, True), (9, False)]


def test_a_methods_sessions_are_the_same_whichever_scope_asks_first(tmp_path, monkeypatch):
    """A method's sessions are cached: the class whose `__init__` stores `self.db` must be
    found whether the first question comes from the method's body or from a lambda in it (it
    was the innermost scope's class, so a lambda asking first hid `self.db`)."""

    class AsksFromALambda(Rule):
        code = "FAL997"
        summary = "Asks a method's sessions from a lambda inside it"

        def visit_Call(self, node: ast.Call) -> None:
            if isinstance(self.ctx.scopes[-1], ast.Lambda):  # the call in the lambda's body
                sessions = self.ctx.function_sessions(self.ctx.enclosing_function())
                self.report(node, str(sessions.kind(node.func.value)))

    (tmp_path / "pyproject.toml").write_text("[tool.fastapi-lint]\n", encoding="utf-8")
    target = tmp_path / "app.py"
    target.write_text(
        "from sqlalchemy.orm import Session\n\n\nclass Repo:\n"
        "    def __init__(self, db: Session):\n        self.db = db\n\n"
        "    def find(self):\n        return lambda: self.db.execute(1)\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    try:
        settings = replace(config.load(config.find_config(tmp_path)), select=("FAL997",))
        result = run([target], settings, Options(use_cache=False), base=tmp_path)
    finally:
        REGISTRY.pop(AsksFromALambda.code, None)
    assert [d.message for d in result.diagnostics] == [str(locals.SessionKind.SYNC)]


def test_fal301_reads_parameter_defaults_without_ast_walk(tmp_path, monkeypatch):
    """Whether a default or annotation calls a request marker is asked for every function
    with a mutable default: it is read with a plain stack of nodes, not `ast.walk`."""
    (tmp_path / "pyproject.toml").write_text("[tool.fastapi-lint]\n", encoding="utf-8")
    target = tmp_path / "app.py"
    target.write_text(
        "from typing import Annotated\n\nfrom fastapi import Query\n\n\n"
        "def plain(x=[]):\n    return x\n\n\n"
        "def marked(x: Annotated[list, Query()] = []):\n    return x\n",
        encoding="utf-8",
    )
    walked = []
    original = ast.walk
    monkeypatch.setattr(ast, "walk", lambda node: walked.append(node) or original(node))
    monkeypatch.setenv("FASTAPI_LINT_JOBS", "1")
    settings = replace(config.load(config.find_config(tmp_path)), select=("FAL301",))
    result = run([target], settings, Options(use_cache=False), base=tmp_path)
    monkeypatch.undo()
    assert [d.line for d in result.diagnostics] == [6]
    assert walked == []


def test_calls_one_of_finds_what_ast_walk_finds():
    """Every call in every default and annotation of the fixtures: found as `ast.walk` finds
    it, and nothing else."""
    from types import SimpleNamespace

    from fastapi_lint.semantic.fastapi_calls import calls_one_of
    from harness import fixture_files

    file = SimpleNamespace(resolve=lambda node: ast.unparse(node))
    checked = 0
    for path in fixture_files():
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except SyntaxError:
            continue
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for arg, default in model.parameters(func):
                for part in (default, arg.annotation):
                    if part is None:
                        continue
                    called = {ast.unparse(n.func) for n in ast.walk(part) if type(n) is ast.Call}
                    for name in called:
                        assert calls_one_of(file, part, frozenset({name}))
                    assert not calls_one_of(file, part, frozenset({"not.called"}))
                    checked += bool(called)
    assert checked > 20


def test_sleep_becomes_awaited_asyncio_sleep_in_one_edit_parenthesised_where_needed(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.fastapi-lint]\n", encoding="utf-8")
    target = tmp_path / "app.py"
    target.write_text(
        "import time\n\n\nasync def f():\n    time.sleep(1)\n    return time.sleep(2).__class__\n",
        encoding="utf-8",
    )
    settings = replace(config.load(config.find_config(tmp_path)), select=("FAL201",))
    result = run([target], settings, Options(use_cache=False), base=tmp_path)
    text = target.read_text(encoding="utf-8")
    plain, tight = (d.fix.edits for d in result.diagnostics)
    assert [(text[e.start : e.end], e.content) for e in plain] == [
        ("time.sleep", "await asyncio.sleep")
    ]
    assert [(text[e.start : e.end], e.content) for e in tight] == [
        ("time.sleep", "(await asyncio.sleep"),
        ("", ")"),
    ]
    run([target], settings, Options(fix=True, use_cache=False), base=tmp_path)
    assert target.read_text(encoding="utf-8") == (
        "import asyncio\n\n\nasync def f():\n    await asyncio.sleep(1)\n"
        "    return (await asyncio.sleep(2)).__class__\n"
    )
