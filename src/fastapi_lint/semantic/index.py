"""The project index: facts about every module of the project, asked by qualified name.

It answers "what kind of class is this?" (Pydantic model, settings, SQLModel table, dataclass,
attrs class, SQLAlchemy mapped class, enum), also through bases defined in other modules and
re-exported through packages (star imports included), and what a name is: a router, a session
alias or factory, a dependency provider, a JSON column, a relationship, a model field.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import hashlib
import itertools
import json
import zlib
from collections.abc import Iterable
from pathlib import Path

from fastapi_lint.semantic.facts import ClassFact, FunctionFact, LazyFacts, ModuleFacts
from fastapi_lint.semantic.imports import ImportTable, canonical

PYDANTIC = "pydantic"  # any Pydantic model, settings and SQLModel included
SETTINGS = "settings"
SQLMODEL = "sqlmodel"
TABLE = "table"  # SQLModel with table=True
DATACLASS = "dataclass"
ATTRS = "attrs"
MAPPED = "mapped"  # mapped by SQLAlchemy (declarative class or SQLModel table)
DECLARATIVE_BASE = "declarative-base"
ENUM = "enum"
APP = "fastapi-app"
ROUTER = "api-router"
RESPONSE = "response"  # a Starlette/FastAPI Response class

KNOWN_CLASSES: dict[str, frozenset[str]] = {
    "pydantic.BaseModel": frozenset({PYDANTIC}),
    "pydantic.RootModel": frozenset({PYDANTIC}),
    "pydantic.generics.GenericModel": frozenset({PYDANTIC}),
    "pydantic.v1.BaseModel": frozenset({PYDANTIC}),
    "pydantic.v1.main.BaseModel": frozenset({PYDANTIC}),
    "pydantic_settings.BaseSettings": frozenset({PYDANTIC, SETTINGS}),
    "pydantic.BaseSettings": frozenset({PYDANTIC, SETTINGS}),
    "pydantic.v1.BaseSettings": frozenset({PYDANTIC, SETTINGS}),
    "sqlmodel.SQLModel": frozenset({PYDANTIC, SQLMODEL}),
    "sqlalchemy.orm.DeclarativeBase": frozenset({DECLARATIVE_BASE}),
    "sqlalchemy.orm.DeclarativeBaseNoMeta": frozenset({DECLARATIVE_BASE}),
    "fastapi.FastAPI": frozenset({APP}),
    "fastapi.APIRouter": frozenset({ROUTER}),
    "starlette.applications.Starlette": frozenset(),
    "starlette.responses.Response": frozenset({RESPONSE}),
    "starlette.responses.JSONResponse": frozenset({RESPONSE}),
    "starlette.responses.HTMLResponse": frozenset({RESPONSE}),
    "starlette.responses.PlainTextResponse": frozenset({RESPONSE}),
    "starlette.responses.RedirectResponse": frozenset({RESPONSE}),
    "starlette.responses.StreamingResponse": frozenset({RESPONSE}),
    "starlette.responses.FileResponse": frozenset({RESPONSE}),
    "fastapi.responses.ORJSONResponse": frozenset({RESPONSE}),
    "fastapi.responses.UJSONResponse": frozenset({RESPONSE}),
    "sse_starlette.EventSourceResponse": frozenset({RESPONSE}),
    "sse_starlette.sse.EventSourceResponse": frozenset({RESPONSE}),
    "enum.Enum": frozenset({ENUM}),
    "enum.IntEnum": frozenset({ENUM}),
    "enum.StrEnum": frozenset({ENUM}),
    "enum.Flag": frozenset({ENUM}),
    "enum.IntFlag": frozenset({ENUM}),
}
DATACLASS_DECORATORS = frozenset({"dataclasses.dataclass", "pydantic.dataclasses.dataclass"})
ATTRS_DECORATORS = frozenset(
    {"attr.attrs", "attr.dataclass", "attrs.define", "attrs.frozen", "attr.attributes"}
)
# Kinds a subclass inherits from its base (a dataclass's subclass is not a dataclass by itself).
INHERITED = frozenset({PYDANTIC, SETTINGS, SQLMODEL, MAPPED, ENUM, APP, ROUTER, RESPONSE})


class ProjectIndex:
    notes_queries = False  # (a `RecordingIndex` notes them: semantic/queries.py)

    def __init__(self) -> None:
        self.modules: dict[str, ModuleFacts] = {}
        self.digest = ""  # set by the runner: changes when any module's facts change
        # (path, why) of project modules nothing could read: their facts are missing
        self.unreadable: list[tuple[Path, str]] = []  # (resolved path, why)
        self._forget()

    def _forget(self) -> None:
        """Drop every answer worked out from the modules (they changed, or this copy is sent
        to another process: answers keyed by object identity mean nothing there)."""
        self._kinds: dict[str, frozenset[str]] = {}
        self._bindings_answers: dict[object, frozenset[str]] = {}
        self._json_owners: dict[str, list[str]] | None = None
        self._json_names: frozenset[str] | None = None
        self._decoded: bool | None = None
        self._method_answers: dict[str, bool] = {}
        self._includes: list | None = None
        self._facts_prints: dict[int, tuple[ModuleFacts, str]] = {}
        self._class_names: dict[int, tuple[ModuleFacts, dict[str, ClassFact]]] = {}
        self.answer_prints: dict[tuple, str] = {}  # query -> fingerprint (semantic.queries)
        self.query_texts: dict[tuple, str] = {}  # query -> its JSON (semantic.queries)
        self._definitions: dict[tuple[str, int], tuple[ModuleFacts, str] | None] = {}

    def __getstate__(self) -> dict:
        """What a worker process receives: the modules, not the answers (some are keyed by
        object ids or code objects, which do not survive pickling)."""
        return {"modules": self.modules, "digest": self.digest, "unreadable": self.unreadable}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._forget()

    def add(self, facts: ModuleFacts, names: list[str]) -> None:
        """Register a module under every name it can be imported by; the first is its own name
        and wins over another module's other names, whatever the order they are added in."""
        for name in names[1:]:
            known = self.modules.get(name)
            if known is None or known.module != name:
                self.modules[name] = facts
        self.modules[names[0]] = facts
        self._forget()

    def has_module(self, module: str) -> bool:
        return module in self.modules

    # -- star imports --------------------------------------------------------------------------
    def expand_stars(self) -> None:
        """Give every module that star-imports a project module the names that import brings."""
        for name, facts in self.modules.items():
            if facts.stars and name == facts.module:
                self.add_star_names(facts)
        self._forget()  # bases and bindings may now resolve further

    def add_star_names(self, facts: ModuleFacts) -> None:
        """Bind what `from M import *` brings; the module's own bindings win (a fresh dict:
        the cached facts keep only what the file itself says)."""
        brought: dict[str, str] = {}
        for module in facts.stars:
            brought.update(self.star_names(module))
        if brought:
            facts.bindings = {**brought, **facts.bindings}

    def as_linted(self, facts: ModuleFacts) -> ModuleFacts:
        """The facts a checked file is linted with: a copy holding the names its star imports
        bring (the index's own entry is left as it is)."""
        if not facts.stars:
            return facts
        linted = dataclasses.replace(facts)
        self.add_star_names(linted)
        return linted

    def star_names(self, module: str) -> dict[str, str]:
        """Name -> qualified name of what `from module import *` binds."""
        return self._public_names(module, set())

    def _public_names(self, module: str, seen: set[str]) -> dict[str, str]:
        """Name -> qualified name of what `from module import *` binds: its `__all__`, else
        every name not starting with `_` (star imports of its own included)."""
        facts = self.modules.get(module)
        if facts is None or module in seen:
            return {}
        seen.add(module)
        bound = dict(facts.bindings)
        for inner in facts.stars:
            for name, target in self._public_names(inner, seen).items():
                bound.setdefault(name, target)
        if facts.exports is not None:
            return {name: bound.get(name, f"{module}.{name}") for name in facts.exports}
        return {
            name: target
            for name, target in bound.items()
            if not name.startswith("_") and not target.startswith("__future__.")
        }

    # -- classes -------------------------------------------------------------------------------
    def class_kinds(self, qualified: str | None) -> frozenset[str]:
        if not qualified:
            return frozenset()
        qualified = canonical(qualified)
        cached = self._kinds.get(qualified)
        if cached is None:
            self._kinds[qualified] = frozenset()  # a cycle of bases answers "nothing known"
            cached = self._compute_kinds(qualified)
            self._kinds[qualified] = cached
        return cached

    def _compute_kinds(self, qualified: str) -> frozenset[str]:
        known = KNOWN_CLASSES.get(qualified)
        if known is not None:
            return known
        found = self.lookup(qualified)
        if found is None:
            return self._made_class_kinds(qualified)
        _facts, item = found
        if isinstance(item, str):  # a module-level `Base = declarative_base()`
            return frozenset({DECLARATIVE_BASE})
        return self.kinds_of(item)

    def _made_class_kinds(self, qualified: str) -> frozenset[str]:
        """`APIRouter = get_router_class(MyRoute)`: a class made by a project function, known
        by the local class it returns or by its `-> type[X]` annotation."""
        made = self.value_callee(qualified)
        found = self.definition(canonical(made[1])) if made else None
        if found is None:
            return frozenset()
        facts, name = found
        bases = list(facts.class_factories.get(name, []))
        function = facts.functions.get(name)
        annotation = parse_expression(function.returns) if function else None
        if isinstance(annotation, ast.Subscript):
            origin = facts.imports().resolve(annotation.value)
            if origin in ("builtins.type", "typing.Type", "type"):
                bases.append(facts.imports().resolve(annotation.slice) or "")
        kinds: set[str] = set()
        for base in bases:
            kinds |= self.class_kinds(base) & INHERITED
        return frozenset(kinds)

    def kinds_of(self, fact: ClassFact) -> frozenset[str]:
        """Kinds of a class from its own facts: bases (through the index) and decorators."""
        kinds: set[str] = set()
        for base in fact.bases:
            base_kinds = self.class_kinds(base)
            kinds |= base_kinds & INHERITED
            if DECLARATIVE_BASE in base_kinds:
                kinds.add(MAPPED)
        for decorator in fact.decorators:
            if decorator in DATACLASS_DECORATORS:
                kinds.add(DATACLASS)
            elif decorator in ATTRS_DECORATORS:
                kinds.add(ATTRS)
            elif decorator == "sqlalchemy.orm.as_declarative":
                kinds.add(DECLARATIVE_BASE)
            elif decorator.endswith(".mapped") or decorator.endswith(".mapped_as_dataclass"):
                kinds.add(MAPPED)
        if SQLMODEL in kinds and fact.keywords.get("table") == "True":
            kinds |= {TABLE, MAPPED}
        return frozenset(kinds)

    def lookup(self, qualified: str) -> tuple[ModuleFacts, ClassFact | str] | None:
        """The class (or declarative base name) a qualified name denotes, following re-exports."""
        found = self.definition(qualified)
        if found is None:
            return None
        facts, name = found
        fact = self._classes_of(facts).get(name)
        if fact is not None:
            return facts, fact
        if name in facts.declarative_bases:
            return facts, name
        return None

    def definition(self, qualified: str, depth: int = 0) -> tuple[ModuleFacts, str] | None:
        """(module, name) where a project name is defined, following imports and re-exports;
        worked out once per name while the modules stay the same (asked for every name every
        rule resolves)."""
        key = (qualified, depth)
        try:
            return self._definitions[key]
        except KeyError:
            found = self._definitions[key] = self._definition(qualified, depth)
            return found

    def _definition(self, qualified: str, depth: int) -> tuple[ModuleFacts, str] | None:
        if depth > 10:
            return None
        parts = qualified.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            facts = self.modules.get(".".join(parts[:cut]))
            if facts is None:
                continue
            rest = ".".join(parts[cut:])
            if self._defines(facts, rest):
                return facts, rest
            head = parts[cut]
            bound = facts.bindings.get(head)
            if bound and bound != f"{facts.module}.{head}":
                target = ".".join([bound, *parts[cut + 1 :]])
                return self.definition(canonical(target), depth + 1)
            return None
        return None

    def _defines(self, facts: ModuleFacts, name: str) -> bool:
        """`facts.defines(name)`, its classes found by name (a module may hold thousands)."""
        return (
            name in facts.calls
            or name in facts.aliases
            or name in facts.functions
            or name in facts.declarative_bases
            or name in self._classes_of(facts)
        )

    def _classes_of(self, facts: ModuleFacts) -> dict[str, ClassFact]:
        """A module's classes by name (the first of a name wins, as a scan would find it)."""
        known = self._class_names.get(id(facts))
        if known is None:  # kept with the facts: the id is not reused while it is known
            named: dict[str, ClassFact] = {}
            for fact in facts.classes:
                named.setdefault(fact.name, fact)
            known = self._class_names[id(facts)] = (facts, named)
        return known[1]

    def packages_import(self, packages: frozenset[str], predicate) -> bool:
        """Whether a module of these top-level packages imports a name matching `predicate`."""
        key = predicate.__code__
        matching = self._bindings_answers.get(key)
        if matching is None:  # the top-level packages with such an import, found once
            matching = frozenset(
                name.partition(".")[0]
                for name, facts in self.modules.items()
                if any(predicate(value) for value in facts.bindings.values())
            )
            self._bindings_answers[key] = matching
        return not matching.isdisjoint(packages)

    # -- classes' members ----------------------------------------------------------------------
    def class_fact(self, qualified: str | None) -> ClassFact | None:
        found = self.lookup(canonical(qualified)) if qualified else None
        return found[1] if found is not None and isinstance(found[1], ClassFact) else None

    def ancestry(self, qualified: str | None) -> list[ClassFact]:
        """The class and its project bases, nearest first (each once)."""
        return [fact for _facts, fact in self._ancestry(qualified)]

    def _ancestry(self, qualified: str | None) -> list[tuple[ModuleFacts, ClassFact]]:
        out: list[tuple[ModuleFacts, ClassFact]] = []
        pending = [qualified] if qualified else []
        seen: set[str] = set()
        while pending and len(out) < 50:
            name = pending.pop(0)
            if not name or name in seen:
                continue
            seen.add(name)
            found = self.lookup(canonical(name))
            if found is None or not isinstance(found[1], ClassFact):
                continue
            out.append((found[0], found[1]))
            pending.extend(found[1].bases)
        return out

    def defines_method(self, qualified: str | None, method: str) -> bool:
        return any(method in fact.methods for fact in self.ancestry(qualified))

    def field_annotation(
        self, qualified: str | None, name: str
    ) -> tuple[ImportTable, ast.expr] | None:
        """How a class (or its nearest project base) annotates `name`: the parsed annotation
        and the import table of its module, to resolve the names it uses."""
        for facts, fact in self._ancestry(qualified):
            if name in fact.fields:
                annotation = parse_expression(fact.fields[name])
                return (facts.imports(), annotation) if annotation is not None else None
        return None

    def json_columns(self, qualified: str | None) -> dict[str, str]:
        """Column name -> UNTRACKED/TRACKED for a mapped class, bases and mixins included."""
        ancestry = self.ancestry(qualified)
        type_map: dict[str, str] = {}
        for fact in reversed(ancestry):
            type_map.update(fact.type_map)
        columns: dict[str, str] = {}
        for fact in reversed(ancestry):  # nearest definitions win
            for name, annotation in fact.mapped_annotations.items():
                origin = annotation.split("[")[0]
                kind = type_map.get(annotation) or type_map.get(origin)
                if kind is not None:
                    columns[name] = kind
            columns.update(fact.columns)
        return columns

    def classes_with_column(self, column: str) -> list[str]:
        """Qualified names of mapped classes that have an untracked JSON column `column`."""
        if self._json_owners is None:
            self._json_owners = self._all_json_columns()
        return self._json_owners.get(column, [])

    def json_column_names(self) -> frozenset[str]:
        """Every name `json_columns` can give the kind "json" for, whatever the class: the JSON
        columns any class declares, and when any class maps an annotation to JSON (its
        `type_annotation_map`), every `Mapped[...]` name left to a map. A superset (bases,
        overrides and kinds are not worked out), for rules to skip files that name none."""
        if self._json_names is None:
            names: set[str] = set()
            mapped: set[str] = set()
            maps_json = False
            for facts in {id(facts): facts for facts in self.modules.values()}.values():
                for fact in facts.classes:
                    names.update(name for name, kind in fact.columns.items() if kind == "json")
                    mapped.update(fact.mapped_annotations)
                    maps_json = maps_json or "json" in fact.type_map.values()
            self._json_names = frozenset(names | mapped if maps_json else names)
        return self._json_names

    def facts_decoded(self) -> bool:
        """Whether every module's facts are in memory: none waits in the index cache to be
        decoded (`LazyFacts`), so a question about every module decodes nothing. Worked out
        once while the modules stay the same (a module decoded later leaves it False: the
        answer only ever errs on the side of not asking). Not a question about the project:
        no results depend on it, and it is not noted (semantic/queries.py)."""
        if self._decoded is None:
            self._decoded = not any(type(facts) is LazyFacts for facts in self.modules.values())
        return self._decoded

    def json_columns_printed(self, prints: Iterable[int]) -> tuple[str, ...]:
        """The names some class may have a JSON column by (`json_column_names`) whose
        `name_print` is one of `prints`, sorted."""
        wanted = frozenset(prints)
        return tuple(
            sorted(name for name in self.json_column_names() if name_print(name) in wanted)
        )

    def _all_json_columns(self) -> dict[str, list[str]]:
        owners: dict[str, list[str]] = {}
        for module, facts in self.modules.items():
            if module != facts.module:
                continue  # each module once, under its primary name
            for fact in facts.classes:
                qualified = f"{facts.module}.{fact.name}"
                if MAPPED in self.class_kinds(qualified):
                    for column, kind in self.json_columns(qualified).items():
                        if kind == "json":
                            owners.setdefault(column, []).append(qualified)
        return owners

    # -- values, aliases, functions ------------------------------------------------------------
    def value_callee(self, qualified: str | None) -> tuple[ModuleFacts, str] | None:
        """For `router = APIRouter()` in a project module: (that module, "fastapi.APIRouter")."""
        found = self.definition(qualified) if qualified else None
        if found is None:
            return None
        facts, name = found
        callee = facts.calls.get(name)
        return (facts, callee) if callee else None

    def alias(self, qualified: str | None) -> tuple[ModuleFacts, str] | None:
        found = self.definition(qualified) if qualified else None
        if found is None:
            return None
        facts, name = found
        source = facts.aliases.get(name)
        return (facts, source) if source else None

    def function(self, qualified: str | None) -> tuple[ModuleFacts, FunctionFact] | None:
        found = self.definition(qualified) if qualified else None
        if found is None:
            return None
        facts, name = found
        fact = facts.functions.get(name)
        return (facts, fact) if fact else None

    def method(self, qualified: str | None) -> tuple[ModuleFacts, FunctionFact] | None:
        """`app.services.Mailer.send`: what the method `send` of the project class `Mailer`
        blocks on and calls (the class's own, else its nearest project base's). None when the
        class is not a project class, or that method is async, a property, or neither blocks
        nor calls anything."""
        owner, _, name = qualified.rpartition(".") if qualified else ("", "", "")
        for key, entry in self._method_order(owner) if owner else ():
            if entry is None:  # a base outside the project: it may define `name` itself
                if key in _BASES_WITHOUT_METHODS:
                    continue
                return None
            facts, fact = entry
            if name in fact.methods:
                found = facts.method_facts.get(f"{fact.name}.{name}")
                return (facts, found) if found is not None else None
        return None

    def _method_order(self, qualified: str) -> list[tuple[object, tuple | None]]:
        """The class's method resolution order (C3, as Python's), as (key, (module facts, class
        fact)) for project classes and (name, None) for a base outside the project, whose own
        bases are unknown (each base that is not a plain name, `make_base()`, its own). When
        C3 fails (a hierarchy Python would refuse, or one only partly known) the class's own
        methods still count."""
        known: dict[str, list | None] = {}  # each class linearised once: diamonds stay linear
        unnamed = itertools.count()

        def linear(name: str, within: tuple[str, ...]) -> list | None:
            if not name:
                return [(("?", next(unnamed)), None)]
            found = self.lookup(canonical(name))
            if found is None or not isinstance(found[1], ClassFact):
                return [(name, None)]
            key = f"{found[0].module}.{found[1].name}"
            if key in within or len(within) > 50:
                return None  # a cycle: not a class Python can make
            if key not in known:
                parts = [linear(base, (*within, key)) for base in found[1].bases]
                merged = None
                if not any(part is None for part in parts):
                    merged = _c3_merge([*parts, [part[0] for part in parts]])
                known[key] = None if merged is None else [(key, found), *merged]
            return known[key]

        order = linear(qualified, ())
        if order is None:
            found = self.lookup(canonical(qualified))
            if found is not None and isinstance(found[1], ClassFact):
                return [(qualified, found), ("?", None)]  # its own methods, then unknown
        return order or []

    def returns_response(self, qualified: str | None, depth: int = 2) -> bool:
        """Whether a project function or method (`mod.Class.method`) gives a `Response`: by
        its return annotation, or, when it has none or `-> Any`, by what every `return` calls,
        followed `depth` calls deep."""
        found = self._callable(qualified)
        if found is None:
            return False
        facts, returned, owner = found
        return self._gives_response(facts, returned, depth, owner)

    def _callable(self, qualified: str | None) -> tuple[ModuleFacts, list, str] | None:
        """(module, what it returns, its class or "") of a project function or method."""
        if not qualified:
            return None
        found = self.definition(canonical(qualified))
        if found is None and "." in qualified:
            owner, method = qualified.rsplit(".", 1)
            cls = self.definition(canonical(owner))
            found = (cls[0], f"{cls[1]}.{method}") if cls else None
        returned = found[0].returned.get(found[1]) if found else None
        if not returned:
            return None
        facts, name = found
        owner = f"{facts.module}.{name.rsplit('.', 1)[0]}" if "." in name else ""
        return facts, returned, owner

    def _gives_response(
        self, facts: ModuleFacts, returned: list, depth: int, owner: str = ""
    ) -> bool:
        annotation, callees = returned
        imports = facts.imports()

        def resolve(node: ast.expr | None) -> str | None:
            # `self.render(...)` in a method is the class's own `render`
            if (
                owner
                and isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in ("self", "cls")
            ):
                return f"{owner}.{node.attr}"
            return imports.resolve(node)

        if annotation:
            resolved = resolve(parse_expression(annotation))
            if RESPONSE in self.class_kinds(resolved):
                return True
            if resolved not in ("typing.Any", "typing_extensions.Any"):
                return False
        if depth <= 0 or not callees:
            return False
        return all(
            callee
            and (
                callee.rsplit(".", 1)[-1].lower().endswith(("response", "redirect"))
                or RESPONSE in self.class_kinds(resolve(parse_expression(callee)))
                or self.returns_response(resolve(parse_expression(callee)), depth - 1)
            )
            for callee in callees
        )

    def methods_returning_response(self, method: str) -> bool:
        """Whether the project defines methods named `method` and every one gives a Response
        (for `obj.method(...)` whose class is not known)."""
        known = self._method_answers.get(method)
        if known is None:
            known = self._method_answers[method] = self._all_methods_give_response(method)
        return known

    def _all_methods_give_response(self, method: str) -> bool:
        answers = [
            self._gives_response(facts, returned, 1, f"{facts.module}.{key.rsplit('.', 1)[0]}")
            for name, facts in self.modules.items()
            if name == facts.module
            for key, returned in facts.returned.items()
            if "." in key and key.rsplit(".", 1)[1] == method
        ]
        return bool(answers) and all(answers)

    def response_default(self, qualified: str | None, depth: int = 0) -> str:
        """The default response class of the app or router `qualified`: its own
        `default_response_class=`, else the one every `include_router` of it passes on."""
        found = self.definition(canonical(qualified)) if qualified else None
        if found is None or depth > 5:
            return ""
        own = found[0].response_defaults.get(found[1], "")
        if own:
            return own
        if self._includes is None:
            self._includes = [
                (self.definition(canonical(included)), parent, default)
                for name, facts in self.modules.items()
                if name == facts.module
                for included, parent, default in facts.includes
            ]
        passed = {
            default or self.response_default(parent, depth + 1)
            for included, parent, default in self._includes
            if included is not None and included[0] is found[0] and included[1] == found[1]
        }
        return passed.pop() if len(passed) == 1 else ""  # "" also when includes disagree

    def is_json_response(self, qualified: str | None, depth: int = 0) -> bool:
        """A JSON response class (`JSONResponse`, `ORJSONResponse`, ... or a project subclass)."""
        if not qualified or depth > 10:
            return False
        if canonical(qualified) in JSON_RESPONSES:
            return True
        fact = self.class_fact(qualified)
        return fact is not None and any(self.is_json_response(b, depth + 1) for b in fact.bases)

    # -- fingerprints of answers (results cached on what a file asked: semantic/queries.py) ----
    def fingerprint(self, answer: object) -> str:
        """A short digest of an answer this index gave, stable across runs: equal answers give
        equal digests. A module's facts count whole, the names its star imports bring included
        (they sit in its bindings)."""
        return _short_digest(self._stable(answer))

    def _stable(self, answer: object) -> str:
        if answer is None:
            return "none"
        if isinstance(answer, ModuleFacts):
            return "module:" + self._facts_print(answer)
        if isinstance(answer, (ClassFact, FunctionFact)):
            return type(answer).__name__ + json.dumps(answer.to_json(), sort_keys=True)
        if isinstance(answer, ImportTable):
            table = [answer.module, answer.package, sorted(answer.bindings.items()), answer.stars]
            return "imports" + json.dumps(table)
        if isinstance(answer, ast.AST):
            return ast.dump(answer)
        if isinstance(answer, (str, int, float)):  # bool included
            return repr(answer)
        if isinstance(answer, (frozenset, set)):
            return "{" + ",".join(sorted(self._stable(item) for item in answer)) + "}"
        if isinstance(answer, (list, tuple)):
            return "[" + ",".join(self._stable(item) for item in answer) + "]"
        if isinstance(answer, dict):
            pairs = sorted(f"{self._stable(k)}:{self._stable(v)}" for k, v in answer.items())
            return "{" + ",".join(pairs) + "}"
        raise TypeError(f"no fingerprint for a {type(answer).__name__}")

    def _facts_print(self, facts: ModuleFacts) -> str:
        known = self._facts_prints.get(id(facts))
        if known is None:  # the facts are kept with their print: the id is not reused
            text = json.dumps(facts.to_json(), sort_keys=True)
            known = self._facts_prints[id(facts)] = (facts, _short_digest(text))
        return known[1]


