"""Reading audience CSV files as marketers export them: any of the usual encodings and separators.

Files are read as a stream (never whole), so a million-row file costs the same memory as a
ten-row one; each line is read with a cap (`MAX_LINE_BYTES`), so neither does a file without
line breaks. A problem with the whole file raises `CsvFileError`; a problem with one row is
a `RowReject` with the row's line number, so the import can report it and go on. Both say why
in English, from a message of `recorded_reasons`, and pages show them in the reader's language.
"""

from __future__ import annotations

import codecs
import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from pushadmin.campaigns.preflight import extended_params_problems
from pushadmin.console import recorded_reasons as reasons

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
    """The file as a whole cannot be imported; nothing was changed. Its text is stored in English."""

    def __init__(self, message: str, **values: object) -> None:
        super().__init__(reasons.written(message, **values))


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
        raise CsvFileError(reasons.TOO_MANY_COLUMNS, count=f"{len(header):,}", limit=MAX_COLUMNS)
    names = [_column_name(cell) for cell in header]
    lowered = [name.lower() for name in names]
    if TARGET_COLUMN not in lowered:
        found = ", ".join(repr(n) for n in names[:5])
        raise CsvFileError(reasons.NO_TARGET_COLUMN, names=found)
    for index, name in enumerate(names, start=1):
        if not name:
            raise CsvFileError(reasons.COLUMN_WITHOUT_NAME, column=index)
    repeated = sorted({name for name in lowered if lowered.count(name) > 1})
    if repeated:
        raise CsvFileError(reasons.COLUMN_TWICE, names=", ".join(repeated))
    target_index = lowered.index(TARGET_COLUMN)
    extended_index = lowered.index(EXTENDED_PARAMS_COLUMN) if EXTENDED_PARAMS_COLUMN in lowered else None
    columns = [(i, name) for i, name in enumerate(names) if i not in (target_index, extended_index)]
    return Layout(encoding, delimiter, names, target_index, extended_index, columns)


def check_row(layout: Layout, line_number: int, cells: list[str]) -> Member | RowReject:
    target = cells[layout.target_index].strip() if len(cells) > layout.target_index else ""
    if len(cells) > len(layout.header):
        why = reasons.written(reasons.ROW_TOO_MANY_VALUES, values=len(cells), columns=len(layout.header))
        return RowReject(line_number, target[:MAX_TARGET_LENGTH], why)
    if not target:
        return RowReject(line_number, "", reasons.written(reasons.ROW_EMPTY_TARGET))
    if len(target) > MAX_TARGET_LENGTH:
        why = reasons.written(reasons.ROW_TARGET_TOO_LONG, limit=MAX_TARGET_LENGTH)
        return RowReject(line_number, target[:MAX_TARGET_LENGTH], why)
    values: dict[str, str] = {}
    missing: list[str] = []
    for index, name in layout.columns:
        value = cells[index].strip() if index < len(cells) else ""
        if not value:
            missing.append(name)
            continue
        if len(value) > MAX_VALUE_LENGTH:
            why = reasons.written(reasons.ROW_VALUE_TOO_LONG, name=name, limit=MAX_VALUE_LENGTH)
            return RowReject(line_number, target, why)
        values[name] = value
    extended = None
    if layout.extended_index is not None and layout.extended_index < len(cells):
        raw = cells[layout.extended_index].strip()
        if raw:
            try:
                extended = json.loads(raw)
            except json.JSONDecodeError as exc:
                why = reasons.written(reasons.ROW_BAD_JSON, parser_message=exc.msg, at=exc.pos + 1)
                return RowReject(line_number, target, why)
            problems = extended_params_problems(extended)
            if problems:
                why = " ".join(reasons.written(message, **values) for message, values in problems)
                return RowReject(line_number, target, why)
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
            raise CsvFileError(reasons.FILE_EMPTY) from None
        except csv.Error as exc:
            raise CsvFileError(reasons.LINE_UNREADABLE, line=1, csv_error=exc) from None
        if self.at_end:
            raise _never_closed(1, self.physical_line)
        if self.physical_line > 1:
            raise CsvFileError(reasons.HEADER_RUNS_ACROSS, end=self.physical_line)
        self.layout = read_layout(header, self.encoding, self.reader.dialect.delimiter)

    def _lines(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder(self.encoding)()
        undecided = self.encoding == "utf-8"  # nothing but ASCII read so far
        while raw_line := self._next_raw_line():
            try:
                text = decoder.decode(raw_line)
            except UnicodeDecodeError:
                if not undecided:
                    encoding = self.encoding.removesuffix("-sig").upper()
                    raise CsvFileError(reasons.NOT_VALID_ENCODING, line=self.physical_line, encoding=encoding) from None
                decoder = codecs.getincrementaldecoder(FALLBACK_ENCODING)()
                try:
                    text = decoder.decode(raw_line)
                except UnicodeDecodeError:
                    raise CsvFileError(reasons.NOT_UTF8_NOR_GBK, line=self.physical_line) from None
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
            raise CsvFileError(reasons.LINE_TOO_LONG, line=self.physical_line, mb=MAX_LINE_BYTES // (1024 * 1024))
        if b"\x00" in raw_line:
            raise CsvFileError(reasons.NUL_BYTE, line=self.physical_line)
        return raw_line

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
                raise CsvFileError(reasons.LINE_UNREADABLE, line=start, csv_error=exc) from None
            # A record runs past its first line only inside quotes; one the file ends inside
            # was never closed. Either way lines would be merged into one value unseen.
            end = self.physical_line
            if self.at_end:
                raise _never_closed(start, end)
            if not any(cell.strip() for cell in cells) and len(cells) <= 1:
                continue  # a blank line is not a row
            if end > start:
                target = cells[self.layout.target_index].strip() if len(cells) > self.layout.target_index else ""
                why = reasons.written(reasons.ROW_RUNS_ACROSS, start=start, end=end)
                yield RowReject(start, target[:MAX_TARGET_LENGTH], why)
                continue
            yield check_row(self.layout, start, cells)


def _never_closed(start: int, end: int) -> CsvFileError:
    """A quote opened on line `start` that the file, ending on line `end`, never closes."""
    if start == end:
        return CsvFileError(reasons.QUOTE_NEVER_CLOSED_ONE, line=start)
    return CsvFileError(reasons.QUOTE_NEVER_CLOSED, start=start, end=end)
