from __future__ import annotations

from datetime import UTC, datetime

import pytest

from pushadmin.campaigns.strategy import Strategy, run_times, strategy_content, summary, validate
from tests.conftest import FROZEN_NOW

# Every function takes `now` explicitly; the clock is frozen too so nothing here can read the real date.
pytestmark = pytest.mark.usefixtures("freeze_clock")
NOW = FROZEN_NOW  # Thursday 26 Nov 2026, 16:00 in Shanghai


def loop(**changes: object) -> Strategy:
    values: dict[str, object] = {
        "type": "loop",
        "time_zone": "Asia/Shanghai",
        "circle": "weekly",
        "days": [1, 5],
        "time": "09:45",
        "start_date": "2026-12-01",
        "end_date": "2027-01-31",
    }
    values.update(changes)
    return Strategy.from_json(values)


def test_weekly_loop_reads_as_a_sentence_with_its_number_of_sends() -> None:
    assert summary(loop(), now=NOW) == (
        "every Monday and Friday at 09:45 from 1 Dec to 31 Jan, 17 sends (Asia/Shanghai)"
    )


def test_monthly_and_daily_loops_read_naturally() -> None:
    assert summary(loop(circle="monthly", days=[1, 15]), now=NOW).startswith(
        "on the 1st and 15th of every month at 09:45 from 1 Dec to 31 Jan, 4 sends"
    )
    assert summary(loop(circle="daily", days=[]), now=NOW).startswith(
        "every day at 09:45 from 1 Dec to 31 Jan, 62 sends"
    )


def test_next_runs_are_local_times_in_the_chosen_zone() -> None:
    runs = run_times(loop(), now=NOW, limit=3)
    assert [run.strftime("%a %d %b %H:%M") for run in runs] == [
        "Fri 04 Dec 09:45",
        "Mon 07 Dec 09:45",
        "Fri 11 Dec 09:45",
    ]
    assert runs[0].utcoffset().total_seconds() == 8 * 3600


def test_loop_content_uses_local_midnights_and_hh_mm_ss() -> None:
    content = strategy_content(loop())
    assert content.start_time == int(datetime(2026, 11, 30, 16, 0, tzinfo=UTC).timestamp() * 1000)
    assert content.end_time == int(datetime(2027, 1, 30, 16, 0, tzinfo=UTC).timestamp() * 1000)
    assert content.circle_type == 2 and content.circle_value == (1, 5) and content.time == "09:45:00"


def test_a_loop_ending_more_than_180_days_ahead_is_refused_on_the_end_date() -> None:
    problems = validate(loop(end_date="2027-07-01"), now=NOW)
    assert [p.field for p in problems] == ["end_date"]
    assert "180 days" in problems[0].message


def test_a_loop_ending_before_it_starts_is_refused() -> None:
    problems = validate(loop(start_date="2026-12-10", end_date="2026-12-01"), now=NOW)
    assert any(p.field == "end_date" and "before" in p.message for p in problems)


def test_a_weekly_loop_needs_days_and_a_fixed_time_must_be_in_the_future() -> None:
    assert [p.field for p in validate(loop(days=[]), now=NOW)] == ["days"]
    past = Strategy.from_json({"type": "fixed", "fixed_at": "2026-11-26T09:00", "time_zone": "Asia/Shanghai"})
    assert [p.field for p in validate(past, now=NOW)] == ["fixed_at"]
    future = Strategy.from_json({"type": "fixed", "fixed_at": "2026-11-26T17:00", "time_zone": "Asia/Shanghai"})
    assert validate(future, now=NOW) == []
    assert summary(future, now=NOW) == "once, on Thu 26 Nov 2026 at 17:00 (Asia/Shanghai)"


def test_an_unknown_time_zone_is_named_in_the_message() -> None:
    problems = validate(loop(time_zone="Mars/Olympus"), now=NOW)
    assert problems[0].field == "time_zone" and "Mars/Olympus" in problems[0].message
