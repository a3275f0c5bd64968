"""FAL201's question about a method call on a project object: which project method does
`receiver.method(...)` call? The index then says whether that method blocks.

Only receivers whose class is known count: `Class(...)` itself, `Class` (a static or class
method), a name the function declares with the class (plain, `Optional`, `Annotated`,
`X | None`, or a project alias of those) or gives `Depends(Class)`, a local name every
assignment of which is `Class(...)` (or `await f(...)`, a project function annotated to return
the class), a module-level `name = Class(...)` of any project module,
and `self`/`cls` in a method of a module-level class. A name bound in an enclosing function,
or bound in the function in any other way, is not followed.
"""

from __future__ import annotations

import ast

from fastapi_lint.rules.base import FileContext
from fastapi_lint.semantic.annotations import declared_classes
from fastapi_lint.semantic.fastapi_calls import DEPENDS
from fastapi_lint.semantic.index import parse_expression
from fastapi_lint.semantic.model import FUNCTIONS
from fastapi_lint.semantic.sessions import alias_expression

_STATIC = frozenset({"builtins.staticmethod"})
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)


class ProjectMethods:
    def __init__(self, ctx: FileContext) -> None:
        self.ctx = ctx
        self._aliases: dict[str, tuple | None] = {}  # class named -> the alias it is, if any
        self._names: dict[tuple[ast.AST, str], str | None] = {}  # (function, name) -> class

    def called(self, func: ast.Attribute, function: ast.AsyncFunctionDef) -> str | None:
        """`module.Class.method` for `receiver.method` when the receiver's class is known
        (whether it is a project class is the index's to say); None otherwise."""
        owner = self.class_of(func.value, function)
        return f"{owner}.{func.attr}" if owner else None

    def class_of(self, value: ast.expr, function: ast.AsyncFunctionDef) -> str | None:
        if isinstance(value, ast.Call):  # `Mailer().send()`
            return self._resolved(value.func, function)
        root = value
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name) or self._in_comprehension_of(root, function):
            return None  # a comprehension's element: its class is not known here
        if root is not value:
            return self._named(value, function)
        # A function's `db` is the same class in each of its calls: `_local` reads all of the
        # function's bindings of the name, wherever the call is (a position-aware answer would
        # need the position in this key).
        key = (function, root.id)
        if key not in self._names:
            if self._binds(function, root.id):
                self._names[key] = self._local(root.id, function)
            else:
                self._names[key] = self._named(value, function)
        return self._names[key]

    def _named(self, value: ast.expr, function: ast.AsyncFunctionDef) -> str | None:
        """The class of a module-level name (or attribute of one) the call's receiver is."""
        qualified = self._resolved(value, function)
        if qualified is None:
            return None
        made = self.ctx.index.value_callee(qualified)  # `mailer = Mailer()` in a module
        return made[1].partition("[")[0] if made is not None else qualified

    def _resolved(self, node: ast.expr, function: ast.AsyncFunctionDef) -> str | None:
        """The module-level name `node` resolves to; None when a function around the call binds
        its first name (a local class or variable of that name)."""
        root = node
        while isinstance(root, ast.Attribute):
            root = root.value
        if not isinstance(root, ast.Name):
            return None
        for scope in (*self.ctx.scopes, function):
            if isinstance(scope, (*FUNCTIONS, ast.Lambda)) and self._binds(scope, root.id):
                return None
        return self.ctx.resolve(node)

    def _in_comprehension_of(self, name: ast.Name, function: ast.AsyncFunctionDef) -> bool:
        """Whether `name` is used inside a comprehension that binds it (`[m.send() for m in
        ms]`), where it is the comprehension's own variable."""
        bound = self.ctx.model.bindings(function).get(name.id, ())
        if not any(isinstance(binding.node, ast.comprehension) for binding in bound):
            return False  # no comprehension of the function binds it: no walk up
        for ancestor in self.ctx.model.ancestors(name):
            if isinstance(ancestor, _COMPREHENSIONS) and any(
                isinstance(target, ast.Name) and target.id == name.id
                for generator in ancestor.generators
                for target in ast.walk(generator.target)
            ):
                return True
            if isinstance(ancestor, (*FUNCTIONS, ast.Lambda)):
                return False
        return False

    def _binds(self, scope: ast.AST, name: str) -> bool:
        """Whether the function binds `name` itself: a comprehension's variable is the
        comprehension's own (`[m.send() for m in ms]` leaves a module's `m` as it was)."""
        return any(
            not isinstance(binding.node, ast.comprehension)
            for binding in self.ctx.model.bindings(scope).get(name, ())
        )

    def _local(self, name: str, function: ast.AsyncFunctionDef) -> str | None:
        """The class of a name the function binds: by its declaration, else by assignments
        that all call the same class."""
        model = self.ctx.model
        declaration = model.declaration(function, name)
        if declaration is not None and declaration.kind == "parameter":
            if len(model.bindings(function)[name]) > 1:  # given, then bound again
                return None
            if self._is_self(declaration.node, function):
                return self._own_class(function)
            if declaration.annotation is not None:
                return self._declared(declaration.annotation)
            return self._dependency(declaration.value, function)
        if declaration is not None and declaration.annotation is not None:
            return self._declared(declaration.annotation)
        classes = set()
        for binding in model.bindings(function)[name]:
            value = binding.value
            if binding.kind not in ("assign", "annotated"):
                return None
            if isinstance(value, ast.Await) and isinstance(value.value, ast.Call):
                classes.add(self._awaited_result(value.value, function))
            elif isinstance(value, ast.Call):
                classes.add(self._resolved(value.func, function))
            else:
                return None
        return classes.pop() if len(classes) == 1 else None

    def _awaited_result(self, call: ast.Call, function: ast.AsyncFunctionDef) -> str | None:
        """`await get_extension(...)`: the one class a project coroutine function's return
        annotation names (`-> Extension | None`)."""
        found = self.ctx.index.function(self._resolved(call.func, function))
        if found is None or not found[1].returns:
            return None
        annotation = parse_expression(found[1].returns)
        classes = declared_classes(found[0].imports().resolve, annotation) if annotation else []
        return classes[0] if len(classes) == 1 else None

    def _declared(self, annotation: ast.expr) -> str | None:
        """The one class an annotation names, through one project alias
        (`MailerDep = Annotated[Mailer, Depends()]`)."""
        classes = declared_classes(self.ctx.resolve, annotation)
        if len(classes) != 1:
            return None
        if classes[0] not in self._aliases:  # asked once per file (a query, recorded then)
            self._aliases[classes[0]] = alias_expression(self.ctx.index, classes[0])
        alias = self._aliases[classes[0]]
        if alias is not None:
            table, expression = alias
            classes = declared_classes(table.resolve, expression)
        return classes[0] if len(classes) == 1 else None

    def _dependency(self, default: ast.expr | None, function: ast.AsyncFunctionDef) -> str | None:
        """`m=Depends(Mailer)`: FastAPI gives an instance of the class."""
        if not (
            isinstance(default, ast.Call)
            and self.ctx.resolve(default.func) in DEPENDS
            and len(default.args) == 1
        ):
            return None
        return self._resolved(default.args[0], function)

    def _is_self(self, parameter: ast.arg, function: ast.AsyncFunctionDef) -> bool:
        """The first parameter of a method (not a static method) of the class around it."""
        positional = [*function.args.posonlyargs, *function.args.args]
        return (
            bool(positional)
            and positional[0] is parameter
            and self._classes_around(function) is not None
            and not any(
                self.ctx.resolve(decorator) in _STATIC for decorator in function.decorator_list
            )
        )

    def _own_class(self, function: ast.AsyncFunctionDef) -> str | None:
        """`module.Outer.Class` of the class whose body holds `function`."""
        names = self._classes_around(function)
        return ".".join([self.ctx.module, *names]) if names else None

    def _classes_around(self, function: ast.AsyncFunctionDef) -> list[str] | None:
        """The names of the classes around `function`, outermost first, when they are all
        there is around it (a class made inside a function is not in the index)."""
        scopes = self.ctx.scopes
        if function not in scopes:
            return None
        around = scopes[: scopes.index(function)]
        if not around or not all(isinstance(scope, ast.ClassDef) for scope in around):
            return None
        return [scope.name for scope in around]
