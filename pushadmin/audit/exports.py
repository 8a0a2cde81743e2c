"""The one CSV writer: files safe to open in a spreadsheet of any locale, streamed in constant memory.

A cell that starts with =, +, -, @, a tab or a carriage return (or their full-width forms,
which some spreadsheets fold to ASCII) is read as a formula by Excel, LibreOffice or Google
Sheets. Every cell is quoted, and such a character gets a leading apostrophe (OWASP ASVS
1.2.10) both at the start of the cell and after every character a spreadsheet may split
cells on: a reader set to semicolons (the default where the decimal mark is a comma) would
otherwise see `Launch ;=1+1;` as three cells, the second a formula.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.http import StreamingHttpResponse

FORMULA_TRIGGERS = "=+-@\t\r" + "\uff1d\uff0b\uff0d\uff20"  # and full-width = + - @
CELL_SEPARATORS = ",;\t|\r\n"
_TRIGGER_STARTING_A_CELL = re.compile(f"(?:^|(?<=[{re.escape(CELL_SEPARATORS)}]))(?=[{re.escape(FORMULA_TRIGGERS)}])")
UTF8_BOM = "\ufeff"  # so spreadsheets read Chinese names and values as UTF-8


def neutralise(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)  # a number of ours, negative or not, is not a formula
    text = json.dumps(value, ensure_ascii=False, sort_keys=True) if isinstance(value, dict | list) else str(value)
    return _TRIGGER_STARTING_A_CELL.sub("'", text)


class _Line:
    """A file-like object whose write() hands back the line csv.writer produced."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]], bom: bool = True) -> Iterator[str]:
    writer = csv.writer(_Line(), quoting=csv.QUOTE_ALL)
    yield (UTF8_BOM if bom else "") + writer.writerow([neutralise(cell) for cell in header])
    for row in rows:
        yield writer.writerow([neutralise(cell) for cell in row])


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> StreamingHttpResponse:
    response = StreamingHttpResponse(csv_lines(header, rows), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
