"""FAL5xx: Pydantic v2 — the v1 `class Config` and v1 method names, with their v2 spelling.

Both rules run only when the project uses Pydantic v2. `pydantic-version` in
`[tool.fastapi-lint]` says so (1 or 2); by default ("auto") the project's declared dependencies
decide when they admit one major only (`pydantic~=2.5`; every source is in dependencies.py),
then its lock file, else the code: a module that imports a v2-only name (`ConfigDict`,
`field_validator`, `pydantic_settings`, `pydantic.v1`, ...) in the file's own top-level package
or in a project package the file imports from (so two applications checked together keep their
own answers). Code with none of these is taken to be on v1, where these names are not
deprecated.
"""

from __future__ import annotations

import ast

from fastapi_lint.diagnostics import Applicability, Edit, Fix
from fastapi_lint.rules.base import FileContext, FixAvailability, Rule
from fastapi_lint.semantic.annotations import declared_classes
from fastapi_lint.semantic.index import PYDANTIC, SETTINGS
from fastapi_lint.semantic.queries import replayable

# v1 Config key -> v2 ConfigDict key (None: no v2 equivalent, so no fix)
CONFIG_KEYS: dict[str, str | None] = {
    "orm_mode": "from_attributes",
    "allow_population_by_field_name": "populate_by_name",
    "anystr_strip_whitespace": "str_strip_whitespace",
    "anystr_lower": "str_to_lower",
    "anystr_upper": "str_to_upper",
    "min_anystr_length": "str_min_length",
    "max_anystr_length": "str_max_length",
    "validate_all": "validate_default",
    "schema_extra": "json_schema_extra",
    "keep_untouched": "ignored_types",
    "allow_mutation": "frozen",  # inverted value, see _config_value
    "extra": "extra",
    "title": "title",
    "frozen": "frozen",
    "validate_assignment": "validate_assignment",
    "arbitrary_types_allowed": "arbitrary_types_allowed",
    "use_enum_values": "use_enum_values",
    "json_encoders": "json_encoders",
    "str_strip_whitespace": "str_strip_whitespace",
    "from_attributes": "from_attributes",
    "populate_by_name": "populate_by_name",
    "alias_generator": "alias_generator",
    "protected_namespaces": "protected_namespaces",
    "env_file": "env_file",
    "env_file_encoding": "env_file_encoding",
    "env_prefix": "env_prefix",
    "env_nested_delimiter": "env_nested_delimiter",
    "case_sensitive": "case_sensitive",
    "secrets_dir": "secrets_dir",
    "fields": None,
    "underscore_attrs_are_private": None,
    "copy_on_model_validation": None,
    "smart_union": None,
    "json_loads": None,
    "json_dumps": None,
    "getter_dict": None,
    "error_msg_templates": None,
}
EXTRA = {"pydantic.Extra.allow": "allow", "pydantic.Extra.forbid": "forbid"}
EXTRA["pydantic.Extra.ignore"] = "ignore"

# v1 method -> (v2 name, keyword arguments that keep their meaning in v2)
METHODS: dict[str, tuple[str | None, frozenset[str]]] = {
    "dict": (
        "model_dump",
        frozenset(
            {"include", "exclude", "by_alias", "exclude_unset", "exclude_defaults", "exclude_none"}
        ),
    ),
    "json": (
        "model_dump_json",
        frozenset(
            {
                "include",
                "exclude",
                "by_alias",
                "exclude_unset",
                "exclude_defaults",
                "exclude_none",
                "indent",
            }
        ),
    ),
    "copy": ("model_copy", frozenset({"update", "deep"})),
    "parse_obj": ("model_validate", frozenset()),
    "parse_raw": ("model_validate_json", frozenset()),
    "from_orm": ("model_validate", frozenset()),
    "schema": ("model_json_schema", frozenset({"by_alias", "ref_template"})),
    "schema_json": (None, frozenset()),
    "construct": ("model_construct", frozenset({"_fields_set"})),
    "update_forward_refs": ("model_rebuild", frozenset()),
}
CLASS_METHODS = frozenset(
    {
        "parse_obj",
        "parse_raw",
        "from_orm",
        "schema",
        "schema_json",
        "construct",
        "update_forward_refs",
    }
)
# Calls that make an instance of the class they are called on, and of the instance they copy.
CONSTRUCTORS = frozenset(
    {
        "model_validate",
        "model_validate_json",
        "model_construct",
        "parse_obj",
        "parse_raw",
        "from_orm",
        "construct",
    }
)
COPIES = frozenset({"model_copy", "copy"})

