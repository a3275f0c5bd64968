"""Newer syntax rewritten as older syntax, so the running Python's `ast` can read the file.

DESIGN.md principle 1: a file the running `ast` rejects but LibCST (which reads every Python
version) accepts is *lowered* and analysed like any other. Each rewrite is a text edit:

- `except A, B:` / `except* A, B:` (PEP 758, 3.14) -> `except (A, B):`
- `except*` (PEP 654) on 3.10 -> `except ` (a plain handler: same width)
- `tuple[*Ts]`, `*args: *Ts` (PEP 646) on 3.10 -> ` Ts` (same width)
- `type X[T] = Y` (PEP 695, 3.12) -> `X = Y`, so the index reads X as an alias of Y
- type parameter lists `def f[T]()`, `class C[T]:` (PEP 695, with PEP 696 defaults) -> removed
- f-strings the running Python cannot read (PEP 701: nested same quotes, backslashes, comments
  or newlines in replacement fields) and t-strings (PEP 750) -> a plain string placeholder
  (spaces between quotes, same width on one line), so nothing inside them is analysed

Lines never move: a rewritten span that held line breaks keeps them as backslash
continuations. Columns move only on a rewritten line after the rewrite, and `Lowering` maps
positions in the lowered text back to the original. Code that edits files must not touch a
rewritten span (`Lowering.touches`).

LibCST's parser and visitors recurse, so a file nested deeper than CPython itself allows is
refused before LibCST sees it (`nesting_depth`), and LibCST runs on a thread with a large stack.
"""

from __future__ import annotations

import ast
import bisect
import io
import itertools
import sys
import threading
import tokenize
import warnings
from dataclasses import dataclass, field, replace

from fastapi_lint import lazy_re
from fastapi_lint.diagnostics import Diagnostic, Edit
from fastapi_lint.source import LineIndex

RUNNING = sys.version_info[:2]
# CPython's own limits (Parser/tokenizer.h MAXLEVEL, MAXINDENT): no Python reads a file beyond
# them, and LibCST would recurse (or overflow the C stack) on it.
MAX_BRACKETS = 200
MAX_INDENTS = 100
_STACK_BYTES = 512 * 1024 * 1024
_RECURSION_LIMIT = 20_000


class CannotLower(Exception):
    """The file is not valid Python for any version LibCST knows, or too deep to try."""


@dataclass(frozen=True)
class Lowering:
    """The lowered text and the edits (original offsets, ascending) that made it."""

    original: str
    edits: tuple[tuple[int, int, str], ...]
    text: str = field(init=False)
    _starts: list[int] = field(init=False, repr=False)  # where each edit's result starts

    def __post_init__(self) -> None:
        pieces, starts, position, shift = [], [], 0, 0
        for start, end, content in self.edits:
            pieces.append(self.original[position:start])
            pieces.append(content)
            starts.append(start + shift)
            shift += len(content) - (end - start)
            position = end
        pieces.append(self.original[position:])
        object.__setattr__(self, "text", "".join(pieces))
        object.__setattr__(self, "_starts", starts)

    def original_offset(self, offset: int) -> int:
        """The offset in the original text of an offset in the lowered text."""
        index = bisect.bisect_right(self._starts, offset) - 1
        if index < 0:
            return offset
        start, end, content = self.edits[index]
        inside = offset - self._starts[index]
        if inside >= len(content):
            return end + inside - len(content)
        return start + min(inside, end - start)

    def original_edit(self, edit: Edit) -> Edit:
        """An edit of the lowered text, as an edit of the original text."""
        return Edit(self.original_offset(edit.start), self.original_offset(edit.end), edit.content)

    def touches(self, start: int, end: int) -> bool:
        """Whether the original range [start, end] meets a rewritten span."""
        return any(a <= end and start <= b for a, b, _ in self.edits)


def lower(text: str) -> Lowering:
    """The file rewritten so the running `ast` reads it; CannotLower when that is impossible.

    LibCST is slow (seconds for a few thousand lines), so it reads only the top-level statements
    the running `ast` rejects; when those pieces are not whole statements for LibCST either (a
    guessed boundary fell inside a string or brackets), it reads the whole file.
    """
    edits: list[tuple[int, int, str]] = []
    try:
        for start, end in _rejected_statements(text):
            edits.extend(
                (a + start, b + start, content) for a, b, content in _lower(text[start:end])
            )
    except CannotLower as exc:
        if str(exc).startswith(REFUSED):
            raise
        edits = _lower(text)
    ordered = sorted(edits)
    for (_, end, _), (start, _, _) in itertools.pairwise(ordered):
        if start < end:  # nested rewrites: no sound lowering (never seen; refuse, do not guess)
            raise CannotLower("overlapping rewrites")
    return Lowering(text, tuple(ordered))


