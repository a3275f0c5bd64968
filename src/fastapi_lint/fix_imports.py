"""The import edits that fixes need, placed and removed the way ruff's isort and F401 want them.

An import a fix adds goes into its isort section (future, standard library, third party, first
party, local), sorted within it like ruff's defaults (`import x` before `from x import y`, by
module name, case aside); a name added to an existing `from x import ...` takes its sorted place
(constants, classes, then the rest). An import that a fix made unused (used before the fix,
used nowhere after it, not in `__all__`) is removed. So a file whose imports ruff found clean
before `--fix` is still clean after it.
"""

from __future__ import annotations

import ast
import re
import sys
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from fastapi_lint import lazy_re
from fastapi_lint.diagnostics import Edit, Import
from fastapi_lint.source import LineIndex

LINE_LENGTH = 88  # ruff's default, which decides when an import is wrapped
_CODING = lazy_re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")
WORD = lazy_re.compile(r"[A-Za-z_]\w*")
FUTURE, STANDARD_LIBRARY, THIRD_PARTY, FIRST_PARTY, LOCAL_FOLDER = range(5)


def first_party_modules(path: Path, module: str) -> frozenset[str]:
    """Top-level modules of the project of the file at `path`, named `module`, as ruff's isort
    finds them by default: the file's own package, and what its import root (the folder its
    module name starts from) and that root's `src` (or, for a `src` root, its parent) hold."""
    names = {module.split(".")[0]}
    depth = module.count(".") + (2 if path.stem == "__init__" else 1)
    if len(path.parents) <= depth - 1:
        return frozenset(names)
    root = path.parents[depth - 1]
    for folder in (root, root.parent if root.name == "src" else root / "src"):
        try:
            entries = list(folder.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.suffix in (".py", ".pyi"):
                names.add(entry.stem)
            elif entry.is_dir() and entry.name.isidentifier():
                names.add(entry.name)
    return frozenset(names)


def section(module: str, level: int, first_party: frozenset[str]) -> int:
    if level:
        return LOCAL_FOLDER
    top = module.split(".")[0]
    if top == "__future__":
        return FUTURE
    if top in sys.stdlib_module_names:
        return STANDARD_LIBRARY
    return FIRST_PARTY if top in first_party else THIRD_PARTY


def _module_key(module: str) -> tuple[str, str]:
    return module.lower(), module


def _member_key(name: str) -> tuple[int, str, str]:
    """Ruff's order-by-type: CONSTANTS, then Classes, then the rest."""
    bare = name.split(" as ")[0]
    kind = 0 if bare.isupper() and len(bare) > 1 else 1 if bare[:1].isupper() else 2
    return kind, bare.lower(), name


@dataclass(frozen=True)
class _Entry:
    rank: tuple  # (section, 0 for `import x` / 1 for `from x import`, module key)
    line: str = ""  # a new import's text
    stmt: ast.stmt | None = None  # an existing import


def _rank(stmt: ast.Import | ast.ImportFrom, first_party: frozenset[str]) -> tuple:
    if isinstance(stmt, ast.Import):
        module = stmt.names[0].name
        return section(module, 0, first_party), 0, _module_key(module)
    module = "." * stmt.level + (stmt.module or "")
    return section(stmt.module or "", stmt.level, first_party), 1, _module_key(module)


# -- adding ------------------------------------------------------------------------------------
def import_edits(
    text: str, tree: ast.Module, imports: list[Import], first_party: frozenset[str] = frozenset()
) -> list[Edit]:
    """Edits that make every import available, merging into an existing `from x import ...`."""
    lines = LineIndex(text)
    edits: list[Edit] = []
    new: list[_Entry] = []
    by_module: dict[str, list[str]] = {}
    for item in imports:
        if item.name is None:
            if not _has_module_import(tree, item.module):
                rank = (section(item.module, 0, first_party), 0, _module_key(item.module))
                new.append(_Entry(rank, f"import {item.module}"))
        elif not _has_name_import(tree, item.module, item.name):
            names = by_module.setdefault(item.module, [])
            if item.name not in names:
                names.append(item.name)
    for module, names in by_module.items():
        existing = _from_import(tree, module)
        if existing is not None:
            edits.extend(_merge_names(text, lines, existing, names))
        else:
            rank = (section(module, 0, first_party), 1, _module_key(module))
            new.append(_Entry(rank, _from_line(module, sorted(names, key=_member_key))))
    if new:
        edits.extend(_placed(text, tree, lines, sorted(new, key=lambda e: e.rank), first_party))
    return edits


def _placed(
    text: str, tree: ast.Module, lines: LineIndex, new: list[_Entry], first_party: frozenset[str]
) -> list[Edit]:
    """Insertions of the new imports (sorted) into the leading import block, section by section."""
    block = _leading_imports(tree)
    if not block:
        offset, prefix = _start_point(text, tree, lines)
        body, previous = [], None
        for entry in new:
            if previous is not None and entry.rank[0] != previous:
                body.append("")
            body.append(entry.line)
            previous = entry.rank[0]
        body.extend([""] * _blank_lines_wanted(text, tree, lines, offset))
        return [Edit(offset, offset, prefix + "".join(f"{line}\n" for line in body))]
    existing = [_Entry(_rank(stmt, first_party), stmt=stmt) for stmt in block]
    edits = []
    for group in _by_section(new, existing):
        kind = group[0].rank[0]
        content = "".join(f"{entry.line}\n" for entry in group)
        before = [e for e in existing if e.rank < group[0].rank]
        after = [e for e in existing if e.rank > group[0].rank]
        same_before = [e for e in before if e.rank[0] == kind]
        same_after = [e for e in after if e.rank[0] == kind]
        if same_before:  # right after its sorted predecessor in its section
            offset, prefix = _after(text, lines, same_before[-1].stmt)
            edits.append(Edit(offset, offset, prefix + content))
        elif same_after:  # first of its section
            offset = lines.line_start(same_after[0].stmt.lineno)
            edits.append(Edit(offset, offset, content))
        elif after:  # a new section, before the next one
            offset = lines.line_start(after[0].stmt.lineno)
            edits.append(Edit(offset, offset, content + "\n"))
        else:  # a new section, at the end of the block
            offset, prefix = _after(text, lines, existing[-1].stmt)
            edits.append(Edit(offset, offset, prefix + "\n" + content))
    return edits


def _by_section(new: list[_Entry], existing: list[_Entry]) -> list[list[_Entry]]:
    """Sorted new entries cut into runs of one section with no existing import among them."""
    groups: list[list[_Entry]] = []
    merged = sorted([*new, *existing], key=lambda e: (e.rank, e.stmt is None))
    run: list[_Entry] = []
    for entry in merged:
        if entry.stmt is not None or (run and run[0].rank[0] != entry.rank[0]):
            if run:
                groups.append(run)
            run = []
        if entry.stmt is None:
            run.append(entry)
    if run:
        groups.append(run)
    return groups


def _after(text: str, lines: LineIndex, stmt: ast.stmt) -> tuple[int, str]:
    if stmt.end_lineno >= lines.line_count:
        return len(text), "" if text.endswith("\n") else "\n"
    return lines.line_start(stmt.end_lineno + 1), ""


def _leading_imports(tree: ast.Module) -> list[ast.Import | ast.ImportFrom]:
    """The import statements of the block at the top of the module (after its docstring)."""
    block = []
    for position, stmt in enumerate(tree.body):
        if isinstance(stmt, (ast.Import, ast.ImportFrom)):
            block.append(stmt)
        elif not (position == 0 and _is_docstring(stmt)):
            break
    return block


def _is_docstring(stmt: ast.stmt) -> bool:
    return (
        isinstance(stmt, ast.Expr)
        and isinstance(stmt.value, ast.Constant)
        and isinstance(stmt.value.value, str)
    )


def _start_point(text: str, tree: ast.Module, lines: LineIndex) -> tuple[int, str]:
    """Where a module without imports gets its first: after the docstring, shebang, coding."""
    if tree.body and _is_docstring(tree.body[0]):  # one blank line between, as black and ruff
        offset, prefix = _after(text, lines, tree.body[0])  # format write it
        return offset, prefix + "\n"
    line = 1
    while line <= lines.line_count and (
        lines.line_text(line).startswith("#!") or _CODING.match(lines.line_text(line))
    ):
        line += 1
    if line > lines.line_count:
        return len(text), "" if not text or text.endswith("\n") else "\n"
    return lines.line_start(line), ""


def _blank_lines_wanted(text: str, tree: ast.Module, lines: LineIndex, offset: int) -> int:
    """Blank lines a new import block at `offset` lacks before the code after it: isort wants
    two before a function or class, one before anything else."""
    if offset >= len(text):
        return 0
    line, _ = lines.position(offset)
    blank = 0
    while line + blank <= lines.line_count and not lines.line_text(line + blank).strip():
        blank += 1
    following = [stmt for stmt in tree.body if _first_line(stmt) >= line]
    definition = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    wanted = 2 if following and isinstance(following[0], definition) else 1
    return max(0, wanted - blank)


def _first_line(stmt: ast.stmt) -> int:
    decorators = getattr(stmt, "decorator_list", None)
    return decorators[0].lineno if decorators else stmt.lineno


def _has_module_import(tree: ast.Module, module: str) -> bool:
    return any(
        isinstance(stmt, ast.Import) and any(a.name == module and not a.asname for a in stmt.names)
        for stmt in tree.body
    )


def _has_name_import(tree: ast.Module, module: str, name: str) -> bool:
    return any(
        isinstance(stmt, ast.ImportFrom)
        and stmt.module == module
        and stmt.level == 0
        and any(a.name == name and not a.asname for a in stmt.names)
        for stmt in tree.body
    )


def _from_import(tree: ast.Module, module: str) -> ast.ImportFrom | None:
    for stmt in tree.body:
        if (
            isinstance(stmt, ast.ImportFrom)
            and stmt.module == module
            and stmt.level == 0
            and stmt.names[0].name != "*"
        ):
            return stmt
    return None


def _merge_names(text: str, lines: LineIndex, stmt: ast.ImportFrom, names: list[str]) -> list[Edit]:
    """Edits giving the `from x import ...` statement `names`, each in its sorted place."""
    start, end = lines.node_range(stmt)
    statement = text[start:end]
    members = sorted([_spelled(alias) for alias in stmt.names] + names, key=_member_key)
    module = stmt.module or ""
    fits = stmt.lineno == stmt.end_lineno and "\n" not in _from_line(module, members)
    if "#" not in statement and not fits:
        # Wrapped, or now too long for one line: the statement is written out again.
        return [Edit(start, end, _from_line(module, members, wrapped=True))]
    # Otherwise each name goes right after the one it sorts after (or before the first): the
    # smallest edit, which keeps any comment where it was.
    inserted: dict[int, list[str]] = {}
    for name in sorted(names, key=_member_key):
        earlier = [a for a in stmt.names if _member_key(_spelled(a)) < _member_key(name)]
        if earlier:
            offset = lines.offset(earlier[-1].end_lineno, earlier[-1].end_col_offset)
            inserted.setdefault(offset, []).append(f", {name}")
        else:
            offset = lines.offset(stmt.names[0].lineno, stmt.names[0].col_offset)
            inserted.setdefault(offset, []).append(f"{name}, ")
    return [Edit(offset, offset, "".join(parts)) for offset, parts in inserted.items()]


def _spelled(alias: ast.alias) -> str:
    return f"{alias.name} as {alias.asname}" if alias.asname else alias.name


def _magic_trailing_comma(statement: str) -> bool:
    return ")" in statement and statement[: statement.rindex(")")].rstrip().endswith(",")


def _from_line(module: str, members: list[str], wrapped: bool = False) -> str:
    line = f"from {module} import {', '.join(members)}"
    if not wrapped and len(line) <= LINE_LENGTH:
        return line
    return f"from {module} import (\n" + "".join(f"    {m},\n" for m in members) + ")"


# -- removing ----------------------------------------------------------------------------------
def used_names(tree: ast.Module) -> set[str]:
    """Every name the module reads, and every word of its strings (`__all__`, annotations).

    Scopes are not told apart: a name read anywhere keeps every import of it. Asked of the
    whole file before and after each fix round, so it walks the field tables (skipping fields
    that hold no name or string) instead of `ast.walk`, which costs three times as much.
    """
    names: set[str] = set()
    add, update, words = names.add, names.update, WORD.findall
    stack: list = [tree]
    pop, push, extend = stack.pop, stack.append, stack.extend
    known = _CHILD_FIELDS.get
    while stack:
        node = pop()
        kind = type(node)
        if kind is ast.Name:
            if not isinstance(node.ctx, ast.Store):
                add(node.id)
            continue
        if kind is ast.Constant:
            if isinstance(node.value, str):
                update(words(node.value))
            continue
        fields = known(kind)
        if fields is None:
            fields = _child_fields(kind)
        for name in fields:
            value = getattr(node, name, None)
            if type(value) is list:
                extend(value)
            elif isinstance(value, ast.AST):
                push(value)
    return names


# Fields that never hold a node, or only tokens (contexts, operators): not walked.
_NO_NAMES = frozenset(
    {"ctx", "op", "ops", "id", "attr", "arg", "name", "module", "level", "kind", "type_comment"}
)
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(kind: type) -> tuple[str, ...]:
    """The fields of a node type to walk; none for what is not a node (a list's None or str)."""
    fields = tuple(name for name in getattr(kind, "_fields", ()) if name not in _NO_NAMES)
    if not issubclass(kind, ast.AST):
        fields = ()
    _CHILD_FIELDS[kind] = fields
    return fields


def unused_import_edits(
    text: str, tree: ast.Module, used_before: set[str], removed: list | None = None
) -> list[Edit]:
    """Edits removing the imports that `used_before` read and `tree` reads nowhere; the
    statements removed whole are added to `removed`, as (their block, the statement)."""
    used_now = used_names(tree)
    if used_before <= used_now:
        return []  # no name stopped being read: no import can have become unused
    lines = LineIndex(text)
    edits = []
    # Only an import with its line to itself is removed: when no indented line starts one,
    # the module's own body is the only block that can hold it, and no other is visited.
    blocks = _statement_lists(tree) if _INDENTED_IMPORT.search(text) else [tree.body]
    for body in blocks:
        emptied = 0
        gone: list[tuple[int, int]] = []  # line spans of the statements removed whole
        for stmt in body:
            if not isinstance(stmt, (ast.Import, ast.ImportFrom)) or _is_future(stmt):
                continue
            unused = [
                alias
                for alias in stmt.names
                if alias.name != "*"
                and alias.asname != alias.name  # `import x as x` re-exports on purpose
                and _bound(stmt, alias) in used_before
                and _bound(stmt, alias) not in used_now
            ]
            whole = len(unused) == len(stmt.names)
            if not unused or (whole and body is not tree.body and emptied + 1 == len(body)):
                continue  # a block needs a statement: the last one stays
            if not _reshapeable(text, lines, stmt):
                continue
            if whole and _trailing_comment(lines, stmt):
                continue  # `import time  # keep: ...`: the comment says why; both stay
            if whole:
                gone.append((stmt.lineno, stmt.end_lineno))
                emptied += 1
                if removed is not None:
                    removed.append((body, stmt))
            else:
                kept = [alias for alias in stmt.names if alias not in unused]
                edits.append(_rewritten(text, lines, stmt, kept))
        opens_block = body is not tree.body
        for first, last in _adjacent_joined(gone):
            edits.append(
                _deleted_lines(text, lines, first, last, opens_block and first == body[0].lineno)
            )
    return edits


_INDENTED_IMPORT = lazy_re.compile(r"^[ \t\f]+(?:import|from)\b", re.MULTILINE)
_BLOCKS = frozenset({"body", "handlers", "orelse", "finalbody", "cases"})
_HOLDERS = (ast.stmt, ast.excepthandler, ast.match_case)


def _statement_lists(tree: ast.Module):
    """Every list of statements: the module's body and the blocks nested in it, in the order a
    breadth-first walk meets them. Only statements (and handlers, cases) are visited: no
    expression holds a statement."""
    yield tree.body
    todo = deque([tree])
    while todo:
        node = todo.popleft()
        if node is not tree:
            for name in ("body", "orelse", "finalbody"):
                block = getattr(node, name, None)
                if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
                    yield block
        for name in type(node)._fields:
            if name in _BLOCKS:
                todo.extend(item for item in getattr(node, name) if isinstance(item, _HOLDERS))


def _is_future(stmt: ast.stmt) -> bool:
    return isinstance(stmt, ast.ImportFrom) and stmt.module == "__future__"


def _bound(stmt: ast.Import | ast.ImportFrom, alias: ast.alias) -> str:
    if alias.asname:
        return alias.asname
    return alias.name.split(".")[0] if isinstance(stmt, ast.Import) else alias.name


def _reshapeable(text: str, lines: LineIndex, stmt: ast.stmt) -> bool:
    """Whether the statement has its lines to itself and no comment inside (one after is fine
    for a rewritten statement, which keeps it; a statement with one is not removed)."""
    start, end = lines.node_range(stmt)
    before = text[lines.line_start(stmt.lineno) : start]
    column = lines.char_column(stmt.end_lineno, stmt.end_col_offset)
    after = lines.line_text(stmt.end_lineno)[column:].strip()
    return (
        not before.strip() and (not after or after.startswith("#")) and "#" not in text[start:end]
    )


def _trailing_comment(lines: LineIndex, stmt: ast.stmt) -> bool:
    column = lines.char_column(stmt.end_lineno, stmt.end_col_offset)
    return lines.line_text(stmt.end_lineno)[column:].strip().startswith("#")


def _rewritten(
    text: str, lines: LineIndex, stmt: ast.Import | ast.ImportFrom, kept: list[ast.alias]
) -> Edit:
    start, end = lines.node_range(stmt)
    if isinstance(stmt, ast.Import):
        return Edit(start, end, "import " + ", ".join(_spelled(a) for a in kept))
    module = "." * stmt.level + (stmt.module or "")
    wrapped = _magic_trailing_comma(text[start:end])
    return Edit(start, end, _from_line(module, [_spelled(a) for a in kept], wrapped))


def _adjacent_joined(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    joined: list[tuple[int, int]] = []
    for first, last in spans:
        if joined and joined[-1][1] + 1 == first:
            joined[-1] = (joined[-1][0], last)
        else:
            joined.append((first, last))
    return joined


def _deleted_lines(text: str, lines: LineIndex, first: int, last: int, opens_block: bool) -> Edit:
    """Lines first..last removed; and a blank line with them when they were a whole section
    (blank lines on both sides), so sections stay one blank line apart, or when they opened a
    block (a block does not start with a blank line)."""
    end = _line_after(text, lines, last)
    blank_before = opens_block or first == 1 or not lines.line_text(first - 1).strip()
    if blank_before and last < lines.line_count and not lines.line_text(last + 1).strip():
        end = _line_after(text, lines, last + 1)
    return Edit(lines.line_start(first), end, "")


def _line_after(text: str, lines: LineIndex, line: int) -> int:
    return lines.line_start(line + 1) if line < lines.line_count else len(text)
