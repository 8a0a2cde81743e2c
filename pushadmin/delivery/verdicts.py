"""What a call's answer means for its batch: the verdict recorded, the retry delay, and when to pause.

`pushadmin.mpaas.errors` classifies an answer (accepted, rejected, retry later, ambiguous);
here that becomes what the send engine records (`AttemptResult`, a `CallVerdict`) and does about it: the
workspace's ambiguous policy may turn "unknown" into "send again", a retry waits an
exponential backoff, and some failures pause the campaign with a reason people can read.
"""

from __future__ import annotations

import logging
import random
from typing import Any, NamedTuple

from django.conf import settings

from pushadmin.campaigns.models import Campaign
from pushadmin.console import recorded_reasons
from pushadmin.delivery import ratelimit
from pushadmin.delivery.models import Attempt, AttemptResult, Batch, MessageStatus
from pushadmin.mpaas import errors
from pushadmin.workspaces.models import AmbiguousPolicy, Workspace

logger = logging.getLogger(__name__)

# Failures that count towards the auto-pause; throttling is flow control, not a failure.
FAILURE_OUTCOMES = (AttemptResult.RETRYABLE, AttemptResult.AMBIGUOUS)
# Beyond this many attempts a batch stops being retried and pauses its campaign.
MAX_ATTEMPTS_PER_BATCH = 40
# The result code of a batch whose worker died while its call may have been on its way.
WORKER_LOST = "WorkerLost"

# Why a campaign paused itself, as the auto-pause metric counts it.
PAUSED_FOR_SETTINGS = "settings_refused"
PAUSED_FOR_ATTEMPTS = "batch_attempts"
PAUSED_FOR_FAILURES = "consecutive_failures"
PAUSED_UNPREPARED = "not_prepared"


class CallVerdict(NamedTuple):
    """How one call went, in the words the records use."""

    kind: str  # what the call's answer was (AttemptResult)
    treat_as: str  # what is done about it (the ambiguous policy may turn AMBIGUOUS into RETRYABLE)
    code: str
    meaning: str
    message: str

    @property
    def settles(self) -> bool:
        return self.treat_as in (AttemptResult.ACCEPTED, AttemptResult.REJECTED, AttemptResult.AMBIGUOUS)

    @property
    def final(self) -> str:
        statuses: dict[str, str] = {
            AttemptResult.ACCEPTED: MessageStatus.ACCEPTED,
            AttemptResult.REJECTED: MessageStatus.REJECTED,
            AttemptResult.AMBIGUOUS: MessageStatus.UNKNOWN,
        }
        return statuses[self.treat_as]


def verdict_of(result: Any, workspace: Workspace) -> CallVerdict:
    outcome = result.outcome
    kind = attempt_result(outcome)
    treat_as = kind
    if kind == AttemptResult.AMBIGUOUS and workspace.ambiguous_policy == AmbiguousPolicy.RESEND:
        treat_as = AttemptResult.RETRYABLE
    code = getattr(outcome, "code", None) or getattr(outcome, "result_code", None) or ""
    meaning = getattr(outcome, "meaning", "") or errors.meaning_of(code)
    message_text = (getattr(outcome, "message", None) or result.attempt.error or "")[:300]
    return CallVerdict(kind, treat_as, code[:64], meaning, message_text)


def attempt_result(outcome: errors.Outcome) -> str:
    """What the attempt row records of mPaaS's answer (its `outcome` column)."""
    if isinstance(outcome, errors.Accepted):
        return AttemptResult.ACCEPTED
    if isinstance(outcome, errors.Rejected):
        return AttemptResult.CONFIG_ERROR if outcome.config_error else AttemptResult.REJECTED
    if isinstance(outcome, errors.Retryable):
        if outcome.client_bug:
            logger.error("mPaaS reported a reused nonce; retrying with a fresh one")
        return AttemptResult.THROTTLED if outcome.reason == errors.THROTTLED else AttemptResult.RETRYABLE
    return AttemptResult.AMBIGUOUS


def answered(outcome: errors.Outcome) -> bool:
    """A definite answer about this call's messages (accepted, or rejected for their own sake)."""
    if isinstance(outcome, errors.Rejected):
        return not outcome.config_error
    return isinstance(outcome, errors.Accepted)


def backoff_seconds(attempts: int, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter, never sooner than the server's Retry-After.

    Both are capped: a countdown longer than the broker's visibility timeout makes Redis
    redeliver the task again and again while it waits.
    """
    base = settings.PUSHADMIN_SEND_BACKOFF_BASE_MS / 1000
    cap = settings.PUSHADMIN_SEND_BACKOFF_CAP_MS / 1000
    delay = random.uniform(0, min(cap, base * 2 ** max(attempts - 1, 0)))
    return min(max(delay, retry_after or 0.0), cap)


def retry_delay(batch: Batch, outcome: errors.Outcome, kind: str, workspace: Workspace) -> float:
    if kind == AttemptResult.CONFIG_ERROR:
        return 0.0
    delay = backoff_seconds(batch.attempts, getattr(outcome, "retry_after", None))
    if kind == AttemptResult.THROTTLED:
        # Everyone sending for this workspace backs off, not just this batch.
        ratelimit.hold_off(workspace.pk, min(delay, ratelimit.MAX_WAIT_SECONDS))
    return delay


def pause_reason(campaign: Campaign, batch: Batch, outcome: errors.Outcome, kind: str, code: str) -> tuple[str, str]:
    """(cause, reason): the reason is shown to people on the progress page, in our words for the
    failure, never the remote's text; empty when the campaign goes on."""
    words = errors.in_plain_words(outcome)
    if kind == AttemptResult.CONFIG_ERROR:
        why = words or recorded_reasons.SEE_THE_CALLS
        return PAUSED_FOR_SETTINGS, recorded_reasons.written(recorded_reasons.SETTINGS_REFUSED, code=code, why=why)
    if batch.attempts >= MAX_ATTEMPTS_PER_BATCH:
        return (
            PAUSED_FOR_ATTEMPTS,
            recorded_reasons.written(
                recorded_reasons.BATCH_GAVE_UP, seq=batch.seq, attempts=batch.attempts, code=code or kind, why=words
            ),
        )
    if kind not in FAILURE_OUTCOMES:
        return "", ""
    limit = settings.PUSHADMIN_AUTO_PAUSE_AFTER
    recent = list(
        Attempt.objects.filter(campaign=campaign)
        .exclude(outcome=AttemptResult.THROTTLED)
        .order_by("-started_at", "-pk")
        .values_list("outcome", flat=True)[:limit]
    )
    if len(recent) >= limit and all(o in FAILURE_OUTCOMES for o in recent):
        return PAUSED_FOR_FAILURES, recorded_reasons.written(
            recorded_reasons.FAILED_IN_A_ROW, limit=limit, code=code or kind, why=words or kind
        )
    return "", ""
