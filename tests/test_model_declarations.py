"""FileModel.declared_annotation and .assignments: 'declared as' and 'assigned from' asked of the
model's bindings (what FAL303, FAL403 and FAL502 used to find by walking the body per name)."""

from __future__ import annotations

import ast

from fastapi_lint.semantic.model import FileModel

SOURCE = """
def handler(user: User, plain, *, limit: int = 3):
    item: Item
    item = make()
    a = b = build()
    first, second = pair()
    user = other()
    item: Other = again()
    for row in rows:
        pass
    def nested():
        hidden: Secret = 1
"""


def model_and_function():
    tree = ast.parse(SOURCE)
    return FileModel(tree), tree.body[0]


def test_a_parameter_declares_its_annotation_even_when_reassigned():
    model, func = model_and_function()
    assert ast.unparse(model.declared_annotation(func, "user")) == "User"
    assert model.declared_annotation(func, "plain") is None  # a parameter without one
    assert ast.unparse(model.declared_annotation(func, "limit")) == "int"


def test_the_first_annotated_assignment_declares_a_local():
    model, func = model_and_function()
    assert ast.unparse(model.declared_annotation(func, "item")) == "Item"
    assert model.declared_annotation(func, "a") is None
    assert model.declared_annotation(func, "hidden") is None  # a nested function's own


def test_assignments_are_plain_whole_targets_in_order():
    model, func = model_and_function()
    assert [ast.unparse(node.value) for node in model.assignments(func, "item")] == ["make()"]
    assert [ast.unparse(node.value) for node in model.assignments(func, "b")] == ["build()"]
    assert model.assignments(func, "first") == []  # unpacking is not a whole target
    assert model.assignments(func, "row") == []
    assert [ast.unparse(node.value) for node in model.assignments(func, "user")] == ["other()"]