V2_MARKERS = frozenset(
    {
        "pydantic.ConfigDict",
        "pydantic.field_validator",
        "pydantic.model_validator",
        "pydantic.field_serializer",
        "pydantic.model_serializer",
        "pydantic.computed_field",
        "pydantic.RootModel",
        "pydantic.TypeAdapter",
        "pydantic_settings.BaseSettings",
        "pydantic_settings.SettingsConfigDict",
    }
)


def uses_pydantic_v2(ctx: FileContext) -> bool:
    """Asked once per file, whichever of FAL501-503 asks and however often."""
    return ctx.memo(uses_pydantic_v2, lambda: _uses_pydantic_v2(ctx))


def _uses_pydantic_v2(ctx: FileContext) -> bool:
    declared = ctx.settings.pydantic_version
    if declared != "auto":
        return declared == 2
    # Code evidence counts within the file's own top-level package and the packages it imports
    # from: two applications checked in one run (a v1 one next to a v2 one) keep their own
    # answers, and tests that import the application follow it.
    packages = {ctx.module.partition(".")[0]}
    packages.update(value.partition(".")[0] for value in ctx.imports.bindings.values())
    return ctx.index.packages_import(frozenset(packages), marks_pydantic_v2)


@replayable  # cached results ask it again
def marks_pydantic_v2(imported: str) -> bool:
    """An import only Pydantic v2 code makes."""
    return imported in V2_MARKERS or imported.startswith(("pydantic.v1", "pydantic_settings"))


# -- FAL501 -----------------------------------------------------------------------------------
class PydanticV1Config(Rule):
    """
    ## What it does
    Checks for a `class Config:` inside a Pydantic model (also `BaseSettings` and `SQLModel`),
    the Pydantic v1 way to configure a model.

    ## Why is this bad?
    Pydantic v2 deprecates `class Config` in favour of `model_config = ConfigDict(...)` and
    renamed most keys (`orm_mode` is `from_attributes`). A v1 key that v2 no longer knows is
    silently ignored: `orm_mode = True` in a v2 model does nothing, and `Model.model_validate(
    orm_object)` then fails at runtime.

    Runs only when the project uses Pydantic v2. The first of these that settles the major
    decides: the `pydantic-version` setting (1 or 2); by default ("auto") the declared
    dependencies that admit one major only (`[project]` dependencies and optional ones, Poetry's
    tables, PEP 735 `[dependency-groups]`, `[tool.pdm.dev-dependencies]`, `[tool.uv]
    dev-dependencies`, `requirements*.txt` with their `-r` includes, `setup.cfg`
    `install_requires`); then the version locked in `uv.lock`, `poetry.lock` or `pdm.lock`;
    then the code: a module of the file's top-level package, or of a project package it imports,
    that imports a v2-only name (`ConfigDict`, `field_validator`, `pydantic_settings`, ...). A v1
    project sets `pydantic-version = 1`.

    ## Example
    ```python
    from pydantic import BaseModel


    class User(BaseModel):
        name: str

        class Config:
            orm_mode = True
            allow_population_by_field_name = True
    ```

    Use instead:
    ```python
    from pydantic import BaseModel, ConfigDict


    class User(BaseModel):
        name: str

        model_config = ConfigDict(from_attributes=True, populate_by_name=True)
    ```

    ## Fix safety
    Safe when every key maps to v2 (`orm_mode`→`from_attributes`,
    `allow_population_by_field_name`→`populate_by_name`, `anystr_strip_whitespace`→
    `str_strip_whitespace`, `min/max_anystr_length`→`str_min/max_length`, `validate_all`→
    `validate_default`, `schema_extra`→`json_schema_extra`, `allow_mutation=False`→
    `frozen=True`, `keep_untouched`→`ignored_types`, `Extra.forbid`→`"forbid"`, ...) and no
    comment sits in the class; `SettingsConfigDict` for settings; imports added. No fix when a
    key has no v2 equivalent (`fields`, `underscore_attrs_are_private`, ...) or the class holds
    anything but plain assignments.
    """

    code = "FAL501"
    summary = "Pydantic v1 `class Config` in a model"
    fix_availability = FixAvailability.SOMETIMES
    message = "`class Config` in `{model}` is Pydantic v1; use `model_config = ConfigDict(...)`"
    fix_title = "Use `model_config = {config}(...)`"

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        if not uses_pydantic_v2(self.ctx):
            return
        class_kinds = self.ctx.class_kinds(node)
        if PYDANTIC not in class_kinds:
            return
        for statement in node.body:
            if isinstance(statement, ast.ClassDef) and statement.name == "Config":
                self.report(
                    statement,
                    self.message.format(model=node.name),
                    self._fix(statement, settings=SETTINGS in class_kinds),
                )

    def _fix(self, config: ast.ClassDef, settings: bool) -> Fix | None:
        entries = []
        for statement in config.body:
            if isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant):
                continue  # a docstring
            if isinstance(statement, ast.Pass):
                continue
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target = statement.targets[0]
            elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
                target = statement.target
            else:
                return None  # methods, bare annotations: no mechanical translation
            if not isinstance(target, ast.Name):
                return None
            key = CONFIG_KEYS.get(target.id)
            if key is None:
                return None
            value = self._config_value(target.id, statement.value)
            if value is None:
                return None
            entries.append(f"{key}={value}")
        module, name = (
            ("pydantic_settings", "SettingsConfigDict") if settings else ("pydantic", "ConfigDict")
        )
        spelled, needed = self.ctx.spell(module, name)
        start = self.ctx.lines.line_start(config.lineno) + self.ctx.lines.char_column(
            config.lineno, config.col_offset
        )
        _, end = self.ctx.lines.node_range(config)
        edit = Edit(start, end, f"model_config = {spelled}({', '.join(entries)})")
        return Fix(
            title=self.fix_title.format(config=name),
            applicability=self.ctx.applicability((edit,), Applicability.SAFE),
            edits=(edit,),
            imports=(needed,) if needed else (),
        )

    def _config_value(self, key: str, value: ast.expr) -> str | None:
        if key == "allow_mutation":
            if isinstance(value, ast.Constant) and isinstance(value.value, bool):
                return repr(not value.value)
            return None
        if key == "extra":
            qualified = self.ctx.resolve(value)
            if qualified in EXTRA:
                return self.ctx.string(EXTRA[qualified])
        return self.ctx.source(value)


