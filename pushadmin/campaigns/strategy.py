"""When a campaign is sent: immediately, once at a fixed time, or in a loop.

``Campaign.strategy`` holds local wall-clock values and the time zone they are read in, so
what the marketer typed is what the reviewer sees; the epoch milliseconds of StrategyContent
are derived here, once, for the request::

    {"type": "immediate"}
    {"type": "fixed", "time_zone": "Asia/Shanghai", "fixed_at": "2026-12-01T09:45"}
    {"type": "loop", "time_zone": "Asia/Shanghai", "circle": "daily" | "weekly" | "monthly",
     "days": [1, 5], "time": "09:45:00", "start_date": "2026-12-01", "end_date": "2027-01-31"}

Weekly days are ISO weekdays (1 = Monday … 7 = Sunday); monthly days are 1 to 31, and a month
without that day has no send on it. A loop runs from 00:00 of its start day to 24:00 of its
end day (the API's rule), so startTime and endTime are local midnights.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from django.conf import settings
from django.utils import dateformat, dates
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from pushadmin.console.request_numbers import is_whole_number
from pushadmin.mpaas import validation
from pushadmin.mpaas.request_types import PushMultipleRequest, StrategyContent, TargetMsg
from pushadmin.mpaas.validation import Problem

IMMEDIATE, FIXED, LOOP = "immediate", "fixed", "loop"
STRATEGY_TYPES = {IMMEDIATE: validation.STRATEGY_IMMEDIATE, FIXED: validation.STRATEGY_SCHEDULED, LOOP: 2}
CIRCLES = {"daily": validation.CIRCLE_DAILY, "weekly": validation.CIRCLE_WEEKLY, "monthly": validation.CIRCLE_MONTHLY}
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
# Where each StrategyContent problem is shown in the builder form.
FORM_FIELD_OF = {
    "StrategyContent.fixedTime": "fixed_at",
    "StrategyContent.startTime": "start_date",
    "StrategyContent.endTime": "end_date",
    "StrategyContent.time": "time",
    "StrategyContent.circleType": "circle",
    "StrategyContent.circleValue": "days",
}


def default_time_zone() -> str:
    return getattr(settings, "PUSHADMIN_DEFAULT_TIME_ZONE", validation.DEFAULT_STRATEGY_TIMEZONE)


@dataclass
class Strategy:
    type: str = IMMEDIATE
    time_zone: str = field(default_factory=default_time_zone)
    fixed_at: str = ""
    circle: str = "daily"
    days: list[int] = field(default_factory=list)
    time: str = ""
    start_date: str = ""
    end_date: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Strategy:
        data = dict(data or {})
        known = set(cls.__dataclass_fields__)
        strategy = cls(**{key: value for key, value in data.items() if key in known and value is not None})
        strategy.days = sorted({int(day) for day in strategy.days if is_whole_number(str(day))})
        return strategy

    def to_json(self) -> dict[str, Any]:
        if self.type == IMMEDIATE:
            return {"type": IMMEDIATE}
        if self.type == FIXED:
            return {"type": FIXED, "time_zone": self.time_zone, "fixed_at": self.fixed_at}
        days = self.days if self.circle != "daily" else []
        return {
            "type": LOOP,
            "time_zone": self.time_zone,
            "circle": self.circle,
            "days": days,
            "time": normalise_time(self.time),
            "start_date": self.start_date,
            "end_date": self.end_date,
        }

    @property
    def zone(self) -> tzinfo:
        return validation.resolve_timezone(self.time_zone)

    @property
    def strategy_type(self) -> int:
        return STRATEGY_TYPES.get(self.type, validation.STRATEGY_IMMEDIATE)


def normalise_time(value: str) -> str:
    """'9:45' and '09:45' become '09:45:00', the HH:mm:ss the API takes; anything else is kept to be refused."""
    parts = (value or "").strip().split(":")
    if len(parts) == 2:
        parts.append("00")
    if len(parts) == 3 and all(is_whole_number(part) for part in parts):
        return ":".join(part.zfill(2) for part in parts)
    return (value or "").strip()


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        return None


def _parse_local(value: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return None
    return parsed.replace(tzinfo=None)


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone)


def strategy_content(strategy: Strategy) -> StrategyContent | None:
    """The StrategyContent for the request (None for an immediate push or unreadable input)."""
    zone = strategy.zone
    if strategy.type == FIXED:
        local = _parse_local(strategy.fixed_at)
        return StrategyContent(fixed_time=_epoch_ms(local.replace(tzinfo=zone))) if local else None
    if strategy.type == LOOP:
        start, end = _parse_date(strategy.start_date), _parse_date(strategy.end_date)
        circle = CIRCLES.get(strategy.circle)
        return StrategyContent(
            start_time=_epoch_ms(_midnight(start, zone)) if start else None,
            end_time=_epoch_ms(_midnight(end, zone)) if end else None,
            circle_type=circle,
            circle_value=tuple(strategy.days) if circle != validation.CIRCLE_DAILY else None,
            time=normalise_time(strategy.time) or None,
        )
    return None


def _shape_problems(strategy: Strategy) -> list[Problem]:
    problems: list[Problem] = []
    if strategy.type not in STRATEGY_TYPES:
        return [Problem("type", _("Choose immediate, fixed time or loop."))]
    try:
        validation.resolve_timezone(strategy.time_zone)
    except Exception:
        return [
            Problem(
                "time_zone",
                _("“%(zone)s” is not a time zone name such as Asia/Shanghai.") % {"zone": strategy.time_zone},
            )
        ]
    if strategy.type == FIXED and _parse_local(strategy.fixed_at) is None:
        problems.append(Problem("fixed_at", _("Enter the date and time of the send.")))
    if strategy.type == LOOP:
        if strategy.circle not in CIRCLES:
            problems.append(Problem("circle", _("Choose daily, weekly or monthly.")))
        for name, message in (
            ("start_date", _("Enter the first day of the loop.")),
            ("end_date", _("Enter the last day of the loop.")),
        ):
            if _parse_date(getattr(strategy, name)) is None:
                problems.append(Problem(name, message))
        if not strategy.time:
            problems.append(Problem("time", _("Enter the time of day, such as 09:45.")))
    return problems


def validate(strategy: Strategy, *, now: datetime | None = None) -> list[Problem]:
    """Every rule of the API reference, as (form field, plain message) pairs."""
    problems = _shape_problems(strategy)
    if problems or strategy.type == IMMEDIATE:
        return problems
    now = now or datetime.now(UTC)
    # The API's own checks run on a request that differs from a real one only in its strategy.
    probe = PushMultipleRequest(
        app_id="x",
        workspace_id="x",
        task_name="x",
        template_name="x",
        delivery_type=3,
        target_msgs=[TargetMsg(target="x", msg_key="x")],
        expired_seconds=60,
        strategy_type=strategy.strategy_type,
        strategy_content=strategy_content(strategy),
    )
    for problem in validation.validate_push_multiple(probe, now=now, tz=strategy.zone):
        if problem.field in FORM_FIELD_OF:
            problems.append(Problem(FORM_FIELD_OF[problem.field], _plain(problem)))
    if strategy.type == LOOP and not problems and not run_times(strategy, now=now, limit=1):
        problems.append(Problem("days", _("No send falls between the first and last day; widen the dates or days.")))
    return problems


def _plain(problem: Problem) -> str:
    words = {
        "fixed_at": "The send time",
        "start_date": "The first day",
        "end_date": "The last day",
        "time": "The time of day",
        "circle": "The repeat",
        "days": "The days",
    }
    message = problem.message.replace("startTime", "the first day")
    return f"{words[FORM_FIELD_OF[problem.field]]} {message}"


def _matches(strategy: Strategy, day: date) -> bool:
    if strategy.circle == "weekly":
        return day.isoweekday() in strategy.days
    if strategy.circle == "monthly":
        return day.day in strategy.days
    return True


def run_times(strategy: Strategy, *, now: datetime | None = None, limit: int | None = 5) -> list[datetime]:
    """The coming sends as aware datetimes in the strategy's zone (`limit=None`: all of them)."""
    now = now or datetime.now(UTC)
    zone = strategy.zone
    if strategy.type == FIXED:
        local = _parse_local(strategy.fixed_at)
        moment = local.replace(tzinfo=zone) if local else None
        return [moment] if moment and moment > now else []
    if strategy.type != LOOP:
        return []
    start, end = _parse_date(strategy.start_date), _parse_date(strategy.end_date)
    try:
        at = time.fromisoformat(normalise_time(strategy.time))
    except ValueError:
        return []
    if not start or not end or strategy.circle not in CIRCLES:
        return []
    found: list[datetime] = []
    day = max(start, now.astimezone(zone).date())
    while day <= end and (limit is None or len(found) < limit):
        if _matches(strategy, day):
            moment = datetime.combine(day, at, tzinfo=zone)
            if moment > now:
                found.append(moment)
        day += timedelta(days=1)
    return found


