"""Columns between code points and an LSP client's encodings, and the one-span edit."""

from __future__ import annotations

import pytest

from fastapi_lint.diagnostics import Edit
from fastapi_lint.lsp_positions import (
    UTF8,
    UTF16,
    UTF32,
    client_column,
    code_point_column,
    minimal_edit,
    text_offset,
)
from fastapi_lint.source import LineIndex

LINE = 'x = "\U0001f600é"; y'  # an astral character (2 UTF-16 units, 4 bytes), é (2 bytes)


@pytest.mark.parametrize(
    ("encoding", "expected"),
    [(UTF16, [0, 5, 7, 8, 9]), (UTF8, [0, 5, 9, 11, 12]), (UTF32, [0, 5, 6, 7, 8])],
)
def test_client_columns(encoding: str, expected: list[int]):
    columns = [0, 5, 6, 7, 8]  # code points: start, the emoji, é, the quote, `;`
    assert [client_column(LINE, column, encoding) for column in columns] == expected
    assert [code_point_column(LINE, units, encoding) for units in expected] == columns


def test_a_column_inside_a_character_is_its_start_and_past_the_end_is_the_end():
    assert code_point_column(LINE, 6, UTF16) == 5  # between the emoji's two units
    assert code_point_column(LINE, 7, UTF8) == 5
    assert code_point_column(LINE, 99, UTF16) == len(LINE)


def test_text_offset_of_a_client_position():
    lines = LineIndex(f"a\n{LINE}\n")
    assert text_offset(lines, 1, 7, UTF16) == 2 + 6


@pytest.mark.parametrize(
    ("old", "new", "edit"),
    [
        ("abc", "abc", None),
        ("abc", "aXc", Edit(1, 2, "X")),
        ("aaa", "aaaa", Edit(3, 3, "a")),
        ("abc", "", Edit(0, 3, "")),
        ("x = 1\n", "x = 1  # noqa: FAL1\n", Edit(5, 5, "  # noqa: FAL1")),
    ],
)
def test_minimal_edit(old: str, new: str, edit: Edit | None):
    assert minimal_edit(old, new) == edit