REFUSED = ("nesting too deep", "too complex")
# Lines at column 0 that continue the statement above rather than start one.
_CONTINUES = lazy_re.compile(r"(else|elif|except|finally)\b")


def _rejected_statements(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of runs of top-level statements the running `ast` cannot read.

    A statement is guessed to start on a line that begins, at column 0, with a name or a
    decorator (not `else:`/`except`..., not right after a decorator). A wrong guess yields a
    piece that LibCST rejects too, and `lower` then reads the whole file.
    """
    starts = [0]
    offset = 0
    after_decorator = False
    for line in text.splitlines(keepends=True):
        first = line[:1]
        if first.isalpha() or first in ("_", "@"):
            if offset and not after_decorator and not _CONTINUES.match(line):
                starts.append(offset)
            after_decorator = first == "@"
        offset += len(line)
    starts.append(len(text))
    rejected: list[tuple[int, int]] = []
    for start, end in itertools.pairwise(starts):
        if start == end or _readable(text[start:end], "exec"):
            continue
        if rejected and rejected[-1][1] == start:  # a run: one piece for LibCST
            rejected[-1] = (rejected[-1][0], end)
        else:
            rejected.append((start, end))
    return rejected


def _lower(text: str) -> list[tuple[int, int, str]]:
    depth = nesting_depth(text)
    if depth is not None:
        raise CannotLower(f"nesting too deep to analyse: {depth}")
    return _on_big_stack(lambda: _edits(text))


def nesting_depth(text: str) -> str | None:
    """A description of the nesting when it is beyond CPython's limits, else None.

    The tokenizer is iterative and cheap; it stops at the first token it cannot read (the
    depth so far is still a lower bound).
    """
    brackets = indents = 0
    deepest_brackets = deepest_indents = 0
    tokens = tokenize.generate_tokens(io.StringIO(text).readline)
    try:
        for token in tokens:
            kind = token.type
            if kind == tokenize.OP:
                if token.string in "([{":
                    brackets += 1
                    deepest_brackets = max(deepest_brackets, brackets)
                elif token.string in ")]}":
                    brackets = max(brackets - 1, 0)
            elif kind == tokenize.INDENT:
                indents += 1
                deepest_indents = max(deepest_indents, indents)
            elif kind == tokenize.DEDENT:
                indents -= 1
    except (tokenize.TokenError, SyntaxError) as exc:
        if "too many" in str(exc) or "too deep" in str(exc):  # the C tokenizer of 3.12+
            return f"more than {max(deepest_brackets, MAX_BRACKETS)} nested brackets"
    if deepest_brackets > MAX_BRACKETS:
        return f"{deepest_brackets} nested brackets"
    if deepest_indents > MAX_INDENTS:
        return f"{deepest_indents} nested blocks"
    return None


def _on_big_stack(work):
    """Run `work` on a thread with a large stack and a high recursion limit.

    LibCST's native parser and its Python visitors recurse once or more per nesting level;
    the depth check bounds the levels, this gives the recursion room.
    """
    outcome: list = []

    def target() -> None:
        try:
            outcome.append((True, work()))
        except BaseException as exc:  # handed to the calling thread
            outcome.append((False, exc))

    old_stack = threading.stack_size()
    old_limit = sys.getrecursionlimit()
    try:
        _set_stack_size()
        sys.setrecursionlimit(max(old_limit, _RECURSION_LIMIT))
        thread = threading.Thread(target=target, name="fastapi-lint-lowering")
        thread.start()
        thread.join()
    finally:
        threading.stack_size(old_stack)
        sys.setrecursionlimit(old_limit)
    ok, value = outcome[0]
    if ok:
        return value
    if isinstance(value, (RecursionError, MemoryError)):
        raise CannotLower(f"too complex to analyse ({type(value).__name__})")
    raise value


def _set_stack_size() -> None:
    """The largest of a few generous sizes the platform accepts (some cap thread stacks)."""
    for size in (_STACK_BYTES, _STACK_BYTES // 8, _STACK_BYTES // 64):
        try:
            threading.stack_size(size)
            return
        except (ValueError, RuntimeError):
            continue


def _edits(text: str) -> list[tuple[int, int, str]]:
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        raise CannotLower(str(exc).splitlines()[0]) from None
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    positions = wrapper.resolve(PositionProvider)
    starts = [0]
    starts.extend(index + 1 for index, char in enumerate(text) if char == "\n")

    def span(node) -> tuple[int, int]:
        where = positions[node]
        return (
            starts[where.start.line - 1] + where.start.column,
            starts[where.end.line - 1] + where.end.column,
        )

    collector = _make_collector()(text, span)
    wrapper.module.visit(collector)
    return collector.edits


def _keeping_lines(removed: str, content: str) -> str:
    """`content`, plus one backslash continuation per line break of the text it replaces."""
    breaks = removed.count("\n")
    return content + " \\\n" * breaks if breaks else content


def _placeholder(segment: str) -> str:
    """A plain string literal standing in for an unreadable f-string or t-string."""
    if "\n" in segment:
        return _keeping_lines(segment, '""')
    return '"' + " " * max(len(segment) - 2, 0) + '"'


def _readable(segment: str, mode: str = "eval") -> bool:
    """Whether the running `ast` reads an expression (or, in "exec" mode, statements)."""
    source = f"(\n{segment}\n)" if mode == "eval" else segment
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ast.parse(source, mode=mode)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return True


def _make_collector():
    """The visitor class, made on first use so that importing this module skips LibCST."""
    import libcst as cst

    class Collector(cst.CSTVisitor):
        def __init__(self, text: str, span) -> None:
            self.text = text
            self.span = span
            self.edits: list[tuple[int, int, str]] = []

        def _replace(self, start: int, end: int, content: str) -> None:
            self.edits.append((start, end, _keeping_lines(self.text[start:end], content)))

        def _bare_tuple(self, kind) -> None:
            if isinstance(kind, cst.Tuple) and not kind.lpar:  # PEP 758
                start, end = self.span(kind)
                self.edits.append((start, start, "("))
                self.edits.append((end, end, ")"))

        def visit_ExceptHandler(self, node) -> None:
            self._bare_tuple(node.type)

        def visit_ExceptStarHandler(self, node) -> None:
            self._bare_tuple(node.type)
            if RUNNING < (3, 11):  # `except*` -> `except ` (same width)
                start, _ = self.span(node)
                star = self.text.index("*", start)
                self.edits.append((star, star + 1, " "))

        def _unstar(self, node) -> None:  # `*Ts` (PEP 646) on 3.10 -> ` Ts` (same width)
            if RUNNING < (3, 11):
                start, _ = self.span(node)
                self.edits.append((start, start + 1, " "))

        def visit_Index(self, node) -> None:  # `tuple[*Ts]`
            if node.star:
                self._unstar(node)

        def visit_Param(self, node) -> None:  # `*args: *Ts`
            if node.annotation is not None and isinstance(
                node.annotation.annotation, cst.StarredElement
            ):
                self._unstar(node.annotation.annotation)

        def visit_TypeAlias(self, node) -> bool:  # `type X[T] = Y` -> `X = Y`
            start, _ = self.span(node)
            value_start, _ = self.span(node.value)
            self._replace(start, value_start, f"{node.name.value} = ")
            node.value.visit(_Strings(self))  # the parameters went with the span above
            return False

        def visit_TypeParameters(self, node) -> bool:
            start, end = self.span(node)
            self._replace(start, end, "")
            return False

        def visit_FormattedString(self, node) -> bool:
            start, end = self.span(node)
            segment = self.text[start:end]
            if not _readable(segment):
                self.edits.append((start, end, _placeholder(segment)))
            return False

        def visit_TemplatedString(self, node) -> bool:
            start, end = self.span(node)
            self.edits.append((start, end, _placeholder(self.text[start:end])))
            return False

    class _Strings(cst.CSTVisitor):
        """The string rewrites inside a node whose own visit returned False."""

        def __init__(self, owner) -> None:
            self.owner = owner

        def visit_FormattedString(self, node) -> bool:
            return self.owner.visit_FormattedString(node)

        def visit_TemplatedString(self, node) -> bool:
            return self.owner.visit_TemplatedString(node)

    return Collector


def restore(
    diagnostic: Diagnostic, lowering: Lowering, lowered: LineIndex, lines: LineIndex
) -> Diagnostic:
    """A diagnostic found in the lowered text, placed in the original text.

    A fix whose edits meet a rewritten span is dropped: it was written against code the user
    does not have.
    """
    start = lowering.original_offset(lowered.line_start(diagnostic.line) + diagnostic.column)
    end_line = min(max(diagnostic.end_line, 1), lowered.line_count)
    end = lowering.original_offset(lowered.line_start(end_line) + diagnostic.end_column)
    diagnostic.line, diagnostic.column = lines.position(start)
    diagnostic.end_line, diagnostic.end_column = lines.position(max(end, start))
    diagnostic.start_offset = lowering.original_offset(diagnostic.start_offset)
    if diagnostic.secret is not None:  # masked by its offsets: they must be the user's
        first, last = diagnostic.secret
        diagnostic.secret = (lowering.original_offset(first), lowering.original_offset(last))
    fix = diagnostic.fix
    if fix is not None:
        edits = [lowering.original_edit(edit) for edit in fix.edits]
        if any(lowering.touches(edit.start, edit.end) for edit in edits):
            diagnostic.fix = None
        else:
            diagnostic.fix = replace(fix, edits=tuple(edits))
    return diagnostic
