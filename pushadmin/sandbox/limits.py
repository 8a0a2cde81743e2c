"""Limits the sandbox enforces.

They all come from :mod:`pushadmin.mpaas.validation`, so the campaign builder's
pre-flight and the sandbox refuse the same things (the length caps there say
where each number comes from).
"""

from __future__ import annotations

from pushadmin.mpaas.validation import (
    ACTIVITY_EVENTS,
    CIRCLE_VALUE_RANGES,
    DEFAULT_STRATEGY_TIMEZONE,
    DELIVERY_TYPES,
    MAX_CONTENT_LENGTH,
    MAX_EXPIRED_SECONDS,
    MAX_LOOP_DAYS_AHEAD,
    MAX_MSG_KEY_LENGTH,
    MAX_TARGET_LENGTH,
    MAX_TARGETS_PER_CALL,
    MAX_TASK_NAME_LENGTH,
    MAX_TITLE_LENGTH,
    MIN_EXPIRED_SECONDS,
    STRATEGY_TYPES,
)
from pushadmin.mpaas.validation import (
    MAX_EXTENDED_PARAM_KEYS as MAX_EXTENDED_PARAMS,
)
from pushadmin.mpaas.validation import (
    RESERVED_EXTENDED_PARAM_KEYS as RESERVED_EXTENDED_KEYS,
)

MAX_LOOP_DAYS = MAX_LOOP_DAYS_AHEAD

__all__ = [
    "ACTIVITY_EVENTS",
    "CIRCLE_VALUE_RANGES",
    "DEFAULT_STRATEGY_TIMEZONE",
    "DELIVERY_TYPES",
    "MAX_CONTENT_LENGTH",
    "MAX_EXPIRED_SECONDS",
    "MAX_EXTENDED_PARAMS",
    "MAX_LOOP_DAYS",
    "MAX_MSG_KEY_LENGTH",
    "MAX_TARGETS_PER_CALL",
    "MAX_TARGET_LENGTH",
    "MAX_TASK_NAME_LENGTH",
    "MAX_TITLE_LENGTH",
    "MIN_EXPIRED_SECONDS",
    "RESERVED_EXTENDED_KEYS",
    "STRATEGY_TYPES",
]
