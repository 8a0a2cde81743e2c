"""The pass the sweeper makes over each kind of claimed background job (imports, row builds).

Jobs whose lease ran out are taken back (queued again, or failed after their last try), and
jobs queued for a while that no worker started get their task sent again. One broken job
must not stop the rest of the sweep, so each is tried on its own and a failure is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

logger = logging.getLogger(__name__)

Job = TypeVar("Job")
# When a waiting job was queued: nullable for some kinds of job (row builds), not for others.
QueuedAt = TypeVar("QueuedAt", bound=datetime | None)


def redrive(
    what: str,
    expired: Iterable[Job],
    take_back: Callable[[Job], str],
    waiting: Iterable[tuple[Any, QueuedAt]],
    send_again: Callable[[Any, QueuedAt], str],
) -> list[str]:
    """Returns what was done, one line per job that needed something."""
    done: list[str] = []
    for job in expired:
        try:
            done.append(take_back(job))
        except Exception:
            logger.exception("%s %s could not be re-driven", what, getattr(job, "pk", job))
    for job_id, queued_at in waiting:
        try:
            done.append(send_again(job_id, queued_at))
        except Exception:
            logger.exception("the task of %s %s could not be sent again", what, job_id)
    done = [line for line in done if line]
    if done:
        logger.info("%s re-driven: %s", what, "; ".join(done))
    return done
