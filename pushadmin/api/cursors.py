"""Cursor pagination: a page of items and an opaque cursor for the next one.

A cursor names the last position seen (an id or a row number), so a page never repeats or
skips an item when new ones arrive meanwhile, as offsets would.
"""

from __future__ import annotations

import base64
import binascii

from pushadmin.api.problems import Problem

MAX_LIMIT = 200


def encode(position: int) -> str:
    return base64.urlsafe_b64encode(f"p{position}".encode()).decode().rstrip("=")


def decode(cursor: str | None) -> int | None:
    """The position a cursor names, or None for the first page; a foreign string is a 422."""
    if not cursor:
        return None
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        text = ""
    if text.startswith("p") and text[1:].isdigit() and len(text) < 20:
        return int(text[1:])
    raise Problem(
        422, "The cursor is not one this API gave out.", [("cursor", "Use next_cursor from a previous page.")]
    )
