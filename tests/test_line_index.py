"""`LineIndex` converts `ast` positions (UTF-8 byte columns) to text offsets and back.

Its fast paths (a whole ASCII text, bisection) must give what the plain conversion gives: the
reference below decodes each line's bytes, for every node of every fixture and of texts with
non-ASCII characters, tabs, CRLF and form feeds.
"""

from __future__ import annotations

import ast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastapi_lint.source import LineIndex, SourceFile
from harness import FIXTURES

FILES = sorted(FIXTURES.glob("**/*.py"))


def reference_offset(text: str, line: int, byte_column: int) -> int:
    lines = text.split("\n")
    start = sum(len(before) + 1 for before in lines[: line - 1])
    prefix = lines[line - 1].encode("utf-8")[:byte_column].decode("utf-8", errors="ignore")
    return start + len(prefix)


def reference_position(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, max(offset, 0)) + 1
    return line, offset - (text.rfind("\n", 0, max(offset, 0)) + 1)


def assert_same_conversions(text: str) -> None:
    lines = LineIndex(text)
    try:
        tree = ast.parse(text)
    except SyntaxError:  # fixtures in newer syntax, or broken on purpose: their lines only
        tree = ast.Module(body=[], type_ignores=[])
    for line in range(1, lines.line_count + 1):
        start = lines.line_start(line)
        width = len(lines.line_text(line).encode("utf-8"))
        for byte_column in range(width + 1):
            assert lines.offset(line, byte_column) == start + len(
                lines.line_text(line).encode("utf-8")[:byte_column].decode("utf-8", "ignore")
            )
    for node in ast.walk(tree):
        if getattr(node, "end_lineno", None) is None:
            continue
        start = reference_offset(text, node.lineno, node.col_offset)
        end = reference_offset(text, node.end_lineno, node.end_col_offset)
        assert lines.node_range(node) == (start, end), ast.dump(node)
        assert lines.offset(node.lineno, node.col_offset) == start
        assert lines.char_column(node.lineno, node.col_offset) == start - lines.line_start(
            node.lineno
        )
        assert lines.segment(node) == text[start:end]
        assert lines.position(start) == reference_position(text, start)
        assert lines.position(end) == reference_position(text, end)


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.relative_to(FIXTURES).as_posix())
def test_fixture_positions(path):
    assert_same_conversions(SourceFile.decode(path.read_bytes()).text)


MIXED = (
    'name = "héllo"  # é\n'
    "\tvalue = {'ключ': 1}\n"
    "x = '日本' + y\n"
    "\x0cz = f'{x!r:>10}' \\\n"
    "    + 'a'\n"
    'def f(a=\'😀\', *, b="""\nmulti ü\n"""):\n'
    "\treturn a  # ünïcode\n"
)


def test_non_ascii_tabs_and_continuations():
    assert_same_conversions(MIXED)


def test_crlf_file_is_read_as_lf_text():
    text = SourceFile.decode(MIXED.replace("\n", "\r\n").encode()).text
    assert text == MIXED
    assert_same_conversions(text)


def test_positions_outside_the_text():
    lines = LineIndex("a = 1\nbé = 2\n")
    assert lines.position(0) == (1, 0)
    assert lines.position(-1) == (1, -1)
    assert lines.position(100) == (3, 87)
    for text in ("a = 1\n", "bé = 2\n"):
        with pytest.raises(IndexError):
            LineIndex(text).char_column(5, 0)
        with pytest.raises(IndexError):
            LineIndex(text).offset(5, 0)


_pieces = st.sampled_from(
    ["x", "é", "日", "😀", " ", "\t", "'s'", "1", "+", "(", ")", "\n", "#c", "ü = 1\n"]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_pieces, max_size=30))
def test_generated_lines(pieces):
    text = "".join(pieces)
    assert_same_conversions(text)
