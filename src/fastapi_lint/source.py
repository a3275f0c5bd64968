"""Bytes to text and back, keeping what a file was: encoding, BOM and newline style.

Inside the tool every source is text with `\\n` newlines; `SourceFile.encode` restores the file's
own newline, BOM and PEP 263 encoding, so a fixed file differs from the original only where an
edit was made.
"""

from __future__ import annotations

import bisect
import codecs
import io
import tokenize
from dataclasses import dataclass
from itertools import accumulate


class DecodeError(Exception):
    """The bytes are not text in the encoding the file declares."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


@dataclass(frozen=True)
class SourceFile:
    text: str  # with "\n" newlines
    encoding: str = "utf-8"
    bom: bool = False
    newline: str = "\n"

    @classmethod
    def decode(cls, data: bytes) -> SourceFile:
        try:
            encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        except SyntaxError as exc:
            if "invalid or missing encoding" not in str(exc):
                raise DecodeError(str(exc)) from None  # an unknown or contradictory cookie
            encoding = "utf-8"  # bad bytes: decoding below says exactly where
        bom = encoding == "utf-8-sig"
        body = data[len(codecs.BOM_UTF8) :] if bom else data
        codec = "utf-8" if bom else encoding
        try:
            text = body.decode(codec)
        except UnicodeDecodeError as exc:
            line = body[: exc.start].count(b"\n") + 1
            column = exc.start - (body.rfind(b"\n", 0, exc.start) + 1) + 1
            raise DecodeError(
                f"cannot decode the file as {codec}: {exc.reason} (byte 0x{body[exc.start]:02x})",
                line,
                column,
            ) from None
        return cls(text=normalize_newlines(text), encoding=codec, bom=bom, newline=_newline(text))

    def with_text(self, text: str) -> SourceFile:
        return SourceFile(text=text, encoding=self.encoding, bom=self.bom, newline=self.newline)

    def encode(self) -> bytes:
        text = self.text if self.newline == "\n" else self.text.replace("\n", self.newline)
        data = text.encode(self.encoding)
        return codecs.BOM_UTF8 + data if self.bom else data


def normalize_newlines(text: str) -> str:
    if "\r" not in text:
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _newline(text: str) -> str:
    """The style of the first line ending; a file with none gets `\\n`."""
    index = text.find("\n")
    cr = text.find("\r")
    if cr == -1:
        return "\n"
    if index == -1 or cr < index:
        return "\r\n" if text[cr : cr + 2] == "\r\n" else "\r"
    return "\n"


class LineIndex:
    """Maps `ast` positions (1-based line, UTF-8 byte column) to offsets in the text.

    Every finding and every fix edit converts positions, so the common case is kept short: in
    an ASCII text a byte column is a character column, and a line is found by bisection.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        # Each line's start: the running sum of the line lengths before it (a loop of
        # `str.find` costs half as much again on every file linted).
        lines = text.split("\n")
        lines.pop()  # the last line ends the text: no line starts after it
        starts = [0]
        starts.extend(accumulate([len(line) + 1 for line in lines]))
        self._starts = starts
        self._ascii = text.isascii()

    @property
    def line_count(self) -> int:
        return len(self._starts)

    def line_text(self, line: int) -> str:
        start = self._starts[line - 1]
        end = self._starts[line] - 1 if line < len(self._starts) else len(self.text)
        return self.text[start:end]

    def char_column(self, line: int, byte_column: int) -> int:
        """0-based character column of a UTF-8 byte column on a line."""
        if self._ascii and line <= len(self._starts):  # else line_text raises IndexError
            return byte_column
        text = self.line_text(line)
        if text.isascii():
            return byte_column
        return len(text.encode("utf-8")[:byte_column].decode("utf-8", errors="ignore"))

    def offset(self, line: int, byte_column: int) -> int:
        if self._ascii:
            return self._starts[line - 1] + byte_column
        return self._starts[line - 1] + self.char_column(line, byte_column)

    def line_start(self, line: int) -> int:
        return self._starts[line - 1]

    def position(self, offset: int) -> tuple[int, int]:
        """(1-based line, 0-based character column) of a text offset."""
        index = bisect.bisect_right(self._starts, offset) - 1 if offset > 0 else 0
        return index + 1, offset - self._starts[index]

    def node_range(self, node) -> tuple[int, int]:
        """Text offsets (start, end) of an `ast` node."""
        if self._ascii:
            starts = self._starts
            return (
                starts[node.lineno - 1] + node.col_offset,
                starts[node.end_lineno - 1] + node.end_col_offset,
            )
        return (
            self.offset(node.lineno, node.col_offset),
            self.offset(node.end_lineno, node.end_col_offset),
        )

    def segment(self, node) -> str:
        start, end = self.node_range(node)
        return self.text[start:end]
