"""The per-file semantic model: own nodes, parents, bindings and function summaries."""

from __future__ import annotations

import ast

from fastapi_lint.semantic.model import FileModel
from fastapi_lint.semantic.walk import own_nodes

SOURCE = """
import os as system
from x import y

async def handler(db, item: int = 3, *rest, **options):
    total = 0
    total += 1
    async with factory() as session, other() as (a, b):
        await session.commit()
        session.add(item)
    for key, value in options.items():
        pass
    [inner for inner in rest]
    if (found := lookup()):
        return found
    def nested():
        hidden = 1
    class Local:
        field = 2
    return await db.get(item)
"""


def model_and_function():
    tree = ast.parse(SOURCE)
    return FileModel(tree), tree.body[2]


def test_own_nodes_are_those_of_the_walk_and_computed_once():
    model, func = model_and_function()
    assert model.own_nodes(func) == list(own_nodes(func))
    assert model.own_nodes(func) is model.own_nodes(func)
    names = {n.id for n in model.own_nodes(func) if isinstance(n, ast.Name)}
    assert "hidden" not in names and "field" not in names


def test_bindings_of_a_function():
    model, func = model_and_function()
    bound = model.bindings(func)
    assert [b.kind for b in bound["item"]] == ["parameter"]
    assert ast.unparse(bound["item"][0].value) == "3"
    assert ast.unparse(bound["item"][0].annotation) == "int"
    assert {"rest", "options", "db"} <= set(bound)
    assert [b.kind for b in bound["total"]] == ["assign", "augmented"]
    assert ast.unparse(model.values_of(func, "total")[0]) == "0"
    assert ast.unparse(model.values_of(func, "session")[0]) == "factory()"
    assert bound["a"][0].kind == "with" and bound["a"][0].value is None
    assert [b.kind for b in bound["key"]] == ["for"]
    assert [b.kind for b in bound["inner"]] == ["for"]
    assert ast.unparse(model.values_of(func, "found")[0]) == "lookup()"
    assert bound["nested"][0].kind == "definition" and bound["Local"][0].kind == "definition"
    assert "hidden" not in bound


def test_module_bindings_include_imports():
    model, _ = model_and_function()
    bound = model.bindings(model.tree)
    assert bound["system"][0].kind == "import" and bound["y"][0].kind == "import"
    assert bound["handler"][0].kind == "definition"


def test_summary_and_awaited():
    model, func = model_and_function()
    summary = model.summary(func)
    called = [ast.unparse(call.func) for call in summary.calls]
    assert "session.commit" in called and "session.add" in called
    commit = next(c for c in summary.calls if ast.unparse(c.func) == "session.commit")
    add = next(c for c in summary.calls if ast.unparse(c.func) == "session.add")
    assert model.is_awaited(commit, func) and not model.is_awaited(add, func)
    assert len(summary.returns) == 2


def test_parents_and_enclosing_scope():
    model, func = model_and_function()
    nested = next(n for n in func.body if isinstance(n, ast.FunctionDef))
    hidden = nested.body[0].targets[0]
    assert model.parent(hidden) is nested.body[0]
    assert model.enclosing_scope(hidden) is nested
    assert model.enclosing_scope(nested) is func
    assert model.enclosing_scope(func) is model.tree
    assert list(model.ancestors(hidden))[-1] is model.tree


DECLARED = """
def handler(db, item: int, *rest):
    item = make()
    client: Client = build()
    client = other()
    first = second = start()
    pair, other = split()
    with opener() as handle:
        pass
    if (walrus := lookup()):
        pass
    def nested():
        hidden: Hidden = 1
"""


def test_declarations_and_plain_assignments_of_a_function():
    tree = ast.parse(DECLARED)
    model, func = FileModel(tree), tree.body[0]
    assert model.declaration(func, "db").kind == "parameter"  # declared, without annotation
    assert model.declared_annotation(func, "db") is None
    assert ast.unparse(model.declared_annotation(func, "item")) == "int"  # the parameter's
    assert ast.unparse(model.declared_annotation(func, "client")) == "Client"
    assert model.declaration(func, "hidden") is None  # a nested function's own
    assert model.declaration(func, "first") is None
    values = model.assigned_values
    assert [ast.unparse(v) for v in values(func, "client")] == ["other()"]
    assert [ast.unparse(v) for v in values(func, "client", annotated=True)] == [
        "build()",
        "other()",
    ]
    assert [ast.unparse(v) for v in values(func, "first")] == ["start()"]
    assert [ast.unparse(v) for v in values(func, "second")] == ["start()"]
    assert values(func, "pair") == []  # unpacking gives no single value
    assert values(func, "walrus") == []
    assert values(func, "handle") == []
    assert [ast.unparse(v) for v in values(func, "handle", with_items=True)] == ["opener()"]


def test_parent_in_a_scope_gives_the_file_maps_links_without_making_it():
    source = (
        "@deco(a())\nasync def f(x=g()):\n    y = [h(i) for i in x]\n"
        "    def inner(z=k()):\n        m()\n"
    )
    tree = ast.parse(source)
    func = tree.body[0]
    model = FileModel(tree)
    own = model.own_nodes(func)
    asked = {node: model.parent_in(node, func) for node in own}
    assert model._parents is None  # the scope's own links only
    assert all(asked[node] is FileModel(tree).parent(node) for node in own)
    header_call = func.args.defaults[0]  # not in the body: asked of the file's map
    assert model.parent_in(header_call, func) is func.args


def test_string_constants_leave_out_f_strings():
    from fastapi_lint.semantic.walk import string_constants

    tree = ast.parse("a = 'x'\nb = f\"{c['k']}-\" + \"y\"\nd = 1\nclass C:\n    '''doc'''\n")
    assert sorted(node.value for node in string_constants(tree)) == ["doc", "x", "y"]
