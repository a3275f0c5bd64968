"""One file of a run: read it, then lint, suppress, fix and write it (or take its cached results).

The pipeline (pipeline.py) decides where each file is read and checked; this module knows only
the one file in front of it.
"""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG
from typing import TYPE_CHECKING

from fastapi_lint import resolving
from fastapi_lint.cache import Stamp, content_hash, stamp_of
from fastapi_lint.config import DEFAULT_MAX_FILE_SIZE, Settings
from fastapi_lint.diagnostics import INVALID_SYNTAX, Diagnostic
from fastapi_lint.parsing import SyntaxProblem
from fastapi_lint.redaction import Span, secret_spans
from fastapi_lint.results import FileReport, Rows
from fastapi_lint.semantic.facts import ModuleFacts
from fastapi_lint.source import DecodeError, SourceFile
from fastapi_lint.suppression import per_file_ignored, silenced_by_path, suppress_noting

if TYPE_CHECKING:
    from fastapi_lint.engine import Linter
# Fixing, diffs, baselines and noqa comments are imported by the checks that make them: a
# warm run takes every file's results from the cache and needs none of them.


@dataclass
class Loaded:
    path: Path
    data: bytes | None = None
    source: SourceFile | None = None
    tree: ast.Module | SyntaxProblem | None = None
    error: Diagnostic | None = None
    digest: str = ""  # of the file's bytes
    stamp: Stamp | None = None  # `cache.stamp_of` when read, unless modified just now
    module: tuple[str, str] | None = None  # (module name, package), set before it is checked
    facts: ModuleFacts | None = None  # what the index was told of it (star names included)
    # Not read (yet): its stamp is the one the caches hold for it, which may give its results.
    unread: bool = False
    # Of results the cache gave unread: positions of those the file's noqa comments silence.
    by_comment: list[int] = field(default_factory=list)


def load(path: Path, max_file_size: int = DEFAULT_MAX_FILE_SIZE) -> Loaded:
    item = Loaded(path)
    try:
        status = path.stat()
        if not S_ISREG(status.st_mode):  # opening a FIFO named on the command line would wait
            item.error = file_error(str(path), "not a regular file (a pipe, device or socket)")
            return item
        size = status.st_size
        if size > max_file_size:
            item.error = file_error(str(path), too_large(size, max_file_size))
            return item
        item.data = path.read_bytes()
    except OSError as exc:
        item.error = file_error(str(path), f"cannot read the file: {exc.strerror or exc}")
        return item
    item.digest = content_hash(item.data)
    item.stamp = stamp_of(status)
    try:
        item.source = SourceFile.decode(item.data)
    except DecodeError as exc:
        item.error = file_error(str(path), exc.message, exc.line, exc.column - 1)
    return item


def read_unread(item: Loaded, max_file_size: int) -> None:
    """Read a file left unread (`Loaded.unread`) after all."""
    loaded = load(item.path, max_file_size)
    item.data, item.source, item.error = loaded.data, loaded.source, loaded.error
    item.digest, item.stamp, item.unread = loaded.digest, loaded.stamp, False


class TextOf:
    """The text of a file whose results came from the cache unread, read if an output asks for
    it (see `FileReport.source_text`). (A plain class: one is made per file of a warm run.)"""

    __slots__ = ("digest", "path")

    def __init__(self, path: Path, digest: str) -> None:
        self.path = path
        self.digest = digest  # of the content the cached results are of

    def __call__(self) -> str:
        """The text, or "" (no source shown) when the file changed since: the results' positions,
        secrets' spans included, are those of the content they were found in."""
        try:
            if not S_ISREG(self.path.stat().st_mode):  # replaced by a pipe since: never wait
                return ""
            data = self.path.read_bytes()
            if content_hash(data) != self.digest:
                return ""
            return SourceFile.decode(data).text
        except (OSError, DecodeError):
            return ""


