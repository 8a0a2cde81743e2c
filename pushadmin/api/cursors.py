"""Cursor pagination: a page of items and an opaque cursor for the next one.

A cursor names the last position seen (an id or a row number), so a page never repeats or
skips an item when new ones arrive meanwhile, as offsets would.
"""

from __future__ import annotations

import base64
import binascii
from typing import TypeVar

from django.db.models import Model, QuerySet

from pushadmin.api.problems import Problem

M = TypeVar("M", bound=Model)

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


def page(
    items: QuerySet[M], cursor: str | None, limit: int, *, key: str, descending: bool = False
) -> tuple[list[M], str | None]:
    """Up to `limit` of `items` in `key` order after the cursor's position, and the cursor of the next page
    (None on the last one)."""
    items = items.order_by(f"-{key}" if descending else key)
    after = decode(cursor)
    if after is not None:
        items = items.filter(**{f"{key}__{'lt' if descending else 'gt'}": after})
    found = list(items[: limit + 1])
    more = len(found) > limit
    found = found[:limit]
    return found, encode(getattr(found[-1], key)) if more else None