# -- FAL502 -----------------------------------------------------------------------------------
class PydanticV1Method(Rule):
    """
    ## What it does
    Checks for Pydantic v1 method names on a value known to be a Pydantic model instance or
    class: `.dict()`, `.json()`, `.copy()`, `.parse_obj()`, `.parse_raw()`, `.from_orm()`,
    `.schema()`, `.schema_json()`, `.construct()`, `.update_forward_refs()`. A value is known by
    its annotation (`User`, `Optional[User]`, `User | None`), by being made right there
    (`User(...).json()`, `User.model_validate(...).dict()`, a copy of a known model), by being a
    field a known model declares as one (`order.address.dict()` where `Order` declares
    `address: Address`, bases included), by a local assigned from any of these, or by being the
    class itself. Never on a SQLAlchemy model, nor on a class that defines a method of that name
    itself (real projects have ORM bases with a `.dict()` of their own).

    Runs only when the project uses Pydantic v2: `pydantic-version = 2`, or by default ("auto")
    a declared `pydantic>=2` dependency or a v2-only import in the file's package (see FAL501).

    ## Why is this bad?
    The v1 names are deprecated in v2: they emit warnings, differ in details (`.json()` took
    `json.dumps` arguments) and are removed in v3.

    ## Example
    ```python
    from pydantic import BaseModel


    class User(BaseModel):
        name: str


    def export(user: User) -> dict:
        return user.dict(exclude_unset=True)
    ```

    Use instead:
    ```python
    from pydantic import BaseModel


    class User(BaseModel):
        name: str


    def export(user: User) -> dict:
        return user.model_dump(exclude_unset=True)
    ```

    ## Fix safety
    The method is renamed (`model_dump`, `model_dump_json`, `model_copy`, `model_validate`,
    `model_validate_json`, `model_json_schema`, `model_construct`, `model_rebuild`;
    `from_orm(x)` becomes `model_validate(x, from_attributes=True)`): safe when every argument
    keeps its meaning in v2, unsafe when positional arguments need a look. No fix for
    `.schema_json()` nor when a keyword has no v2 meaning (`.json(encoder=...)`).
    """

    code = "FAL502"
    summary = "Pydantic v1 method name"
    fix_availability = FixAvailability.SOMETIMES
    messages = {
        "renamed": "`{call}` is Pydantic v1; use `.{new_name}()`",
        "schema_json": "`{call}` is Pydantic v1; use `model_json_schema()`",
    }
    fix_title = "Rename to `{new_name}`"

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self._locals: dict[tuple, str | None] = {}  # (function, name, where) -> model

    def visit_Call(self, node: ast.Call) -> None:
        function = node.func
        if not isinstance(function, ast.Attribute) or function.attr not in METHODS:
            return
        if not uses_pydantic_v2(self.ctx):
            return
        model = self._model_of(function.value, function.attr)
        if model is None or self.ctx.index.defines_method(model, function.attr):
            return
        new_name, kept = METHODS[function.attr]
        receiver = function.value
        if isinstance(receiver, ast.Call):  # `User(...).json()`: the arguments would be noise
            shown = f"{self.ctx.source(receiver.func)}(...).{function.attr}()"
        else:
            shown = f"{self.ctx.source(receiver)}.{function.attr}()"
        if new_name is None:
            self.report(function, self.messages["schema_json"].format(call=shown))
            return
        self.report(
            function,
            self.messages["renamed"].format(call=shown, new_name=new_name),
            self._fix(node, new_name, kept),
        )

    def _fix(self, call: ast.Call, new_name: str, kept: frozenset[str]) -> Fix | None:
        function = call.func
        if any(keyword.arg not in kept for keyword in call.keywords):
            return None  # an argument v2 does not take (`json(encoder=...)`): a human decides
        _, end = self.ctx.lines.node_range(function)
        edits = [Edit(end - len(function.attr), end, new_name)]
        safe = len(call.args) <= (1 if function.attr in CLASS_METHODS else 0)
        if function.attr == "from_orm":
            if not call.args:
                return None
            # after the argument, not before `)`: a trailing comma may sit in between
            _, argument_end = self.ctx.lines.node_range(call.args[-1])
            edits.append(Edit(argument_end, argument_end, ", from_attributes=True"))
        wanted = Applicability.SAFE if safe else Applicability.UNSAFE
        return Fix(
            title=self.fix_title.format(new_name=new_name),
            applicability=self.ctx.applicability(tuple(edits), wanted),
            edits=tuple(edits),
        )

    def _model_of(self, receiver: ast.expr, method: str) -> str | None:
        """The Pydantic class `receiver` is (class methods) or is an instance of."""
        qualified = self.ctx.resolve(receiver)
        if method in CLASS_METHODS and qualified and self._pydantic(qualified):
            return qualified
        return self._instance_of(receiver, depth=0)

    def _instance_of(self, value: ast.expr, depth: int) -> str | None:
        """The Pydantic class `value` is known to be an instance of: a constructor call, a
        local declared or assigned as one, or a field declared as one on such a model."""
        if depth > 8:
            return None  # `a = b; b = a` and other chains that never end
        if isinstance(value, ast.Call):
            made = value.func
            if isinstance(made, ast.Attribute) and made.attr in COPIES:
                return self._instance_of(made.value, depth + 1)
            if isinstance(made, ast.Attribute) and made.attr in CONSTRUCTORS:
                made = made.value
            built = self.ctx.resolve(made)
            return built if built and self._pydantic(built) else None
        if isinstance(value, ast.Attribute):
            owner = self._instance_of(value.value, depth + 1)
            found = self.ctx.index.field_annotation(owner, value.attr) if owner else None
            if found is None:
                return None
            table, annotation = found
            return self._first_pydantic(declared_classes(table.resolve, annotation))
        if not isinstance(value, ast.Name):
            return None
        function = self.ctx.enclosing_function()
        if function is None:
            return None
        key = (function, value.id, value.lineno, value.col_offset)
        if key not in self._locals:
            self._locals[key] = None  # while computing: a chain of names that loops
            self._locals[key] = self._local_model(function, value, depth)
        return self._locals[key]

    def _local_model(self, function: ast.AST, use: ast.Name, depth: int) -> str | None:
        """The model a local is where it is used, when its declaration and every assignment
        made before agree: after `data = data.dict()` the name holds a dict."""
        made: set[str | None] = set()
        model = self.ctx.model
        annotation = model.declared_annotation(function, use.id)
        if annotation is not None:
            made.add(self._first_pydantic(declared_classes(self.ctx.resolve, annotation)))
        for child in model.assignments(function, use.id):
            if (child.end_lineno, child.end_col_offset) <= (use.lineno, use.col_offset):
                made.add(self._instance_of(child.value, depth + 1))
        return made.pop() if len(made) == 1 else None

    def _first_pydantic(self, classes: list[str]) -> str | None:
        return next((found for found in classes if self._pydantic(found)), None)

    def _pydantic(self, qualified: str) -> bool:
        class_kinds = self.ctx.index.class_kinds(qualified)
        return PYDANTIC in class_kinds