def too_large(size: int, limit: int) -> str:
    return (
        f"file too large to analyse ({size / 1048576:.1f} MB; `max-file-size` is "
        f"{limit / 1048576:.1f} MB)"
    )


def file_error(path: str, message: str, line: int = 1, column: int = 0) -> Diagnostic:
    return Diagnostic(
        code=INVALID_SYNTAX,
        name="invalid-syntax",
        message=message,
        line=line,
        column=column,
        end_line=line,
        end_column=column,
        path=path,
    )


def check(
    item: Loaded,
    linter: Linter | None,
    settings: Settings,
    options,
    base: Path,
    *,
    stdin: bool,
    cached: list[Diagnostic] | Rows | None = None,
) -> FileReport:
    """The report of one file; `options` are the runner's. Its first lint uses the tree and
    facts the index was built from (`item.tree`, `item.facts`). `linter` is None for a file
    whose `cached` results are given: nothing lints it."""
    shown = display_path(item.path) if not stdin else (options.stdin_filename or "-")
    key = resolving.relative_to(item.path, base) if not stdin else shown
    if item.unread and cached is not None:
        return from_cache(item, cached, settings, shown, key)
    report = FileReport(path=shown, key_path=key)
    if item.unread:
        read_unread(item, settings.max_file_size)
    if item.error is not None or item.source is None:
        error = item.error or file_error(shown, "cannot read the file")
        error.path = shown
        report.diagnostics.append(error)
        return report
    source = item.source
    report.source_text = source.text
    primary, package = item.module
    patterns = settings.per_file_ignores
    ignored = (
        per_file_ignored(resolving.relative_to(item.path, base), patterns) if patterns else set()
    )
    secrets_of: dict[str, list[Span]] = {}  # text linted -> its secrets, for --diff

    def lint(text: str, tree=None, reuse: list[Diagnostic] | None = None) -> list[Diagnostic]:
        if reuse is None:
            # Only the file's own text has the facts the index holds; a fixed text gets its own.
            facts = item.facts if tree is not None and tree is item.tree else None
            linted = linter.lint(shown, text, primary, package, tree, facts, location=key)
            found, report.queries = linted.diagnostics, linted.queries
        else:
            found = reuse
            for diagnostic in found:
                diagnostic.path = shown
        report.raw = found
        report.secrets = secrets_of[text] = secret_spans(found)
        kept, report.silenced, report.by_comment = suppress_noting(found, text, ignored)
        if options.baseline:
            new = options.baseline.new_findings(key, kept, text, secrets_of[text])
            report.baselined = len(kept) - len(new)
            kept = new
        return kept

    if options.add_noqa:
        from fastapi_lint.add_noqa import add_noqa
        from fastapi_lint.writing import NotWritten, replace_file

        report.diagnostics = lint(source.text, item.tree)
        text, report.noqa_added, report.noqa_skipped = add_noqa(source.text, report.diagnostics)
        if text != source.text:
            try:
                replace_file(item.path, source.with_text(text).encode(), item.data)
            except (NotWritten, OSError, UnicodeEncodeError) as exc:
                report.problems.append(not_written(exc, "cannot write the file"))
                report.noqa_added = 0
        return report
    if not (options.fix or options.diff):
        report.diagnostics = lint(source.text, item.tree, cached)
        if options.fix_edits:
            from fastapi_lint.fix_imports import first_party_modules
            from fastapi_lint.fixes import attach_final_edits

            attach_final_edits(
                report.diagnostics,
                source.text,
                first_party_modules(item.path, primary),
                source.newline,
            )
        return report

    from fastapi_lint.diffs import safe_unified_diff, without_secret_fixes
    from fastapi_lint.fix_imports import first_party_modules
    from fastapi_lint.fixes import attach_final_edits, fix_text
    from fastapi_lint.writing import NotWritten, replace_file

    def lint_for_diff(text: str, tree=None) -> list[Diagnostic]:  # only fixes showing no secret
        return without_secret_fixes(lint(text, tree), text, secrets_of[text], report.left_out)

    first_party = first_party_modules(item.path, primary)
    outcome = fix_text(
        source.text,
        lint_for_diff if options.diff else lint,
        options.unsafe_fixes or settings.unsafe_fixes,  # the file's own project may allow them
        first_party,
        tree=item.tree,
    )
    report.diagnostics = outcome.diagnostics
    report.fixed = outcome.fixed
    report.problems = outcome.problems
    if options.fix_edits:  # what is left after --fix (a write that fails re-lints without them)
        attach_final_edits(report.diagnostics, outcome.text, first_party, source.newline)
    if outcome.text == source.text:
        if stdin and options.fix:
            report.fixed_text = source.text
        return report
    if options.diff:
        path = shown if stdin else Path(os.path.relpath(item.path)).as_posix()
        report.diff, left_out = safe_unified_diff(
            path,
            source.text,
            outcome.text,
            secrets_of[source.text],
            secrets_of[outcome.text],
            source.newline,
            source.bom,
        )
        report.left_out.extend(left_out)
    elif stdin:
        report.fixed_text = outcome.text
    else:
        try:
            replace_file(item.path, source.with_text(outcome.text).encode(), item.data)
        except (NotWritten, OSError, UnicodeEncodeError) as exc:
            report.problems.append(not_written(exc, "cannot write the fixed file"))
            report.fixed = {}
            report.diagnostics = lint(source.text)
            return report
    report.source_text = outcome.text
    return report


