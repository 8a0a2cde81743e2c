"""Several calls to mPaaS in flight at once from one worker, so gateway latency does not cap throughput.

A worker waits most of a call's time for the gateway's answer. With a window of W, it starts the
next call of its step while up to W-1 others are still on their way, on the workspace's one HTTP
client (httpx's client and its connection pool are safe to share between threads). The threads
only wait for HTTP: every database read and write stays on the worker's own thread, which decides
when each call may start (rate slot, campaign still sending) and records the answers afterwards.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Generic, TypeVar

Request = TypeVar("Request")
Answer = TypeVar("Answer")

_pool: ThreadPoolExecutor | None = None
_pool_size = 0
_pool_lock = threading.Lock()


def _executor(size: int) -> ThreadPoolExecutor:
    """One pool per process, grown when a bigger window is asked for (threads are made on demand)."""
    global _pool, _pool_size
    with _pool_lock:
        if _pool is None or _pool_size < size:
            _pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="mpaas-call")
            _pool_size = size
        return _pool


class CallWindow(Generic[Request, Answer]):
    """Up to `size` calls of `call` running at once; answers kept by the position they were given."""

    def __init__(self, call: Callable[[Request], Answer], size: int, troubled: Callable[[Answer], bool]) -> None:
        self._call = call
        self.size = max(1, size)
        self._troubled = troubled
        self._running: dict[Future[Answer], int] = {}
        self.answers: dict[int, Answer] = {}
        self.trouble = False

    def submit(self, position: int, request: Request) -> None:
        """Start the call, after waiting for room in the window; with a window of one, make it here."""
        if self.size == 1:
            self._keep(position, self._call(request))
            return
        self.wait_for_room()
        self._running[_executor(self.size).submit(self._call, request)] = position

    def wait_for_room(self) -> None:
        """Return once another call may start: at once with room in the window, else when a call ends."""
        while self.size > 1 and len(self._running) >= self.size:
            self._collect(wait(self._running, return_when=FIRST_COMPLETED).done)

    def saw_trouble(self) -> bool:
        """Whether an answer so far tells the step to stop starting calls (looks at finished calls only)."""
        self._collect({future for future in self._running if future.done()})
        return self.trouble

    def finish(self) -> dict[int, Answer]:
        """Every call's answer, once all have come back."""
        if self._running:
            self._collect(wait(self._running).done)
        return self.answers

    def _collect(self, done: set[Future[Answer]]) -> None:
        for future in done:
            position = self._running.pop(future)
            self._keep(position, future.result())

    def _keep(self, position: int, answer: Answer) -> None:
        self.answers[position] = answer
        self.trouble = self.trouble or self._troubled(answer)
