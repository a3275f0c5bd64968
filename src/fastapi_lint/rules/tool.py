"""FAL0xx: what the tool reports about itself. The engine raises these, not a visitor."""

from __future__ import annotations

from fastapi_lint.diagnostics import INTERNAL_ERROR, INVALID_SYNTAX
from fastapi_lint.rules.base import Rule


class InvalidSyntax(Rule):
    """
    ## What it does
    Reports a file that could not be read, decoded or parsed: a syntax error, bytes that are not
    text in its encoding, nesting deeper than Python itself accepts, or a file larger than
    `max-file-size`.

    ## Why is this bad?
    Nothing else can be checked in a file that cannot be parsed, and what it defines (sessions,
    routers, models) is missing for the other files: runs that depend on it say so on stderr.
    Syntax newer than the Python that runs fastapi-lint (3.12's `def f[T]()`, 3.14's
    `except A, B:`, PEP 701 f-strings, t-strings) is not an error: such a file is read on any
    supported Python and checked like any other (README: "Files in newer Python").

    ## Example
    ```python
    def broken(:
        pass
    ```

    Use instead:
    ```python
    def fixed():
        pass
    ```

    ## Fix safety
    There is no fix.
    """

    code = INVALID_SYNTAX
    summary = "The file could not be read, decoded or parsed"


class InternalError(Rule):
    """
    ## What it does
    Reports a rule that raised an exception on a file (a bug in fastapi-lint).

    ## Why is this bad?
    The rule's findings for that file are missing. The other rules' findings still stand, and
    the run exits with status 2 so CI does not pass silently. Please report it with the file.

    ## Example
    ```python
    # any file on which a rule crashes
    ```

    Use instead:
    ```python
    # nothing to change in your code; report the bug
    ```

    ## Fix safety
    There is no fix.
    """

    code = INTERNAL_ERROR
    summary = "A rule raised an exception on this file"
