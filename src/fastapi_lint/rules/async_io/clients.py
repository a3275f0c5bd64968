"""FAL201's question about a method call's receiver: is it a synchronous client (a
`redis.Redis`, a `boto3.client`, a `requests.Session`, ...), and which one?

A receiver is a client when it is made in the call itself, bound in the function (declared
with a client type, or assigned or `with`-bound to a client), made at module level in any
project module, or stored on `self` by a method of the class (or declared on it). The file's
model answers the local questions; each method's `self.<attr>` assignments are read once.
"""

from __future__ import annotations

import ast

from fastapi_lint.rules.base import FileContext
from fastapi_lint.semantic.annotations import declared_classes
from fastapi_lint.semantic.blocking import CLIENT_PACKAGES, QUIET_CLIENT_METHODS, BlockingCatalog

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


class SyncClients:
    def __init__(self, ctx: FileContext, catalog: BlockingCatalog) -> None:
        self.ctx = ctx
        self.catalog = catalog
        # A local name holds a client only if this module can name a client class or factory.
        self.local_clients_possible = ctx.imports_module(*CLIENT_PACKAGES)
        self._attribute_clients: dict[tuple[ast.ClassDef, str], str | None] = {}
        self._stored_on_self: dict[ast.AST, dict[str, ast.expr | None]] = {}

    def client_of(
        self,
        value: ast.expr,
        function: ast.AST,
        owner: ast.AST | None,
        seen: frozenset[str] = frozenset(),
    ) -> str | None:
        """The synchronous client class or factory (`redis.Redis`) that made `value`, used in
        `function` (a method of `owner` when that is a class). `seen`: the local names
        followed so far (`client = client` must not be followed forever)."""
        if isinstance(value, ast.Call):
            return self.made_by(self.ctx.resolve(value.func))
        model = self.ctx.model
        if isinstance(value, ast.Name) and value.id in seen:
            return None
        if isinstance(value, ast.Name) and self.local_clients_possible:
            declaration = model.declaration(function, value.id)
            if declaration is not None:
                annotation = declaration.annotation
                return self.client_class(annotation) if annotation is not None else None
            bound = model.assigned_values(function, value.id, with_items=True)
            if bound:
                return self.client_of(bound[0], function, owner, seen | {value.id})
        if isinstance(value, ast.Name):
            found = self.ctx.index.value_callee(self.ctx.resolve(value))
            return self.made_by(found[1]) if found else None
        if (
            isinstance(value, ast.Attribute)
            and isinstance(value.value, ast.Name)
            and value.value.id == "self"
            and isinstance(owner, ast.ClassDef)
        ):
            key = (owner, value.attr)
            if key not in self._attribute_clients:
                self._attribute_clients[key] = self._client_attribute(owner, value.attr)
            return self._attribute_clients[key]
        return None

    def made_by(self, callee: str | None) -> str | None:
        callee = callee.partition("[")[0] if callee else None
        kind = self.catalog.lookup(callee)
        return callee if kind is not None and kind.makes_client else None

    def is_client_method(self, qualified: str) -> bool:
        """`app.clients.cache.get`: a method of a module-level synchronous client."""
        receiver, _, method = qualified.rpartition(".")
        if not receiver or method in QUIET_CLIENT_METHODS:
            return False
        found = self.ctx.index.value_callee(receiver)
        return found is not None and self.made_by(found[1]) is not None

    def client_class(self, annotation: ast.expr) -> str | None:
        for name in declared_classes(self.ctx.resolve, annotation):
            if self.made_by(name):
                return name
        return None

    def _client_attribute(self, owner: ast.ClassDef, attribute: str) -> str | None:
        """`self.<attribute>` set to a client in a method, or declared with a client type."""
        for stmt in owner.body:
            if (
                isinstance(stmt, ast.AnnAssign)
                and isinstance(stmt.target, ast.Name)
                and stmt.target.id == attribute
            ):
                return self.client_class(stmt.annotation)
            if isinstance(stmt, _FUNCTIONS):
                value = self._self_attributes(stmt).get(attribute)
                if isinstance(value, ast.Call):
                    return self.made_by(self.ctx.resolve(value.func))
                if isinstance(value, ast.Name):
                    annotation = self.ctx.model.declared_annotation(stmt, value.id)
                    return self.client_class(annotation) if annotation else None
        return None

    def _self_attributes(self, method: ast.AST) -> dict[str, ast.expr | None]:
        """What a method first assigns to each `self.<attribute>`, read once per method."""
        found = self._stored_on_self.get(method)
        if found is None:
            found = self._stored_on_self[method] = {}
            for child in self.ctx.model.own_nodes(method):
                kind = type(child)
                if kind is ast.Assign:
                    targets = child.targets
                elif kind is ast.AnnAssign:
                    targets = [child.target]
                else:
                    continue
                for target in targets:
                    if (
                        isinstance(target, ast.Attribute)
                        and isinstance(target.value, ast.Name)
                        and target.value.id == "self"
                    ):
                        found.setdefault(target.attr, child.value)
        return found
