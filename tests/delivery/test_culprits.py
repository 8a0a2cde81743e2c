"""Splitting a refused call finds exactly its culprit rows, within a budget, recording every call."""

from __future__ import annotations

from collections.abc import Sequence

from pushadmin.delivery.culprits import GIVE_UP_WITHOUT_ACCEPTANCE, isolate

REFUSED, ACCEPTED, FLAKY = "refused", "accepted", "flaky"


class Gateway:
    """Refuses any call that carries a culprit; `flaky_after` calls later, answers without settling."""

    def __init__(self, culprits: set[int], flaky_after: int | None = None) -> None:
        self.culprits = culprits
        self.flaky_after = flaky_after
        self.calls: list[list[int]] = []

    def call(self, piece: Sequence[int]) -> str:
        self.calls.append(list(piece))
        if self.flaky_after is not None and len(self.calls) > self.flaky_after:
            return FLAKY
        return REFUSED if self.culprits.intersection(piece) else ACCEPTED


def run(gateway: Gateway, rows: list[int], budget: int = 40):
    return isolate(
        rows, REFUSED, gateway.call, splits_again=lambda r: r == REFUSED, stands=lambda r: r != FLAKY, budget=budget
    )


def outcome_of_each_row(found) -> dict[int, str]:
    return {row: answer for rows, answer in found.settled for row in rows}


def test_one_culprit_among_100_rows_is_found_in_14_calls_and_every_other_row_accepted() -> None:
    gateway = Gateway({37})
    found = run(gateway, list(range(1, 101)))
    outcomes = outcome_of_each_row(found)
    assert [row for row, answer in outcomes.items() if answer == REFUSED] == [37]
    assert sorted(outcomes) == list(range(1, 101))
    assert len(gateway.calls) == len(found.calls) == 14


def test_three_culprits_are_each_isolated_and_no_row_is_sent_twice_once_accepted() -> None:
    gateway = Gateway({2, 50, 99})
    found = run(gateway, list(range(1, 101)))
    outcomes = outcome_of_each_row(found)
    assert sorted(row for row, answer in outcomes.items() if answer == REFUSED) == [2, 50, 99]
    accepted_calls = [piece for piece in gateway.calls if not gateway.culprits.intersection(piece)]
    accepted_rows = [row for piece in accepted_calls for row in piece]
    assert len(accepted_rows) == len(set(accepted_rows)) == 97


def test_past_the_budget_the_rest_keeps_the_first_refusal() -> None:
    gateway = Gateway({1, 2, 3, 4, 5, 6, 7, 8})
    found = run(gateway, list(range(1, 101)), budget=6)
    assert len(gateway.calls) <= 6
    outcomes = outcome_of_each_row(found)
    assert sorted(outcomes) == list(range(1, 101))
    assert all(outcomes[row] == REFUSED for row in range(1, 9))


def test_an_answer_that_cannot_stand_stops_the_split_and_its_rows_keep_the_refusal() -> None:
    gateway = Gateway({37}, flaky_after=2)
    found = run(gateway, list(range(1, 101)))
    outcomes = outcome_of_each_row(found)
    assert sorted(outcomes) == list(range(1, 101))
    assert FLAKY not in outcomes.values()
    assert len(gateway.calls) == 3 and [answer for _rows, answer in found.calls] == [REFUSED, ACCEPTED, FLAKY]


def test_a_batch_broken_as_a_whole_is_given_up_on_after_a_few_calls() -> None:
    gateway = Gateway(set(range(1, 101)))
    found = run(gateway, list(range(1, 101)))
    assert len(gateway.calls) == GIVE_UP_WITHOUT_ACCEPTANCE
    assert all(answer == REFUSED for _rows, answer in found.settled)
    assert sorted(outcome_of_each_row(found)) == list(range(1, 101))
