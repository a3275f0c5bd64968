"""Is this function a FastAPI route handler?

A route is a function decorated with `X.get(...)`, `X.post(...)`, ... `X.api_route(...)` or
`X.websocket(...)` where `X` holds a `FastAPI()` or `APIRouter()` (or an instance of a subclass),
bound in this function's enclosing functions, in this module or in another module of the project;
or a function given to `X.add_api_route(path, func)`. When `X` cannot be resolved (it comes from
outside the project), the decorator counts only if the module imports fastapi and the first
argument is a string literal path. Never the receiver's name: real applications use hundreds.
A router class may be a project subclass or made by a project factory (see index.py). A route
also knows the `default_response_class=` its app or router was created with.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import TYPE_CHECKING

from fastapi_lint.semantic.facts import registered_endpoint, response_default
from fastapi_lint.semantic.index import APP, ROUTER
from fastapi_lint.semantic.model import FileModel

if TYPE_CHECKING:
    from fastapi_lint.semantic.file import SemanticFile

HTTP_METHODS = frozenset(
    {"get", "post", "put", "patch", "delete", "head", "options", "trace", "api_route"}
)
ROUTE_METHODS = HTTP_METHODS | {"websocket"}
ROUTERS = frozenset({APP, ROUTER})


@dataclass(frozen=True)
class Route:
    decorator: ast.Call | None  # None for add_api_route endpoints
    method: str
    registration: ast.Call | None = None  # the `X.add_api_route(path, func, ...)` call
    default_response: str = ""  # `default_response_class=` of its app or router, qualified

    @property
    def is_http(self) -> bool:
        return self.method in HTTP_METHODS

    @property
    def call(self) -> ast.Call | None:
        """The call that declares the route's options: its decorator or its registration."""
        return self.decorator or self.registration


def route_of(file: SemanticFile, func: ast.FunctionDef | ast.AsyncFunctionDef) -> Route | None:
    for decorator in func.decorator_list:
        if not (
            isinstance(decorator, ast.Call)
            and isinstance(decorator.func, ast.Attribute)
            and decorator.func.attr in ROUTE_METHODS
        ):
            continue
        receiver = decorator.func.value
        known = is_router(file, receiver)
        if known is True or (known is None and _fallback(file, decorator)):
            return Route(decorator, decorator.func.attr, None, default_response(file, receiver))
    if func.name in file.facts.endpoints and not any(
        isinstance(scope, ast.ClassDef) for scope in file.scopes
    ):
        registration = file.registrations().get(func.name)
        if registration is None:
            return Route(None, "api_route")
        method = "websocket" if registration.func.attr.endswith("websocket_route") else "api_route"
        receiver = registration.func.value
        return Route(None, method, registration, default_response(file, receiver))
    return None


def endpoint_registrations(tree: ast.Module) -> dict[str, ast.Call]:
    """Endpoint name -> the first `X.add_api_route(path, name)` call of the module (in the
    order of `ast.walk`) that registers it."""
    found: dict[str, ast.Call] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = registered_endpoint(node)
            if name is not None:
                found.setdefault(name, node)
    return found


def default_response(file: SemanticFile, receiver: ast.expr) -> str:
    """The qualified `default_response_class=` the app or router `receiver` was created with."""
    if isinstance(receiver, ast.Name):
        for scope in reversed(file.scopes):
            if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
                made = _local_call(file.model, scope, receiver.id)
                if made is not None:
                    return response_default(made, file.resolve)
    return file.index.response_default(file.resolve(receiver))


def _fallback(file: SemanticFile, decorator: ast.Call) -> bool:
    first = decorator.args[0] if decorator.args else None
    for keyword in decorator.keywords:
        if keyword.arg == "path":
            first = keyword.value
    return file.imports_fastapi and isinstance(first, ast.Constant) and isinstance(first.value, str)


def is_router(file: SemanticFile, receiver: ast.expr) -> bool | None:
    """True: a FastAPI app or router; False: known to be something else; None: unknown."""
    if isinstance(receiver, ast.Name):
        for scope in reversed(file.scopes):
            if isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef)):
                local = _local_value(file, scope, receiver.id)
                if local is not None:
                    return local
    qualified = file.resolve(receiver)
    if qualified is None:
        return None
    found = file.index.value_callee(qualified)
    if found is None:
        return None  # imported from outside the project, or not a plain assignment
    _, callee = found
    return bool(file.index.class_kinds(callee) & ROUTERS)


def _local_value(file: SemanticFile, func, name: str) -> bool | None:
    """A router made or received inside an enclosing function (an app factory)."""
    for arg in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]:
        if arg.arg == name and arg.annotation is not None:
            return bool(file.index.class_kinds(file.resolve(arg.annotation)) & ROUTERS)
    made = _local_call(file.model, func, name)
    if made is not None:
        return bool(file.index.class_kinds(file.resolve(made.func)) & ROUTERS)
    return None


def _local_call(model: FileModel, func, name: str) -> ast.Call | None:
    """The first call assigned to `name` in `func`'s own code (`application = FastAPI(...)`)."""
    for value in model.assigned_values(func, name):
        if isinstance(value, ast.Call):
            return value
    return None
