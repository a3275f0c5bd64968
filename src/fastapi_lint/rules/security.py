"""FAL4xx: security — secrets in source, passwords in URLs, SQL built from strings.

Every secret is shown masked (`su***`): messages mask it here, and each finding carries where its
secret is in the source (`Diagnostic.secret`), so code frames mask that span and `--diff` leaves
out changes that would show it. No output is rewritten after rendering.
"""

from __future__ import annotations

import ast
import functools
import itertools
import re
from pathlib import PurePath

from fastapi_lint.diagnostics import Applicability, Edit, Fix
from fastapi_lint.redaction import mask
from fastapi_lint.rules.base import FileContext, FixAvailability, Option, Rule
from fastapi_lint.semantic import index as kinds

SECRET_WORDS = frozenset({"secret", "password", "passwd", "pwd", "token", "apikey", "secretkey"})
SECRET_PAIRS = frozenset(
    {
        ("api", "key"),
        ("private", "key"),
        ("access", "key"),
        ("auth", "key"),
        ("signing", "key"),
        ("jwt", "key"),
        ("encryption", "key"),
    }
)
# Words that make a name describe a secret rather than hold one.
DESCRIPTIVE_WORDS = frozenset(
    {
        "url",
        "uri",
        "endpoint",
        "path",
        "file",
        "dir",
        "header",
        "name",
        "field",
        "type",
        "prefix",
        "env",
        "length",
        "len",
        "expire",
        "expires",
        "expiry",
        "ttl",
        "algorithm",
        "algorithms",
        "alg",
        "scheme",
        "pattern",
        "regex",
        "template",
        "message",
        "msg",
        "label",
        "placeholder",
        "hint",
        "format",
        "policy",
        "min",
        "max",
        "count",
        "size",
        "timeout",
        "cookie",
        "column",
        "table",
        "param",
        "location",
        "route",
        "title",
        "description",
        "error",
        "id",
        "hash",
        "hashed",
        "manager",
        "flavor",
        "provider",
        "backend",
        "kind",
        "mode",
        "method",
        "strategy",
        "store",
        "service",
        "hasher",
        "version",
        "enabled",
        "required",
        "threshold",
        "cap",
        "limit",
        "scope",
        "audience",
        "issuer",
        "rotate",
    }
)
CREDENTIAL_FORMATS = (
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"), "a GitHub token"),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), "a Slack token"),
    (re.compile(r"\b[rs]k_live_[A-Za-z0-9]{16,}"), "a Stripe live key"),
    (re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"), "a Google API key"),
    (re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}"), "an API secret key (sk-...)"),
    (
        re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----\s*[A-Za-z0-9+/=\s]{16,}"),
        "a PEM private key",
    ),
)
JWT_FUNCTIONS = frozenset({"jwt.encode", "jwt.decode", "jose.jwt.encode", "jose.jwt.decode"})
SECRET_WRAPPERS = frozenset({"pydantic.SecretStr", "pydantic.SecretBytes"})
FIELD_FUNCTIONS = frozenset({"pydantic.Field", "sqlmodel.Field"})
ENVIRONMENT_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
NOT_SECRETS = frozenset({"true", "false", "yes", "no", "none", "null", "on", "off", "0", "1"})
WORDS_ONLY = re.compile(r"^[a-z]+(?:[-_][a-z]+)*$")  # 'access_token', 'password-reset'
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]*$")
DOTTED_KEY = re.compile(r"^[a-z][a-z0-9_]*(?:[.:][a-z0-9_]+)+$")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def name_words(name: str) -> list[str]:
    spaced = _CAMEL.sub("_", name)
    return [word for word in re.split(r"[_\-\s.]+", spaced.lower()) if word]


@functools.lru_cache(maxsize=4096)
def names_a_secret(name: str) -> bool:
    words = name_words(name)
    if not words or any(word in DESCRIPTIVE_WORDS for word in words):
        return False
    if any(word in SECRET_WORDS for word in words):
        return True
    return any(pair in SECRET_PAIRS for pair in itertools.pairwise(words))


def is_test_file(path: str) -> bool:
    pure = PurePath(path)
    name = pure.name
    return (
        "tests" in pure.parts[:-1]
        or "test" in pure.parts[:-1]
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )


