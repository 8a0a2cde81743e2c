"""Whole numbers read from a request's query string or form, strictly.

`str.isdigit()` accepts "²" and other Unicode digits that `int()` then refuses, and `int()`
alone accepts " 7", "+7", Arabic-Indic digits and "1_000". Only ASCII digits pass here, and few enough of them
to fit a database integer. A malformed number in a URL or a post is the client's mistake: a 400,
never a 500. Forms use `parse_whole_number` and turn its ValueError into a field error.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.core.exceptions import BadRequest

MAX_DIGITS = 18  # below 2**63: fits every integer column on SQLite and PostgreSQL


def is_whole_number(text: str) -> bool:
    return 0 < len(text) <= MAX_DIGITS and text.isascii() and text.isdigit()


def parse_whole_number(text: str) -> int:
    """The number `text` spells in ASCII digits; ValueError for anything else."""
    if not is_whole_number(text):
        raise ValueError(f"not a whole number: {text[:20]!r}")
    return int(text)


def number_from(data: Mapping[str, str], name: str, default: int | None = None) -> int | None:
    """`data[name]` as a whole number, `default` when absent or blank; BadRequest (400) when malformed."""
    raw = data.get(name)
    if raw is None or raw == "":
        return default
    try:
        return parse_whole_number(raw)
    except ValueError:
        raise BadRequest(f"The parameter {name!r} must be a whole number.") from None


def page_number_from(data: Mapping[str, str], name: str = "page") -> int:
    """A page number: 1 when absent; BadRequest when malformed."""
    return number_from(data, name, 1) or 1
