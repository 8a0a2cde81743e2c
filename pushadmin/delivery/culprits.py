"""Finding the rows that made mPaaS refuse a whole call, so the good rows of that call still go out.

mPaaS refuses a PushMultiple call as a whole when one target's content breaks a rule (an
over-long message, bad extended params, …) and applies none of it. Splitting the call in halves
and calling again with the same MsgKeys is therefore safe: nothing was sent, so nothing is sent
twice. The halves that are accepted are done; a half refused for the same kind of reason is split
again, down to single rows, which end rejected with their own code.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Generic, NamedTuple, TypeVar

Row = TypeVar("Row")
Result = TypeVar("Result")

# Calls one refused batch may make to find its culprits: a single culprit among 100 rows takes 14
# (two per halving); beyond this the rest keeps the first refusal (rejected, never sent twice).
MAX_CALLS_PER_BATCH = 40
# A batch whose first calls are all refused is broken as a whole (every row misses a value, say),
# not by a few rows: a handful of culprits, even spread out, lets a half through within this many.
GIVE_UP_WITHOUT_ACCEPTANCE = 8


class Isolated(NamedTuple, Generic[Row, Result]):
    settled: list[tuple[list[Row], Result]]  # every row once, in row order, with the answer that settles it
    calls: list[tuple[list[Row], Result]]  # every call made, in order, with the rows it carried


def isolate(
    rows: Sequence[Row],
    refusal: Result,
    call: Callable[[Sequence[Row]], Result | None],
    *,
    splits_again: Callable[[Result], bool],
    stands: Callable[[Result], bool],
    budget: int = MAX_CALLS_PER_BATCH,
) -> Isolated[Row, Result]:
    """Each piece of `rows` with the answer that settles it, the pieces in row order.

    `call(piece)` sends a piece (None when it could not be called now: no rate slot, no time left);
    `splits_again(result)` says a piece's refusal is one a row may cause; `stands(result)` says the
    answer may be recorded for its piece (definite, or unknown under the "mark unknown" policy).
    A piece not called, or whose answer may not stand, keeps the refusal of the call it came from.
    """
    settled: list[tuple[list[Row], Result]] = []
    calls: list[tuple[list[Row], Result]] = []
    calls_left = budget
    stopped = False
    any_through = False

    def split(piece: list[Row], answer: Result) -> None:
        nonlocal calls_left, stopped, any_through
        if len(piece) == 1 or stopped or calls_left < 2:
            settled.append((piece, answer))
            return
        half = len(piece) // 2
        for part in (piece[:half], piece[half:]):
            hopeless = not any_through and len(calls) >= GIVE_UP_WITHOUT_ACCEPTANCE
            result = None if stopped or hopeless or calls_left < 1 else call(part)
            if result is not None:
                calls_left -= 1
                calls.append((part, result))
            if result is None or not stands(result):
                stopped = True
                settled.append((part, answer))
                continue
            if splits_again(result):
                split(part, result)
            else:
                any_through = True
                settled.append((part, result))

    split(list(rows), refusal)
    return Isolated(settled, calls)
