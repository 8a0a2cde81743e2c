"""Reading audience CSV files as marketers export them: any of the usual encodings and separators.

Files are read as a stream (never whole), so a million-row file costs the same memory as a
ten-row one; each line is read with a cap (`MAX_LINE_BYTES`), so neither does a file without
line breaks. A problem with the whole file raises `CsvFileError`; a problem with one row is
a `RowReject` with the row's line number, so the import can report it and go on.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from pushadmin.campaigns.preflight import extended_params_problem

TARGET_COLUMN = "target"
EXTENDED_PARAMS_COLUMN = "extendedparams"
MAX_TARGET_LENGTH = 128
MAX_VALUE_LENGTH = 1000
# A target, extendedParams and the placeholders; more columns than a template could ever use
# only make the audience's page heavy (10,000 columns made it 12 MB).
MAX_COLUMNS = 200
# The longest legitimate row (MAX_COLUMNS values of MAX_VALUE_LENGTH Chinese characters) fits with room to spare.
MAX_LINE_BYTES = 1024 * 1024
SNIFF_BYTES = 64 * 1024
DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
# Spreadsheet exports in mainland China are GBK; GB18030 reads every GBK file and more.
FALLBACK_ENCODING = "gb18030"

csv.field_size_limit(MAX_LINE_BYTES)


class CsvFileError(ValueError):
    """The file as a whole cannot be imported; nothing was changed."""


@dataclass(frozen=True)
class Layout:
    encoding: str
    delimiter: str
    header: list[str]
    target_index: int
    extended_index: int | None
    columns: list[tuple[int, str]]

    @property
    def placeholder_names(self) -> list[str]:
        return [name for _, name in self.columns]


@dataclass(frozen=True)
class Member:
    line_number: int
    target: str
    values: dict[str, str]  # only the placeholders the row has a value for
    extended_params: dict[str, Any] | None
    missing: tuple[str, ...] = ()  # placeholders left empty: the campaign's missing-data policy decides


@dataclass(frozen=True)
class RowReject:
    line_number: int
    target: str
    reason: str


def detect_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        # final=False: the sample may end inside a multi-byte character.
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return FALLBACK_ENCODING
    return "utf-8"


def detect_delimiter(first_line: str) -> str:
    counts = {delimiter: first_line.count(delimiter) for delimiter in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _column_name(raw: str) -> str:
    # "#name#" in a header means the placeholder name.
    return raw.strip().strip("#").strip()


def read_layout(header: list[str], encoding: str, delimiter: str) -> Layout:
    if len(header) > MAX_COLUMNS:
        raise CsvFileError(
            f"Line 1 names {len(header):,} columns; an audience may have at most {MAX_COLUMNS} "
            "(target, extendedParams and one per placeholder). Remove the columns no template uses."
        )
    names = [_column_name(cell) for cell in header]
    lowered = [name.lower() for name in names]
    if TARGET_COLUMN not in lowered:
        found = ", ".join(repr(n) for n in names[:5])
        raise CsvFileError(f"Line 1 must name the columns and one must be 'target'; it names {found}.")
    for index, name in enumerate(names, start=1):
        if not name:
            raise CsvFileError(f"Line 1: column {index} has no name.")
    repeated = sorted({name for name in lowered if lowered.count(name) > 1})
    if repeated:
        raise CsvFileError(f"Line 1 names a column twice: {', '.join(repeated)}.")
    target_index = lowered.index(TARGET_COLUMN)
    extended_index = lowered.index(EXTENDED_PARAMS_COLUMN) if EXTENDED_PARAMS_COLUMN in lowered else None
    columns = [(i, name) for i, name in enumerate(names) if i not in (target_index, extended_index)]
    return Layout(encoding, delimiter, names, target_index, extended_index, columns)


def check_row(layout: Layout, line_number: int, cells: list[str]) -> Member | RowReject:
    target = cells[layout.target_index].strip() if len(cells) > layout.target_index else ""
    if len(cells) > len(layout.header):
        return RowReject(
            line_number,
            target[:MAX_TARGET_LENGTH],
            f"unknown column: {len(cells)} values but line 1 names {len(layout.header)} columns",
        )
    if not target:
        return RowReject(line_number, "", "empty target")
    if len(target) > MAX_TARGET_LENGTH:
        return RowReject(line_number, target[:MAX_TARGET_LENGTH], f"target longer than {MAX_TARGET_LENGTH} characters")
    values: dict[str, str] = {}
    missing: list[str] = []
    for index, name in layout.columns:
        value = cells[index].strip() if index < len(cells) else ""
        if not value:
            missing.append(name)
            continue
        if len(value) > MAX_VALUE_LENGTH:
            return RowReject(line_number, target, f"value for #{name}# longer than {MAX_VALUE_LENGTH} characters")
        values[name] = value
    extended = None
    if layout.extended_index is not None and layout.extended_index < len(cells):
        raw = cells[layout.extended_index].strip()
        if raw:
            try:
                extended = json.loads(raw)
            except json.JSONDecodeError as exc:
                reason = f"bad JSON in extendedParams: {exc.msg} at character {exc.pos + 1}"
                return RowReject(line_number, target, reason)
            problem = extended_params_problem(extended)
            if problem:
                return RowReject(line_number, target, problem)
    return Member(line_number, target, values, extended or None, tuple(missing))


class CsvStream:
    """The rows of one file, each checked (`Member` or `RowReject`); `bytes_read` tells how far it got.

    Lines are decoded one at a time (no GBK or UTF-8 byte sequence contains a newline byte),
    so a bad byte is reported on its exact line. A file that is plain ASCII as far as it has
    been read reads the same in UTF-8 and GB18030, so the encoding is still open until the
    first line that is not ASCII decides it, however far into the file that line is.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        self.raw = raw
        head = raw.read(SNIFF_BYTES)
        raw.seek(0)
        self.encoding = detect_encoding(head)
        self.physical_line = 0
        self.at_end = False
        first_line = head.split(b"\n", 1)[0].decode(self.encoding, errors="replace")
        self.reader = csv.reader(self._lines(), delimiter=detect_delimiter(first_line))
        try:
            header = next(self.reader)
        except StopIteration:
            raise CsvFileError("The file is empty.") from None
        except csv.Error as exc:
            raise CsvFileError(f"Line 1 cannot be read: {exc}") from None
        if self.physical_line > 1 or self.at_end:
            raise CsvFileError(f"Line 1: {_quote_left_open(1, self.physical_line, self.at_end)}.")
        self.layout = read_layout(header, self.encoding, self.reader.dialect.delimiter)

    def _lines(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder(self.encoding)()
        undecided = self.encoding == "utf-8"  # nothing but ASCII read so far
        while raw_line := self._next_raw_line():
            try:
                text = decoder.decode(raw_line)
            except UnicodeDecodeError:
                if not undecided:
                    raise self._not_valid(self.encoding.removesuffix("-sig").upper()) from None
                decoder = codecs.getincrementaldecoder(FALLBACK_ENCODING)()
                try:
                    text = decoder.decode(raw_line)
                except UnicodeDecodeError:
                    raise self._not_valid("UTF-8, nor GBK / GB18030") from None
                self.encoding = FALLBACK_ENCODING
            undecided = undecided and raw_line.isascii()
            yield text
        self.at_end = True

    def _next_raw_line(self) -> bytes:
        raw_line = self.raw.readline(MAX_LINE_BYTES + 1)
        if not raw_line:
            return raw_line
        self.physical_line += 1
        if len(raw_line) > MAX_LINE_BYTES:
            raise CsvFileError(
                f"Line {self.physical_line} is longer than {MAX_LINE_BYTES // (1024 * 1024)} MB, "
                "more than any row of an audience needs; is the file a CSV with one row per line?"
            )
        if b"\x00" in raw_line:
            raise CsvFileError(
                f"Line {self.physical_line} contains a NUL byte, which a text file never has; "
                "save the file as CSV UTF-8 (not UTF-16 or a spreadsheet format) and upload it again."
            )
        return raw_line

    def _not_valid(self, encodings: str) -> CsvFileError:
        return CsvFileError(
            f"Line {self.physical_line} is not valid {encodings}; "
            "save the file as UTF-8 (or GBK / GB18030) and upload it again."
        )

    @property
    def bytes_read(self) -> int:
        return self.raw.tell()

    def __iter__(self) -> Iterator[Member | RowReject]:
        while True:
            start = self.physical_line + 1
            try:
                cells = next(self.reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise CsvFileError(f"Line {start} cannot be read: {exc}.") from None
            # A record runs past its first line only inside quotes; one the file ends inside
            # was never closed. Either way lines would be merged into one value unseen.
            end = self.physical_line
            if self.at_end:
                raise CsvFileError(f"Line {start}: {_quote_left_open(start, end, at_end=True)}.")
            if not any(cell.strip() for cell in cells) and len(cells) <= 1:
                continue  # a blank line is not a row
            if end > start:
                target = cells[self.layout.target_index].strip() if len(cells) > self.layout.target_index else ""
                yield RowReject(start, target[:MAX_TARGET_LENGTH], _quote_left_open(start, end, at_end=False))
                continue
            yield check_row(self.layout, start, cells)


def _quote_left_open(start: int, end: int, at_end: bool) -> str:
    """Why the lines from `start` to `end` were not read as rows: a quote opened on `start`."""
    lines = f"line {start}" if start == end else f"lines {start} to {end}"
    if at_end:
        return (
            f"a quoted value opens on this line and is never closed, so {lines} would be one value; "
            'close the quote or remove the stray "'
        )
    return (
        f"a quoted value opens on this line and closes only on line {end}, so {lines} were not imported; "
        'a value may not run across lines (a stray "?)'
    )