def string_value(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


# -- FAL401 -----------------------------------------------------------------------------------
class HardcodedSecret(Rule):
    """
    ## What it does
    Checks for secrets written in source: a non-empty string literal assigned to (or the
    default or keyword value of) a name, attribute, class field, parameter, keyword or dict key
    whose words (split on `_`, `-` and camelCase) include `secret`, `password`, `passwd`, `pwd`,
    `token`, `apikey`, `api_key`, `private_key`, `access_key`, `auth_key`, `signing_key`,
    `jwt_key` or `encryption_key`; the key given to `jwt.encode`/`jwt.decode`; and any string
    in a known credential format (AWS `AKIA...`, GitHub `ghp_...`, Slack `xox?-...`, Stripe
    `sk_live_...`, Google `AIza...`, `sk-...` API keys, PEM private keys).

    Typed settings fields count (`secret_key: str = "..."` in a `BaseSettings`, which bandit and
    detect-secrets miss), as do `SecretStr("...")` and `Field(default="...")`. A placeholder
    such as `"changeme"` in settings is reported too: it reaches production when the variable
    is unset.

    Not reported: names that describe a secret rather than hold one (their words also include
    `url`, `path`, `file`, `header`, `name`, `field`, `type`, `prefix`, `env`, `length`,
    `expire`, `ttl`, `algorithm`, `scheme`, `pattern`, `template`, `message`, `cookie`, ...: so
    `token_url`, `tokenUrl="token"`, `token_type="bearer"`, `PASSWORD_FIELD="password"`), a
    value equal to the name or shaped like an environment variable name (`"SECRET_KEY"`),
    values with white space or `{}` placeholders (messages and templates), values read from
    the environment, and `...EXAMPLE...` values from documentation. Test files (`tests/`,
    `test_*.py`, `*_test.py`, `conftest.py`) are skipped unless `check-tests-for-secrets`.

    ## Why is this bad?
    Source is copied to laptops, CI logs, forks and backups; a secret in it is a secret shared
    with all of them, and rotating it means a deploy. Read secrets from the environment or a
    secret manager.

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
    environment. No fix for parameters, keywords, dict keys and credential-format matches.

    ## Options
    - `check-tests-for-secrets` (default `false`): also check test files.
    """

    code = "FAL401"
    summary = "Hardcoded secret in source"
    fix_availability = FixAvailability.SOMETIMES
    options = (Option("check-tests-for-secrets", bool, False, "Also check test files"),)

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self.skip = is_test_file(ctx.path) and not self.option("check-tests-for-secrets")
        self.seen: set[int] = set()

    # -- by name -------------------------------------------------------------------------------
    def visit_Assign(self, node: ast.Assign | ast.AnnAssign) -> None:
        if self.skip or node.value is None:
            return
        scope = self.ctx.scopes[-1] if self.ctx.scopes else None
        if isinstance(scope, ast.ClassDef) and kinds.ENUM in self.ctx.class_kinds(scope):
            return  # enum members name things (`ACCESS_TOKEN = "access_token"`)
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            name = _target_name(target)
            if name is not None:
                self._named(name, node.value, node, target)

    visit_AnnAssign = visit_Assign

    def visit_FunctionDef(self, node) -> None:
        if self.skip:
            return
        args = node.args
        positional = [*args.posonlyargs, *args.args]
        defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        pairs = [*zip(positional, defaults, strict=True)]
        pairs += [*zip(args.kwonlyargs, args.kw_defaults, strict=True)]
        for arg, default in pairs:
            if default is not None:
                self._named(arg.arg, default, None, None)

    visit_AsyncFunctionDef = visit_Lambda = visit_FunctionDef

    def visit_Call(self, node: ast.Call) -> None:
        if self.skip:
            return
        for keyword in node.keywords:
            if keyword.arg:
                self._named(keyword.arg, keyword.value, None, None)
        if self.ctx.resolve(node.func) in JWT_FUNCTIONS:
            key = node.args[1] if len(node.args) > 1 else None
            for keyword in node.keywords:
                if keyword.arg == "key":
                    key = keyword.value
            value = string_value(key)
            if value and id(key) not in self.seen:
                self.seen.add(id(key))
                self._report(key, value, "the JWT signing key", None)

    def visit_Dict(self, node: ast.Dict) -> None:
        if self.skip:
            return
        for key, value in zip(node.keys, node.values, strict=True):
            name = string_value(key)
            if name is not None:
                self._named(name, value, None, None)

    # -- by format -----------------------------------------------------------------------------
    def visit_Constant(self, node: ast.Constant) -> None:
        if self.skip or not isinstance(node.value, str) or id(node) in self.seen:
            return
        if len(node.value) < 20 or "EXAMPLE" in node.value.upper():
            return
        for pattern, description in CREDENTIAL_FORMATS:
            match = pattern.search(node.value)
            if match:
                self.seen.add(id(node))
                found = match.group(0).strip()
                message = f"String looks like {description}: `{mask(found)}`"
                self.report(node, message, None, self.ctx.secret_in(node))  # all of it
                return

    # -- shared --------------------------------------------------------------------------------
    def _named(self, name: str, value: ast.expr, statement, target) -> None:
        if not IDENTIFIER.match(name):
            return  # a dict key such as "code token" is data, not a variable
        literal, holder = self._literal(value)
        if literal is None or id(literal) in self.seen or not names_a_secret(name):
            return
        text = literal.value
        if not self._looks_secret(name, text):
            return
        self.seen.add(id(literal))
        fix = self._fix(statement, target, name, literal, holder) if statement else None
        self._report(literal, text, f"`{name}`", fix)

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

    def _looks_secret(self, name: str, text: str) -> bool:
        if not text.strip() or text.lower() == name.lower():
            return False
        if ENVIRONMENT_NAME.match(text) or any(ch.isspace() for ch in text):
            return False
        if "{" in text or "%s" in text or "EXAMPLE" in text.upper():
            return False
        if DOTTED_KEY.match(text) or text.startswith("/") or "://" in text:
            return False  # a configuration key, a route or a URL (FAL402 checks URLs)
        if WORDS_ONLY.match(text) and names_a_secret(text):
            return False  # names a secret, not holds one: 'access_token', 'secret-key'
        if set(text) <= set("*xX.#-") or text.lower() in NOT_SECRETS:
            return False  # a mask or a flag value: '*****', 'true'

        return not (text.lower() in SECRET_WORDS or text.lower() in ("bearer", "basic"))

    def _report(self, literal: ast.expr, text: str, where: str, fix: Fix | None) -> None:
        message = f"Hardcoded secret in {where}: `{mask(text)}`"
        self.report(literal, message, fix, self.ctx.secret_in(literal, text))

    def _fix(self, statement, target, name, literal, holder) -> Fix | None:
        """Module/class constants read the environment; settings fields lose their default."""
        scope = self.ctx.scopes[-1] if self.ctx.scopes else None
        if scope is not None and not isinstance(scope, ast.ClassDef):
            return None  # inside a function: no fix
        if isinstance(scope, ast.ClassDef) and kinds.SETTINGS in self.ctx.class_kinds(scope):
            return self._settings_fix(statement, literal, holder)
        if not isinstance(target, ast.Name) or statement.value is not literal:
            return None
        os_name, needed = self.ctx.spell_module("os")
        edit = self.ctx.replace(literal, f'{os_name}.environ["{name}"]')
        return Fix(
            title=f'Read `{name}` from the environment: `os.environ["{name}"]`',
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
            title="Remove the default: the value must come from the environment",
            applicability=Applicability.UNSAFE,
            edits=(edit,),
        )


def _target_name(target: ast.expr) -> str | None:
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    if isinstance(target, ast.Subscript):
        return string_value(target.slice)  # config["password"] = "..."
    return None


# -- FAL402 -----------------------------------------------------------------------------------
_URL = re.compile(
    r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*)://(?P<user>[^:/@\s]*):(?P<password>[^@/\s]+)@"
    r"(?P<host>[^\s/'\"]*)"
)
_PLACEHOLDER = re.compile(
    r"^(\$\{.*\}|\{.*\}|%s|%\(.*\)s|\*+|<.*>|\[.*|.*\]|\$[A-Z_]+|x{3,}|password|pass|pwd|"
    r"secret|port)$",
    re.IGNORECASE,
)


