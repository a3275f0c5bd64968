"""Secrets never leave the tool in full: every output is passed through `Redactor`.

Security rules record the raw secret on their diagnostics; the CLI collects them and replaces
each occurrence in what it prints or writes (reports in every format, source frames, diffs,
warnings) by its masked form. Escaped spellings (JSON, XML, GitHub workflow commands) are
replaced too, since a format may escape the secret's characters.
"""

from __future__ import annotations

import json
from xml.sax.saxutils import escape


def mask(secret: str) -> str:
    return f"{secret[:2]}***"


class Redactor:
    """Masks secrets in text; `protected` strings (the file paths) are never touched."""

    def __init__(
        self, secrets: set[str], protected: set[str] | frozenset[str] = frozenset()
    ) -> None:
        self._protected = sorted(protected, key=len, reverse=True)
        spellings: dict[str, str] = {}
        for secret in secrets:
            if len(secret) < 3:
                continue  # too short to tell from ordinary text; the message masks it anyway
            masked = mask(secret)
            for variant in (
                secret,
                json.dumps(secret)[1:-1],
                escape(secret, {'"': "&quot;"}),
                secret.replace("%", "%25"),
            ):
                spellings[variant] = masked
        self._spellings = sorted(spellings.items(), key=lambda item: -len(item[0]))

    def __call__(self, text: str) -> str:
        if not self._spellings:
            return text
        kept = {}
        for number, path in enumerate(self._protected):
            if path in text:
                token = f"\x00{number}\x00"
                kept[token] = path
                text = text.replace(path, token)
        for secret, masked in self._spellings:
            if secret in text:
                text = text.replace(secret, masked)
        for token, path in kept.items():
            text = text.replace(token, path)
        return text
