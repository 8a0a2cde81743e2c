from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from pushadmin.accounts import limits
from tests.personas import Cast

pytestmark = pytest.mark.django_db

START = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def test_a_person_gets_the_limit_and_then_a_refusal_that_says_when_to_retry(cast: Cast) -> None:
    with time_machine.travel(START, tick=False):
        assert [limits.check_and_count(cast.marketer, "campaign.test_send", 3) for _ in range(3)] == [2, 1, 0]
    with time_machine.travel(START + timedelta(minutes=20), tick=False), pytest.raises(limits.LimitReached) as refusal:
        limits.check_and_count(cast.marketer, "campaign.test_send", 3)
    assert "at most 3 times per hour" in str(refusal.value)
    assert "try again in 40 minutes" in str(refusal.value)
    assert refusal.value.retry_after == 40 * 60


def test_a_refused_attempt_is_not_counted_and_uses_expire_after_an_hour(cast: Cast) -> None:
    with time_machine.travel(START, tick=False):
        limits.check_and_count(cast.marketer, "audience.import", 1)
    with time_machine.travel(START + timedelta(minutes=59), tick=False), pytest.raises(limits.LimitReached):
        limits.check_and_count(cast.marketer, "audience.import", 1)
    with time_machine.travel(START + timedelta(minutes=60, seconds=1), tick=False):
        assert limits.remaining(cast.marketer, "audience.import", 1) == 1
        assert limits.check_and_count(cast.marketer, "audience.import", 1) == 0


def test_limits_are_per_person_and_per_action(cast: Cast) -> None:
    limits.check_and_count(cast.marketer, "campaign.test_send", 1)
    assert limits.check_and_count(cast.reviewer, "campaign.test_send", 1) == 0
    assert limits.check_and_count(cast.marketer, "audience.import", 1) == 0
    assert limits.remaining(cast.marketer, "campaign.test_send", 1) == 0
