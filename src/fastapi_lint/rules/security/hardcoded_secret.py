"""FAL401: a hardcoded secret in source.

Every secret is shown masked (`su***`): messages mask it here, and each finding carries where its
secret is in the source (`Diagnostic.secret`), so code frames mask that span and `--diff` leaves
out changes that would show it. No output is rewritten after rendering.
"""

from __future__ import annotations

import ast
import functools

from fastapi_lint import lazy_re
from fastapi_lint.diagnostics import Applicability, Edit, Fix
from fastapi_lint.redaction import mask
from fastapi_lint.rules.base import FileContext, FixAvailability, Option, Rule
from fastapi_lint.rules.security.secret_names import (
    SECRET_WORDS,
    name_words,
    names_a_secret,
    string_value,
)
from fastapi_lint.rules.security.secret_values import (
    APPLICATION,
    JWT,
    JWT_DESCRIPTION,
    SCRIPT,
    TEST,
    _may_hold_a_format,
    credential_format,
    file_role,
    is_natural_language,
    is_rate,
    looks_random,
)
from fastapi_lint.semantic.index import ENUM, SETTINGS
from fastapi_lint.semantic.model import parameters

TEST_WORDS = frozenset({"test", "tests", "testing"})
ENVIRONMENT_READS = frozenset(
    {"os.getenv", "os.environ.get", "os.environ.setdefault", "decouple.config"}
)
# Keywords and keys whose values document an API (OpenAPI examples, JSON schema), not use it.
EXAMPLE_NAMES = frozenset(
    {
        "example",
        "examples",
        "json_schema_extra",
        "schema_extra",
        "openapi_examples",
        "openapi_extra",
    }
)
CREDENTIAL_HEADERS = frozenset({"authorization", "x-api-key", "x-auth-token", "cookie"})
JWT_FUNCTIONS = frozenset({"jwt.encode", "jwt.decode", "jose.jwt.encode", "jose.jwt.decode"})
# The last part of those names: a call whose attribute is another one needs no resolving.
_CALLEE_ENDINGS = frozenset(name.rsplit(".", 1)[-1] for name in JWT_FUNCTIONS | ENVIRONMENT_READS)
SECRET_WRAPPERS = frozenset({"pydantic.SecretStr", "pydantic.SecretBytes"})
FIELD_FUNCTIONS = frozenset({"pydantic.Field", "sqlmodel.Field"})
ENVIRONMENT_NAME = lazy_re.compile(r"^[A-Z][A-Z0-9_]*$")
NOT_SECRETS = frozenset({"true", "false", "yes", "no", "none", "null", "on", "off", "0", "1"})
# Keys their providers make to be shipped to browsers, under whatever name: Stripe publishable
# keys and PostHog project keys (they can only send events or start a checkout).
PUBLIC_KEY = lazy_re.compile(r"(?:pk_(?:live|test)_|phc_)[A-Za-z0-9]{16,}")
WORDS_ONLY = lazy_re.compile(r"^[a-z]+(?:[-_][a-z]+)*$")  # 'access_token', 'password-reset'
IDENTIFIER = lazy_re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
DOTTED_KEY = lazy_re.compile(r"^[a-z][a-z0-9_]*(?:[.:][a-z0-9_]+)+$")


