"""Which names say they hold a secret (`SECRET_KEY`, `apiKey`, `db_password`) and which only
describe or name one (`token_url`, `PASSWORD_CHANGED_MSG`), for FAL401."""

from __future__ import annotations

import ast
import functools
import itertools
import re

from fastapi_lint import lazy_re

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
KEY_KINDS = frozenset(first for first, _ in SECRET_PAIRS)
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
        # a message or an event about a secret, not the secret: INVALID_TOKEN_ERROR
        "changed",
        "invalid",
        "missing",
        "expired",
        "incorrect",
        "wrong",
        "mismatch",
        "success",
        "failed",
        "failure",
        "sent",
        "updated",
        "revoked",
        "not",
        "found",
        "allowed",
        "denied",
        "unknown",
        "generated",
        "requested",
        "created",
        "deleted",
        "subject",
        "text",
        "help",
        "notice",
        "warning",
        "event",
        # something else that belongs to a secret: reset_password_rate, SECRET_VALUES (a route)
        "rate",
        "values",
    }
)
_CAMEL = lazy_re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def name_words(name: str) -> list[str]:
    spaced = _CAMEL.sub("_", name)
    return [word for word in re.split(r"[_\-\s.]+", spaced.lower()) if word]


# What a name's lower-case text holds when one of its words is a secret word or ends a pair:
# each word is a piece of it (the split only adds separators). Most names hold none, and are
# answered before they are split into words.
_SECRET_PARTS = ("key", "secret", "passw", "pwd", "token")


@functools.lru_cache(maxsize=4096)
def names_a_secret(name: str) -> bool:
    lower = name.lower()
    if not any(part in lower for part in _SECRET_PARTS):
        return False
    words = name_words(name)
    if not words or any(word in DESCRIPTIVE_WORDS for word in words):
        return False
    if any(word in SECRET_WORDS for word in words):
        return True
    if any(pair in SECRET_PAIRS for pair in itertools.pairwise(words)):
        return True
    # a key whose kind is named a word earlier: ENCRYPTION_LOCAL_KEY
    return words[-1] == "key" and any(word in KEY_KINDS for word in words[:-1])


def string_value(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None
