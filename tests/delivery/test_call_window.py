"""A worker keeps several calls in flight, never more than its window, and answers keep their positions."""

from __future__ import annotations

import threading

import pytest

from pushadmin.delivery.call_window import CallWindow


class Gateway:
    """Counts calls in flight; each call waits until `hold` calls are in flight together (or a timeout)."""

    def __init__(self, hold: int) -> None:
        self.hold = hold
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most = 0
        self.barrier = threading.Barrier(hold, timeout=5)

    def call(self, request: int) -> str:
        with self.lock:
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        try:
            self.barrier.wait()  # only passes once `hold` calls are on their way at the same time
        finally:
            with self.lock:
                self.in_flight -= 1
        return "refused" if request == 13 else f"ok {request}"


def test_a_window_of_four_has_four_calls_in_flight_and_never_more() -> None:
    gateway = Gateway(hold=4)
    window = CallWindow(gateway.call, 4, troubled=lambda answer: answer == "refused")
    for position in range(12):
        window.submit(position, position)
    answers = window.finish()
    assert answers == {position: f"ok {position}" for position in range(12)}
    assert gateway.most == 4


def test_a_window_of_one_calls_in_the_callers_thread_one_at_a_time() -> None:
    threads: list[str] = []
    window = CallWindow(lambda request: threads.append(threading.current_thread().name) or request, 1, lambda a: False)
    for position in range(3):
        window.submit(position, position * 10)
    assert window.finish() == {0: 0, 1: 10, 2: 20}
    assert set(threads) == {threading.current_thread().name}


def test_trouble_in_a_finished_call_is_seen_before_the_next_call_starts() -> None:
    gateway = Gateway(hold=2)
    window = CallWindow(gateway.call, 2, troubled=lambda answer: answer == "refused")
    window.submit(0, 12)
    window.submit(1, 13)
    assert window.finish()[1] == "refused"
    assert window.saw_trouble()


def test_an_error_raised_by_a_call_reaches_the_caller() -> None:
    def broken(request: int) -> str:
        raise RuntimeError("bug")

    window = CallWindow(broken, 3, troubled=lambda answer: False)
    window.submit(0, 1)
    with pytest.raises(RuntimeError, match="bug"):
        window.finish()