class HardcodedSecret(Rule):
    """
    ## What it does
    Checks for secrets written in source, judged by what a value would do in production.

    A name is *secret-named* when its words (split on `_`, `-` and camelCase) include `secret`,
    `password`, `passwd`, `pwd`, `token`, `apikey`, `api_key`, `private_key`, `access_key`,
    `auth_key`, `signing_key`, `jwt_key` or `encryption_key`, and no word that makes it describe
    a secret, name something else or tell about one: `token_url`, `token_type`,
    `auth_cookie_name`, `reset_password_rate`, `PASSWORD_CHANGED_MSG`, `INVALID_TOKEN_ERROR`,
    `API_KEY_REQUIRED` are not.

    - **Application code** (neither a test nor a script): a secret-named setting is reported
      whatever its value looks like (a placeholder or a passphrase with spaces too), because
      it reaches production when the variable is unset: a field of a `BaseSettings` class,
      a module-level assignment, keyword or dict value, an ALL_CAPS class constant, and the
      literal default of `os.getenv("SECRET_KEY", "...")`, `os.environ.get(...)`, Starlette's
      `config("SECRET_KEY", default="...")` or `decouple.config(...)` ("default secret value
      used when `SECRET_KEY` is unset"). Inside functions, parameters and other
      classes' fields, a secret-named value is reported when it looks like a credential: in a
      known format or random (12+ characters of several kinds, 3.3+ bits of entropy per
      character, not words joined by `-`/`_`). The key given to `jwt.encode`/`jwt.decode`
      is always reported.
    - **Scripts** (modules under `scripts/`, `script/`, `bin/`, `tools/`, `seeds/`,
      `maintenance/`, `examples/`, `docs_src/`): secret-named values and `getenv` fallbacks
      are reported when they look like a credential (format or entropy).
    - **Tests** (`tests/`, `test/`, `testing/`, `test_*.py`, `*_test.py`, `conftest.py`,
      `pytest_*.py`, settings modules `test.py`/`testing.py`, and settings classes whose name
      says test, such as `class TestSettings(BaseSettings)`): only what looks like a *live*
      credential: a provider token in its full format (prefix, length and alphabet, with a
      random body), or a JWT as a bearer token in an `Authorization` header. Dummy
      passwords, random strings and private keys that fixtures need are not reported. (URL
      passwords to non-local hosts are FAL402's.)

    Anywhere but tests, any string in a known credential format is reported: AWS `AKIA...`,
    GitHub `ghp_...`/`github_pat_...`, Slack `xox?-...`, Stripe `sk_live_...`, Google
    `AIza...`, `sk-...` API keys, a JSON Web Token (`eyJ...`), a PEM private key.
    `Authorization`, `X-API-Key` and `Cookie` header values are checked like values: a
    `Bearer`/`Basic`/`Token` credential or cookie value that is a JWT or random.

    Never a secret, under any name: OpenAPI example and schema values (`examples=`,
    `example=`, `json_schema_extra`, `schema_extra`, `openapi_examples`, `openapi_extra`);
    values equal to the name, naming a secret (`"access_token"`) or an environment variable
    (`"SECRET_KEY"`); routes (`/reset-password`), configuration keys (`auth.api_key`), URLs
    (FAL402), rates (`"3/hour"`), templates (`{}`, `%s`), masks (`"****"`) and flags
    (`"true"`); values read from the environment; `...EXAMPLE...` documentation values;
    enum members; keys made to be public (Stripe `pk_live_...`, PostHog `phc_...`).
    Natural-language text (with spaces, or in a script such as Chinese that has
    none) is a message, not a secret, unless it is a secret-named setting as above.

    ## Why is this bad?
    Source is copied to laptops, CI logs, forks and backups; a secret in it is a secret shared
    with all of them, and rotating it means a deploy. A default that stands in for a missing
    variable silently runs production with a key everyone can read. Read secrets from the
    environment or a secret manager, and fail when they are missing.

    ## Example
    ```python
    from pydantic_settings import BaseSettings


    class Settings(BaseSettings):
        secret_key: str = "s3cr3t-signing-key"
    ```

    Use instead:
    ```python
    from pydantic_settings import BaseSettings


    class Settings(BaseSettings):
        secret_key: str
    ```

    ## Fix safety
    Unsafe: a module-level or class-level constant `NAME = "..."` becomes
    `NAME = os.environ["NAME"]` (the import is added), which fails at import where the variable
    is unset; a `BaseSettings` field loses its default, so the value must come from the
    environment. No fix for parameters, keywords, dict keys, `getenv` fallbacks and
    credential-format matches.

    ## Options
    - `check-tests-for-secrets` (default `false`): judge test files like application code.
    """

    code = "FAL401"
    summary = "Hardcoded secret in source"
    messages = {  # `secret` is always masked (`su***`)
        "named": "Hardcoded secret in `{name}`: `{secret}`",
        "header": "Hardcoded secret in the `{name}` header: `{secret}`",
        "jwt_key": "Hardcoded secret in the JWT signing key: `{secret}`",
        "fallback": "Default secret value used when `{name}` is unset: `{secret}`",
        "format": "String looks like {description}: `{secret}`",
    }
    fix_titles = {
        "environment": 'Read `{name}` from the environment: `os.environ["{name}"]`',
        "settings": "Remove the default: the value must come from the environment",
    }
    fix_availability = FixAvailability.SOMETIMES
    options = (
        Option("check-tests-for-secrets", bool, False, "Judge test files like application code"),
    )

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self.role = file_role(ctx.location)
        if self.role == TEST and self.option("check-tests-for-secrets"):
            self.role = APPLICATION
        self.seen: set[int] = set()  # literals reported, or example values never to report

    # -- by name -------------------------------------------------------------------------------
    def visit_Assign(self, node: ast.Assign | ast.AnnAssign) -> None:
        if node.value is None or id(node.value) in self.seen:
            return
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        names = [_target_name(target) for target in targets]
        for name in names:
            if name in EXAMPLE_NAMES or may_name_secret(name):
                break
        else:
            return  # asked first: most names say nothing (and enum members are rarely secret)
        scope = self.ctx.scopes[-1] if self.ctx.scopes else None
        if isinstance(scope, ast.ClassDef) and ENUM in self.ctx.class_kinds(scope):
            return  # enum members name things (`ACCESS_TOKEN = "access_token"`)
        for target, name in zip(targets, names, strict=True):
            if name in EXAMPLE_NAMES:
                self._never(node.value)  # `schema_extra = {"example": {...}}`
            elif name is not None:
                self._named(name, node.value, node, target)

    visit_AnnAssign = visit_Assign

    def visit_FunctionDef(self, node) -> None:
        args = node.args
        if not args.defaults and not args.kw_defaults:
            return  # most functions: no default to judge
        for arg, default in parameters(node):
            if default is not None and may_name_secret(arg.arg):
                self._named(arg.arg, default, None, None, by_value=True)

    visit_AsyncFunctionDef = visit_Lambda = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        if id(node) in self.seen:
            return
        for keyword in node.keywords:
            if keyword.arg in EXAMPLE_NAMES:
                self._never(keyword.value)  # `Field(examples=[...])`, `Body(openapi_examples=)`
            elif may_name_secret(keyword.arg) and id(keyword.value) not in self.seen:
                self._named(keyword.arg, keyword.value, None, None)
        if isinstance(node.func, ast.Attribute) and node.func.attr not in _CALLEE_ENDINGS:
            return  # `x.y(...)` that can be neither a JWT function nor an environment read
        callee = self.ctx.resolve(node.func)
        if callee in JWT_FUNCTIONS and self._role() != TEST:
            key = node.args[1] if len(node.args) > 1 else None
            for keyword in node.keywords:
                if keyword.arg == "key":
                    key = keyword.value
            value = string_value(key)
            if value and id(key) not in self.seen:
                self.seen.add(id(key))
                self._report(key, value, "jwt_key", "", None)
        elif callee in ENVIRONMENT_READS or _reads_starlette_config(node):
            self._fallback(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        if id(node) in self.seen:
            return
        for key, value in zip(node.keys, node.values, strict=True):
            name = string_value(key)
            if name in EXAMPLE_NAMES:
                self._never(value)  # `json_schema_extra={"examples": [...]}`
            elif may_name_secret(name) and id(value) not in self.seen:
                self._named(name, value, None, None)

    # -- by format -----------------------------------------------------------------------------
    def visit_Constant(self, node: ast.Constant) -> None:
        value = node.value
        if type(value) is not str or len(value) < 20 or id(node) in self.seen:
            return
        if not _may_hold_a_format(node.value):
            return  # (what `credential_format` asks first), before the scopes are read
        in_test = self._role() == TEST
        found = credential_format(node.value, live=in_test)
        if found is not None and not (in_test and found[1] == JWT_DESCRIPTION):
            self.seen.add(id(node))
            message = self.messages["format"].format(description=found[1], secret=mask(found[0]))
            self.report(node, message, None, self.ctx.secret_in(node))  # all of it

    # -- shared --------------------------------------------------------------------------------
    def _never(self, value: ast.expr) -> None:
        """Example and schema values document an API: nothing under them is a secret."""
        self.seen.update(id(child) for child in ast.walk(value))

    def _fallback(self, call: ast.Call) -> None:
        """`os.getenv("SECRET_KEY", "default")`: production runs with the default when unset."""
        variable = string_value(call.args[0]) if call.args else None
        default = call.args[1] if len(call.args) > 1 else None
        for keyword in call.keywords:
            if keyword.arg == "default":
                default = keyword.value
        text = string_value(default)
        if not variable or not text or id(default) in self.seen or not names_a_secret(variable):
            return
        self.seen.add(id(default))
        role = self._role()
        if role == TEST or not self._looks_secret(variable, text, role == SCRIPT):
            return
        self._report(default, text, "fallback", variable, None)

    def _named(self, name: str, value: ast.expr, statement, target, by_value=False) -> None:
        if not may_name_secret(name):
            return
        header = name.lower() in CREDENTIAL_HEADERS
        literal, holder = self._literal(value)
        if literal is None or id(literal) in self.seen:
            return
        text = literal.value
        if header:
            credential = _header_credential(name, text)
            if credential and self._header_is_live(name, text, credential):
                self.seen.add(id(literal))
                self._report(literal, credential, "header", name, None)
            return
        if self._role() == TEST:
            found = credential_format(text, live=True)
            if found is None or found[1] == JWT_DESCRIPTION:
                return  # a JWT in tests is live only as a bearer token (the header check)
        elif not self._looks_secret(name, text, by_value or not self._is_setting(target)):
            return
        elif statement is None and is_natural_language(text):
            return  # a label or a message in a table of them: `{"password": "密码"}`
        self.seen.add(id(literal))
        fix = self._fix(statement, target, name, literal, holder) if statement else None
        self._report(literal, text, "named", name, fix)

    def _role(self) -> str:
        """The file's role; a settings class made for tests (`TestSettings`) holds test values."""
        for scope in self.ctx.scopes:
            if isinstance(scope, ast.ClassDef) and _names_tests(scope.name):
                return TEST
        return self.role

    def _is_setting(self, target) -> bool:
        """Whether a value stands where configuration does: at module level, as a field of a
        settings class, or as an ALL_CAPS constant of another (non-enum) class."""
        if self._role() != APPLICATION:
            return False
        scopes = self.ctx.scopes
        if not scopes:
            return True
        if len(scopes) > 1 or not isinstance(scopes[0], ast.ClassDef):
            return False
        if SETTINGS in self.ctx.class_kinds(scopes[0]):
            return True
        if _named_settings(scopes[0]):
            return True
        name = _target_name(target) if target is not None else None
        return bool(name and name.isupper())

    def _literal(self, value: ast.expr) -> tuple[ast.Constant | None, ast.expr | None]:
        """The string literal a value holds: `"x"`, `SecretStr("x")`, `Field(default="x")`."""
        if string_value(value) is not None:
            return value, None
        if isinstance(value, ast.Call):
            callee = self.ctx.resolve(value.func)
            if callee in SECRET_WRAPPERS and value.args:
                inner, _ = self._literal(value.args[0])
                return inner, value
            if callee in FIELD_FUNCTIONS:
                default = value.args[0] if value.args else None
                for keyword in value.keywords:
                    if keyword.arg == "default":
                        default = keyword.value
                if default is not None:
                    inner, _ = self._literal(default)
                    return inner, default
        return None, None

    def _looks_secret(self, name: str, text: str, by_value: bool) -> bool:
        """Whether `text` under the secret-named `name` is reported: any value that can hold a
        secret for a setting; only a credential-shaped one (`by_value`) elsewhere."""
        if not text.strip() or text.lower() == name.lower():
            return False
        if ENVIRONMENT_NAME.match(text) or is_rate(text):
            return False
        if "{" in text or "%s" in text or "EXAMPLE" in text.upper():
            return False
        if DOTTED_KEY.match(text) or text.startswith("/") or "://" in text:
            return False  # a configuration key, a route or a URL (FAL402 checks URLs)
        if WORDS_ONLY.match(text) and len(name_words(text)) <= 3 and names_a_secret(text):
            return False  # names a secret, not holds one: 'access_token', 'secret-key'
        if set(text) <= set("*xX.#-") or text.lower() in NOT_SECRETS:
            return False  # a mask or a flag value: '*****', 'true'
        if PUBLIC_KEY.fullmatch(text):
            return False
        if text.lower() in SECRET_WORDS or text.lower() in ("bearer", "basic"):
            return False
        if by_value:
            return credential_format(text) is not None or (
                not is_natural_language(text) and looks_random(text)
            )
        return True

    def _header_is_live(self, name: str, text: str, credential: str) -> bool:
        if self._role() == TEST:  # only a bearer JWT is a live credential in a test's headers
            return name.lower() == "authorization" and JWT.fullmatch(credential) is not None
        return credential_format(credential) is not None or looks_random(credential)

    def _report(self, literal: ast.expr, text: str, kind: str, name: str, fix: Fix | None) -> None:
        message = self.messages[kind].format(name=name, secret=mask(text))
        self.report(literal, message, fix, self.ctx.secret_in(literal, text))

    def _fix(self, statement, target, name, literal, holder) -> Fix | None:
        """Module/class constants read the environment; settings fields lose their default."""
        scope = self.ctx.scopes[-1] if self.ctx.scopes else None
        if scope is not None and not isinstance(scope, ast.ClassDef):
            return None  # inside a function: no fix
        if isinstance(scope, ast.ClassDef) and SETTINGS in self.ctx.class_kinds(scope):
            return self._settings_fix(statement, literal, holder)
        if not isinstance(target, ast.Name) or statement.value is not literal:
            return None
        os_name, needed = self.ctx.spell_module("os")
        edit = self.ctx.replace(literal, f"{os_name}.environ[{self.ctx.string(name)}]")
        return Fix(
            title=self.fix_titles["environment"].format(name=name),
            applicability=Applicability.UNSAFE,
            edits=(edit,),
            imports=(needed,) if needed else (),
        )

    def _settings_fix(self, statement, literal, holder) -> Fix | None:
        if not isinstance(statement, ast.AnnAssign):
            return None
        if statement.value is literal or statement.value is holder:
            _, annotation_end = self.ctx.lines.node_range(statement.annotation)
            _, value_end = self.ctx.lines.node_range(statement.value)
            edit = Edit(annotation_end, value_end, "")
        elif holder is not None:  # Field(default="x") / Field("x"): the field becomes required
            edit = self.ctx.replace(holder, "...")
        else:
            return None
        return Fix(
            title=self.fix_titles["settings"],
            applicability=Applicability.UNSAFE,
            edits=(edit,),
        )


@functools.lru_cache(maxsize=1024)
def _names_tests(class_name: str) -> bool:
    """`TestSettings`: asked for every value inside the class, its name split once."""
    return bool(TEST_WORDS.intersection(name_words(class_name)))


def _reads_starlette_config(call: ast.Call) -> bool:
    """`config("SECRET_KEY", default="...")`, where `config = Config(".env")` (Starlette)."""
    return (
        isinstance(call.func, ast.Name)
        and call.func.id == "config"
        and bool(call.args)
        and ENVIRONMENT_NAME.match(string_value(call.args[0]) or "") is not None
    )


def _named_settings(node: ast.ClassDef) -> bool:
    """A settings model built on `BaseModel`: `class LNbitsSettings`, or a class based on one."""
    names = [node.name, *(_target_name(base) or "" for base in node.bases)]
    return any(name_words(name)[-1:] in (["settings"], ["config"]) for name in names)


def _header_credential(name: str, text: str) -> str | None:
    """The credential a header value carries: after `Bearer `/`Basic `/`Token `, the value of
    each cookie (the most random one), or the value itself."""
    if name.lower() == "cookie":
        values = [part.partition("=")[2].strip() for part in text.split(";")]
        values = [value for value in values if value]
        return max(values, key=len, default=None)
    scheme, _, rest = text.strip().partition(" ")
    if rest and scheme.lower() in ("bearer", "basic", "token"):
        return rest.strip() or None
    return text.strip() or None


_MAY_NAME_SECRET: dict[str, bool] = {}


def may_name_secret(name: str | None) -> bool:
    """Whether a value named `name` can be judged at all: an identifier (a dict key such as
    "code token" is data, not a variable) that names a secret or a credential header. Asked
    before anything else of an assignment, keyword, key or default: most names say nothing,
    and the answer is kept for the run."""
    if not name:
        return False
    found = _MAY_NAME_SECRET.get(name)
    if found is None:
        if len(_MAY_NAME_SECRET) > 100_000:  # a run over a vast project: start again
            _MAY_NAME_SECRET.clear()
        found = _MAY_NAME_SECRET[name] = bool(IDENTIFIER.match(name)) and (
            name.lower() in CREDENTIAL_HEADERS or names_a_secret(name)
        )
    return found


def _target_name(target: ast.expr) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Subscript):
        return string_value(target.slice)  # config["password"] = "..."
    return None