def name_print(name: str) -> int:
    """A 16-bit print of a name, stable across runs: what a file's lint tells the index (and the
    results cache keeps) of the names it spells, instead of the names, which may be taken from
    a secret in a string. Two names with one print only make a rule run where it need not."""
    return zlib.crc32(name.encode("utf-8", "surrogatepass")) & 0xFFFF


def _short_digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


JSON_RESPONSES = frozenset(
    {
        "starlette.responses.JSONResponse",
        "fastapi.responses.ORJSONResponse",
        "fastapi.responses.UJSONResponse",
    }
)


@functools.lru_cache(maxsize=4096)
def parse_expression(source: str) -> ast.expr | None:
    """A stored expression (an annotation, an alias value) parsed, once per run for each text;
    None when it does not parse. The tree is shared: callers only read it."""
    try:
        return ast.parse(source, mode="eval").body
    except SyntaxError:
        return None


# Bases outside the project known to give their subclasses no methods of a user's names.
_BASES_WITHOUT_METHODS = frozenset(
    {
        "builtins.object",
        "abc.ABC",
        "typing.Generic",
        "typing.Protocol",
        "typing_extensions.Protocol",
    }
)


def _c3_merge(sequences: list[list]) -> list | None:
    """C3's merge of (key, value) sequences, by key; None when there is no consistent order."""
    pending = [list(sequence) for sequence in sequences if sequence]
    out = []
    while pending:
        for sequence in pending:
            head = sequence[0][0]
            if not any(head in (key for key, _ in other[1:]) for other in pending):
                break
        else:
            return None
        out.append(sequence[0])
        pending = [other[1:] if other[0][0] == head else other for other in pending]
        pending = [other for other in pending if other]
    return out
