"""The project index: facts about every module of the project, asked by qualified name.

For now it answers "what kind of class is this?" (Pydantic model, settings, SQLModel table,
dataclass, attrs class, SQLAlchemy mapped class, enum), also through bases defined in other modules
and re-exported through packages. Later issues add routers, sessions and columns.
"""

from __future__ import annotations

from pathlib import Path

from fastapi_lint.semantic.facts import ClassFact, FunctionFact, ModuleFacts
from fastapi_lint.semantic.imports import canonical

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
    def __init__(self) -> None:
        self.modules: dict[str, ModuleFacts] = {}
        self._kinds: dict[str, frozenset[str]] = {}
        self._bindings_answers: dict[object, bool] = {}
        self.digest = ""  # set by the runner: changes when any module's facts change
        self._json_owners: dict[str, list[str]] | None = None
        # (path, why) of project modules nothing could read: their facts are missing
        self.unreadable: list[tuple[str, str]] = []

    def add(self, facts: ModuleFacts, names: list[str]) -> None:
        """Register a module under every name it can be imported by."""
        for name in names:
            self.modules[name] = facts
        self._kinds.clear()
        self._bindings_answers.clear()
        self._json_owners = None

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
            return frozenset()
        _facts, item = found
        if isinstance(item, str):  # a module-level `Base = declarative_base()`
            return frozenset({DECLARATIVE_BASE})
        return self.kinds_of(item)

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
        for fact in facts.classes:
            if fact.name == name:
                return facts, fact
        if name in facts.declarative_bases:
            return facts, name
        return None

    def definition(self, qualified: str, depth: int = 0) -> tuple[ModuleFacts, str] | None:
        """(module, name) where a project name is defined, following imports and re-exports."""
        if depth > 10:
            return None
        parts = qualified.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            facts = self.modules.get(".".join(parts[:cut]))
            if facts is None:
                continue
            rest = ".".join(parts[cut:])
            if facts.defines(rest) or (facts.defines(parts[cut]) and cut == len(parts) - 1):
                return facts, rest
            head = parts[cut]
            bound = facts.bindings.get(head)
            if bound and bound != f"{facts.module}.{head}":
                target = ".".join([bound, *parts[cut + 1 :]])
                return self.definition(canonical(target), depth + 1)
            return None
        return None

    def any_binding(self, predicate) -> bool:
        """Whether any module imports a name matching `predicate` (cached per predicate code)."""
        key = predicate.__code__
        cached = self._bindings_answers.get(key)
        if cached is None:
            cached = any(
                predicate(value)
                for facts in self.modules.values()
                for value in facts.bindings.values()
            )
            self._bindings_answers[key] = cached
        return cached

    # -- classes' members ----------------------------------------------------------------------
    def class_fact(self, qualified: str | None) -> ClassFact | None:
        found = self.lookup(canonical(qualified)) if qualified else None
        return found[1] if found is not None and isinstance(found[1], ClassFact) else None

    def ancestry(self, qualified: str | None) -> list[ClassFact]:
        """The class and its project bases, nearest first (each once)."""
        out: list[ClassFact] = []
        pending = [qualified] if qualified else []
        seen: set[str] = set()
        while pending and len(out) < 50:
            name = pending.pop(0)
            if not name or name in seen:
                continue
            seen.add(name)
            fact = self.class_fact(name)
            if fact is None:
                continue
            out.append(fact)
            pending.extend(fact.bases)
        return out

    def defines_method(self, qualified: str | None, method: str) -> bool:
        return any(method in fact.methods for fact in self.ancestry(qualified))

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


def module_names(path: Path, root: Path | None) -> tuple[str, str, list[str]]:
    """(primary module name, its package, every name the module may be imported by)."""
    path = path.resolve()
    stem_parts = [] if path.stem == "__init__" else [path.stem]
    is_package_init = path.stem == "__init__"

    package_parts: list[str] = []
    directory = path.parent
    while (directory / "__init__.py").exists() and directory != directory.parent:
        package_parts.insert(0, directory.name)
        if root is not None and directory == root:
            break
        directory = directory.parent
    names: list[str] = []
    by_package = ".".join(package_parts + stem_parts)
    if by_package:
        names.append(by_package)

    if root is not None:
        try:
            relative = path.relative_to(root)
        except ValueError:
            relative = None
        if relative is not None:
            parts = [*relative.parent.parts, *stem_parts]
            if parts and all(part.isidentifier() for part in parts):
                names.append(".".join(parts))
            if parts and parts[0] in ("src", "lib") and len(parts) > 1:
                names.append(".".join(parts[1:]))
    if not names:
        names.append(path.stem)
    names = list(dict.fromkeys(names))

    primary = by_package if package_parts else names[-1] if root else names[0]
    package = primary if is_package_init else primary.rpartition(".")[0]
    return primary, package, names
