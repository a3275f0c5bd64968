"""What a string is, for FAL401/FAL402: a credential by format or by entropy, natural language, a
rate, a local host; and what a file is: application code, a script or a test.

Thresholds were measured on real FastAPI applications (see `looks_random`).
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections import Counter
from pathlib import PurePath

from fastapi_lint import lazy_re

APPLICATION, SCRIPT, TEST = "application", "script", "test"

# Folders whose modules are tests or test helpers; folders whose modules are run by hand.
TEST_FOLDERS = frozenset({"tests", "test", "testing"})
SCRIPT_FOLDERS = frozenset(
    {"scripts", "script", "bin", "tools", "seeds", "seed", "maintenance", "examples", "docs_src"}
)


def file_role(path: str) -> str:
    """Tests hold dummy credentials fixtures need; scripts are run by hand; the rest ships."""
    pure = PurePath(path)
    name, folders = pure.name, pure.parts[:-1]
    if (
        TEST_FOLDERS.intersection(folders)
        or name.startswith(("test_", "pytest_"))
        or name.endswith("_test.py")
        or name in ("conftest.py", "test.py", "testing.py")
    ):
        return TEST
    if SCRIPT_FOLDERS.intersection(folders):
        return SCRIPT
    return APPLICATION


# (loose pattern, live pattern, description). The loose one says what a value is meant to be;
# the live one is the provider's full format (prefix, length and alphabet), which dummy values
# in tests (`"xoxb-valid"`) do not have.
JWT = lazy_re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}")
JWT_DESCRIPTION = "a JSON Web Token"
CREDENTIAL_FORMATS = (
    (
        lazy_re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
        lazy_re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
        "an AWS access key id",
    ),
    (
        lazy_re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"),
        lazy_re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})\b"),
        "a GitHub token",
    ),
    (
        lazy_re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),
        lazy_re.compile(r"\bxox[abprs]-\d{6,}-\d{6,}(?:-\d{6,})?-[A-Za-z0-9]{24,}\b"),
        "a Slack token",
    ),
    (
        lazy_re.compile(r"\b[rs]k_live_[A-Za-z0-9]{16,}"),
        lazy_re.compile(r"\b[rs]k_live_[A-Za-z0-9]{24,}\b"),
        "a Stripe live key",
    ),
    (
        lazy_re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
        lazy_re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
        "a Google API key",
    ),
    (
        lazy_re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_-]{20,}"),
        lazy_re.compile(r"\bsk-(?:proj-|ant-api\d\d-)?[A-Za-z0-9_-]{40,}"),
        "an API secret key (sk-...)",
    ),
    (JWT, JWT, JWT_DESCRIPTION),
    (
        lazy_re.compile(r"-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----\s*[A-Za-z0-9+/=\s]{16,}"),
        None,  # tests sign with throwaway keys: never a live credential there
        "a PEM private key",
    ),
)


# Every format above starts with one of these: one scan of a string tells whether any of the
# format patterns can match it, so most strings are not scanned once per format.
_ANY_FORMAT = lazy_re.compile(
    r"AKIA|ASIA|gh[pousr]_|github_pat_|xox[abprs]-|[rs]k_live_|AIza|sk-|eyJ|-----BEGIN "
)


def _may_hold_a_format(text: str) -> bool:
    """A substring every `_ANY_FORMAT` match holds is in `text`: substring searches are about
    six times faster than the regex on long strings (docstrings), which then rarely runs."""
    return (
        "sk-" in text
        or "eyJ" in text
        or "AKIA" in text
        or "ASIA" in text
        or "AIza" in text
        or "xox" in text
        or "k_live_" in text
        or "-----BEGIN " in text
        or "github_pat_" in text
        or ("gh" in text and "_" in text)  # gh[pousr]_
    )


def credential_format(text: str, live: bool = False) -> tuple[str, str] | None:
    """(the matched credential, what it is) when `text` holds a credential in a known format;
    `live`: only in the provider's full format, with a random body."""
    if not _may_hold_a_format(text) or _ANY_FORMAT.search(text) is None:
        return None
    if "EXAMPLE" in text.upper():
        return None  # documentation's own samples (`AKIAIOSFODNN7EXAMPLE`)
    for loose, strict, description in CREDENTIAL_FORMATS:
        pattern = strict if live else loose
        match = pattern.search(text) if pattern is not None else None
        if match and (not live or looks_random(match.group(0), minimum=16)):
            return match.group(0).strip(), description
    return None


