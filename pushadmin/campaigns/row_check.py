"""Whether one row has any problem pre-flight would report, answered fast enough for a million rows.

`preflight.row_problems` fills both texts and words each problem; over a million rows that was most
of a pre-flight. This answers only yes or no, from lengths: a filled text is as long as the text with
its markers taken out plus each marker's value (filling is a single pass, so a value is never filled
again). A row it says yes to goes through `row_problems` for the words; both must agree on every row.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from pushadmin.campaigns.rendering import PLACEHOLDER_RE, has_value
from pushadmin.mpaas.validation import MAX_CONTENT_LENGTH, MAX_TITLE_LENGTH


class QuickCheck:
    """Yes/no per row for one template, placeholders and fallback (build once per scan)."""

    def __init__(
        self,
        title: str,
        content: str,
        names: list[str],
        fallback: Mapping[str, Any] | None,
        extended_problem: Callable[[Any], str | None],
    ) -> None:
        self.names = names
        self.known = frozenset(names)
        self.fallback_lengths = {
            name: len(str(fallback[name])) for name in names if fallback and has_value(fallback.get(name))
        }
        self.texts = [
            self._shape(text or "", limit) for text, limit in ((title, MAX_TITLE_LENGTH), (content, MAX_CONTENT_LENGTH))
        ]
        self._extended_problem = extended_problem
        self._extended_ok: dict[str, bool] = {}

    @staticmethod
    def _shape(text: str, limit: int) -> tuple[int, list[tuple[str, int]], int]:
        """(length without its markers, (placeholder, how often) each, the limit)."""
        markers = [match.group(0) for match in PLACEHOLDER_RE.finditer(text)]
        counts = Counter(marker[1:-1] for marker in markers)
        return len(text) - sum(len(marker) for marker in markers), list(counts.items()), limit

    def has_problem(self, values: Mapping[str, Any] | None, extended_json: str | None) -> bool:
        values = values or {}
        if any(key not in self.known for key in values):
            return True  # a value for a placeholder the template does not have
        lengths: dict[str, int] = {}
        for name in self.names:
            value = values.get(name)
            if has_value(value):
                lengths[name] = len(str(value))
            elif name in self.fallback_lengths:
                lengths[name] = self.fallback_lengths[name]
            else:
                return True  # missing
        for base, counts, limit in self.texts:
            if base + sum(count * lengths[name] for name, count in counts) > limit:
                return True  # too long once filled
        return extended_json is not None and not self._extended_fine(extended_json)

    def _extended_fine(self, text: str) -> bool:
        """Rows often carry the same extendedParams: each distinct text is judged once."""
        fine = self._extended_ok.get(text)
        if fine is None:
            fine = self._extended_problem(json.loads(text)) is None
            if len(self._extended_ok) < 10_000:
                self._extended_ok[text] = fine
        return fine