class CredentialsInUrl(Rule):
    """
    ## What it does
    Checks for string literals holding a URL with a password: `scheme://user:password@host`,
    for any database dialect and driver, cache, broker or HTTP scheme, wherever it stands
    (also inside a call: `create_async_engine("postgresql+asyncpg://app:pw@db/app")`).
    Placeholders are fine: `${DB_PASSWORD}`, `{password}`, `%s`, `***`, `<password>`,
    `[password]`, and the word `password` itself; so are docstrings, which document URL shapes.
    Test files are skipped unless `check-tests-for-secrets` (FAL401's option) is set.

    ## Why is this bad?
    A connection string is a credential: anyone who reads the source (or a CI log that prints
    it) can connect to the database with it. Build the URL from settings read from the
    environment.

    ## Example
    ```python
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine("postgresql+asyncpg://app:hunter2@db/app")
    ```

    Use instead:
    ```python
    import os

    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(os.environ["DATABASE_URL"])
    ```

    ## Fix safety
    There is no fix. The message shows the URL with the password masked.
    """

    code = "FAL402"
    summary = "URL with a hardcoded password"

    def __init__(self, ctx: FileContext) -> None:
        super().__init__(ctx)
        self.f_string_parts: set[int] = set()

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant):
            self.f_string_parts.add(id(node.value))  # a docstring documents URL shapes

    def visit_Constant(self, node: ast.Constant) -> None:
        if id(node) in self.f_string_parts:
            return  # checked as part of its f-string, or a docstring
        if isinstance(node.value, str) and "://" in node.value and not self._skip():
            self._check(node, node.value)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self.f_string_parts.update(id(part) for part in node.values)
        if self._skip():
            return
        text = "".join(
            part.value if isinstance(part, ast.Constant) else "{}" for part in node.values
        )
        if "://" in text:
            self._check(node, text)

    def _skip(self) -> bool:
        return is_test_file(self.ctx.path) and not self.ctx.settings.rule_option(
            "FAL401", "check-tests-for-secrets"
        )

    def _check(self, node: ast.expr, text: str) -> None:
        for match in _URL.finditer(text):
            password = match.group("password")
            if _PLACEHOLDER.match(password) or "{}" in password:
                continue
            shown = f"{match.group('scheme')}://{match.group('user')}:{mask(password)}@"
            message = f"URL with a hardcoded password: `{shown}{match.group('host')}`"
            self.report(node, message, None, self.ctx.secret_in(node, password, ":", "@"))
            return
