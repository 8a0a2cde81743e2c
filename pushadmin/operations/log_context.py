"""The ids a log line carries: which request or task, workspace, campaign and batch it was about.

Kept in context variables, so they follow the work through a request or a Celery task without
being passed along; `ContextFilter` copies them onto every log record (None where unknown).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token

FIELDS = ("request_id", "workspace_id", "campaign_id", "batch_id")
_values: dict[str, ContextVar[str | int | None]] = {name: ContextVar(name, default=None) for name in FIELDS}


def current() -> dict[str, str | int | None]:
    return {name: var.get() for name, var in _values.items()}


def note(**ids: str | int | None) -> None:
    """Set ids for the rest of the enclosing `bound` block (or request, or task)."""
    for name, value in ids.items():
        _values[name].set(value)


def set_ids(**ids: str | int | None) -> list[Token[str | int | None]]:
    return [_values[name].set(value) for name, value in ids.items()]


def reset(tokens: list[Token[str | int | None]]) -> None:
    for token in reversed(tokens):
        token.var.reset(token)


@contextmanager
def bound(**ids: str | int | None) -> Iterator[None]:
    """These ids (and any `note`d inside) hold until the block ends, then the previous ones return."""
    tokens = set_ids(**ids)
    try:
        yield
    finally:
        reset(tokens)


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        for name, var in _values.items():
            if not hasattr(record, name):
                setattr(record, name, var.get())
        return True