def from_cache(
    item: Loaded, cached: list[Diagnostic] | Rows, settings: Settings, shown: str, key_path: str
) -> FileReport:
    """The report of a file left unread whose cached results its stamp vouches for (`shown`:
    its display path, `key_path`: relative to the base): the cache says which of them the
    file's noqa comments silence (`Loaded.by_comment`), per-file-ignores apply on top; the text
    is read only if an output asks for it."""
    report = FileReport(path=shown, key_path=key_path)
    report.source_text = TextOf(item.path, item.digest)
    report.by_comment = item.by_comment
    patterns = settings.per_file_ignores
    ignored = tuple(per_file_ignored(report.key_path, patterns)) if patterns else ()
    if isinstance(cached, Rows):
        kept = _kept(cached, item.by_comment, ignored, lambda row: row[2])
        report.rows = kept if kept is cached else Rows(kept)
        report.silenced = len(cached) - len(report.rows)
        return report
    for diagnostic in cached:
        diagnostic.path = report.path
    report.raw = cached
    report.secrets = secret_spans(cached)
    kept = _kept(cached, item.by_comment, ignored, lambda d: d.code)
    report.diagnostics = list(kept) if kept is cached else kept
    report.silenced = len(cached) - len(report.diagnostics)
    return report


def _kept(found: list, by_comment: list[int], ignored: tuple[str, ...], code_of) -> list:
    """What `suppress` keeps of the findings (rows or diagnostics) of a text whose comments
    silence those at `by_comment`, with per-file-ignores `ignored`."""
    if not (by_comment or ignored):
        return found  # (the caller's own list)
    dropped = set(by_comment)
    return [
        item
        for number, item in enumerate(found)
        if number not in dropped and not silenced_by_path(code_of(item), ignored)
    ]


def not_written(exc: Exception, failure: str) -> str:
    """Why a file was not written: left alone on purpose (read-only, edited) or a failure."""
    from fastapi_lint.writing import NotWritten

    return str(exc) if isinstance(exc, NotWritten) else f"{failure}: {exc}"


def display_path(path: Path) -> str:
    real = resolving.resolve(path)
    if os.name == "posix":  # by string (resolved paths): pathlib's relative_to costs more
        here = resolving.current_folder()
        text, prefix = str(real), here.rstrip("/") + "/"
        if text.startswith(prefix):
            return text[len(prefix) :]
        if text == here:
            return "."
    try:
        return real.relative_to(Path.cwd()).as_posix()
    except ValueError:
        return str(path)