def entropy(text: str) -> float:
    """Shannon entropy of `text`, in bits per character."""
    counts = Counter(text)
    total = len(text)
    return -sum(count / total * math.log2(count / total) for count in counts.values())


def looks_random(text: str, minimum: int = 12) -> bool:
    """A generated value: long enough, several kinds of characters, high entropy.

    Measured on the secret-named literals of seven real FastAPI applications: generated keys
    and passwords have 3.3+ bits per character over 12+ characters, and the dummy and
    placeholder values beside them (`"changeme"`, `"admin123"`, `"test-password"`,
    `"my-secret-key"`) fewer characters or fewer kinds of them.
    """
    if len(text) < minimum or any(ch.isspace() for ch in text):
        return False
    kinds = sum(
        (
            any(ch.islower() for ch in text),
            any(ch.isupper() for ch in text),
            any(ch.isdigit() for ch in text),
            any(not ch.isalnum() for ch in text),
        )
    )
    if kinds < 2:
        return False
    if _WORDY.fullmatch(text):
        return False  # words joined by `-`/`_` with a number: 'my-secret-key-2', 'test_pass_1'
    return entropy(text) >= 3.3


_WORDY = lazy_re.compile(r"(?:[A-Za-z]{2,}[-_.]?)+\d{0,4}|\d{0,4}(?:[-_.]?[A-Za-z]{2,})+")


def is_natural_language(text: str) -> bool:
    """A message or a label: words with spaces, or letters of a script other than Latin
    (languages such as Chinese and Japanese are written without spaces)."""
    if any(ch.isalpha() and ord(ch) > 0x24F for ch in text):
        return True
    return len(text.split()) >= 2


RATE = lazy_re.compile(
    r"^\s*\d+\s*(?:/|per)\s*\d*\s*(?:s|sec|second|m|min|minute|h|hour|d|day|week|month)s?\s*$",
    re.IGNORECASE,
)


def is_rate(text: str) -> bool:
    """A rate limit such as `"3/hour"` or `"10 per minute"`."""
    return bool(RATE.match(text))


# Reserved for tests and documentation (RFC 2606, RFC 6761) or reachable only from this machine.
LOCAL_SUFFIXES = (
    ".localhost",
    ".local",
    ".test",
    ".example",
    ".invalid",
    ".internal",
    ".example.com",
    ".example.org",
    ".example.net",
)
LOCAL_NAMES = frozenset(
    {"localhost", "example.com", "example.org", "example.net", "host.docker.internal"}
)


def is_local_host(host: str) -> bool:
    """A host only this machine or a private development network reaches: loopback, the
    unspecified address, reserved test names, and single-label names (a compose service: `db`).
    A host filled in at run time (`{HOST}`) may be production's: not local."""
    host = re.split(r"[?#]", host, maxsplit=1)[0].strip().lower()
    hosts = [part for part in host.split(",") if part]
    return bool(hosts) and all(_is_local(part) for part in hosts)


def _is_local(host: str) -> bool:
    if host.startswith("["):
        host = host[1 : host.find("]")] if "]" in host else host[1:]
    elif host.count(":") == 1:
        host = host.split(":")[0]  # drop the port
    host = host.rstrip(".")
    if not host or "{" in host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host in LOCAL_NAMES or host.endswith(LOCAL_SUFFIXES) or "." not in host
    return address.is_loopback or address.is_unspecified