def _join(words: list[str]) -> str:
    if len(words) == 1:
        return words[0]
    # Translators: the separator between the items of a list, as in "Monday, Tuesday and Friday".
    earlier = _(", ").join(words[:-1])
    return _("%(earlier)s and %(last)s") % {"earlier": earlier, "last": words[-1]}


def _ordinal(number: int) -> str:
    # Translators: the ending of a day of the month, as in "1st", "22nd", "3rd", "15th".
    suffixes = {
        1: pgettext("day of the month", "st"),
        2: pgettext("day of the month", "nd"),
        3: pgettext("day of the month", "rd"),
    }
    suffix = pgettext("day of the month", "th")
    if not 11 <= number % 100 <= 13:
        suffix = suffixes.get(number % 10, suffix)
    return f"{number}{suffix}"


def _clock(value: str) -> str:
    text = normalise_time(value)
    return text[:5] if text.endswith(":00") else text


def _short_date(day: date) -> str:
    # Translators: a Django date format for a day of the year without the year, "1 Dec".
    return dateformat.format(day, _("j M"))


def summary(strategy: Strategy, *, now: datetime | None = None) -> str:
    """One sentence, e.g. "every Monday and Friday at 09:45 from 1 Dec to 31 Jan, 18 sends (Asia/Shanghai)".

    In the reader's language: weekday and month names come from Django's own catalogue.
    """
    if strategy.type == IMMEDIATE:
        return _("immediately, as soon as it is approved and started")
    if _shape_problems(strategy):
        return _("not yet complete")
    if strategy.type == FIXED:
        local = _parse_local(strategy.fixed_at)
        assert local is not None
        return _("once, on %(weekday)s %(date)s %(year)s at %(time)s (%(zone)s)") % {
            "weekday": dates.WEEKDAYS_ABBR[local.weekday()],
            "date": _short_date(local.date()),
            "year": local.year,
            "time": f"{local:%H:%M}",
            "zone": strategy.time_zone,
        }
    if strategy.circle == "weekly":
        if not strategy.days:
            return _("weekly, on no day yet")
        when = _("every %(days)s") % {
            "days": _join([str(dates.WEEKDAYS[day - 1]) for day in strategy.days if 1 <= day <= 7])
        }
    elif strategy.circle == "monthly":
        if not strategy.days:
            return _("monthly, on no day yet")
        when = _("on the %(days)s of every month") % {"days": _join([_ordinal(day) for day in strategy.days])}
    else:
        when = _("every day")
    start, end = _parse_date(strategy.start_date), _parse_date(strategy.end_date)
    assert start is not None and end is not None
    sends = len(run_times(strategy, now=now, limit=None))
    return ngettext(
        "%(when)s at %(time)s from %(start)s to %(end)s, %(count)s send (%(zone)s)",
        "%(when)s at %(time)s from %(start)s to %(end)s, %(count)s sends (%(zone)s)",
        sends,
    ) % {
        "when": when,
        "time": _clock(strategy.time),
        "start": _short_date(start),
        "end": _short_date(end),
        "count": sends,
        "zone": strategy.time_zone,
    }
