"""What happens on the phones after the sandbox accepted a push: a deterministic simulation.

Each target gets a platform and vendor channel from its id alone (the same target is always on
the same phone); each message's fate is drawn from its MsgKey (and, for loops, the run): whether
mPaaS pushed it, whether and when it arrived, whether and when it was opened. Rates and delays
differ by channel — roughly how the vendor channels behave in China: the big vendors' system
channels arrive most, mPaaS's own connection (needs the app alive) and FCM (often unreachable)
least. Arrivals and opens accrue over simulated hours after the push; ``clockSpeed`` makes
simulated time run faster than real time and ``advanceHours`` jumps ahead, for tests and demos.

Nothing here is random at run time: the same MsgKeys, targets and simulated hour give the same
figures, in every process.
"""

from __future__ import annotations

import hashlib
import math
import struct
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timedelta
from typing import Any

from pushadmin.mpaas.validation import resolve_timezone
from pushadmin.sandbox import limits
from pushadmin.sandbox.push import _json_object
from pushadmin.sandbox.store import Batch


@dataclass(frozen=True)
class Channel:
    code: str  # as QueryPushAnalysisCoreIndex's Channel names it
    label: str
    platform: str
    manufacturer: str
    share: float  # of user-id targets
    pushed: float  # share mPaaS hands to the channel successfully
    arrives: float  # share of those that arrive (within the 72 h validity)
    opens: float  # share of arrivals that are opened
    arrival_hours: float  # mean delay from push to arrival
    open_hours: float  # mean delay from arrival to open


CHANNELS: tuple[Channel, ...] = (
    Channel("HMS", "Huawei (HMS)", "ANDROID", "huawei", 0.22, 0.99, 0.93, 0.085, 0.2, 3.0),
    Channel("HONOR", "Honor", "ANDROID", "honor", 0.08, 0.99, 0.91, 0.08, 0.2, 3.0),
    Channel("MIUI", "Xiaomi (MIUI)", "ANDROID", "xiaomi", 0.18, 0.985, 0.88, 0.07, 0.3, 3.5),
    Channel("OPPO", "OPPO", "ANDROID", "oppo", 0.14, 0.98, 0.86, 0.065, 0.4, 4.0),
    Channel("VIVO", "vivo", "ANDROID", "vivo", 0.12, 0.98, 0.84, 0.06, 0.4, 4.0),
    Channel("FCM", "Google FCM", "ANDROID", "google", 0.04, 0.97, 0.62, 0.05, 1.0, 5.0),
    Channel("ANDROID", "mPaaS self-built", "ANDROID", "other", 0.04, 0.95, 0.55, 0.04, 2.0, 6.0),
    Channel("IOS", "Apple (APNs)", "IOS", "apple", 0.18, 0.995, 0.95, 0.11, 0.1, 2.5),
    Channel("HARMONYOS", "HarmonyOS", "HARMONYOS", "huawei", 0.0, 0.99, 0.94, 0.09, 0.2, 3.0),
)
BY_CODE = {channel.code: channel for channel in CHANNELS}
# Which channels a DeliveryType's targets can be on: device ids name their platform.
_ANDROID = tuple(c for c in CHANNELS if c.platform == "ANDROID")
_FOR_DELIVERY_TYPE: dict[int, tuple[Channel, ...]] = {
    1: _ANDROID,
    2: (BY_CODE["IOS"],),
    3: tuple(c for c in CHANNELS if c.share > 0),
    7: (BY_CODE["HARMONYOS"],),
}
VALIDITY_HOURS = 72.0
MAX_LOOP_RUNS = 400
_TWO_64 = float(2**64)


def _unit(digest: bytes, index: int) -> float:
    """The index-th 8 bytes of a digest as a number in [0, 1)."""
    value: int = struct.unpack_from(">Q", digest, index * 8)[0]
    return value / _TWO_64


def channel_of(target: str, delivery_type: int) -> Channel:
    """The vendor channel a target's phone is on, from its id alone."""
    choices = _FOR_DELIVERY_TYPE.get(delivery_type, _FOR_DELIVERY_TYPE[3])
    if len(choices) == 1:
        return choices[0]
    total = sum(c.share for c in choices)
    point = _unit(hashlib.blake2b(target.encode(), digest_size=8).digest(), 0) * total
    for channel in choices:
        point -= channel.share
        if point < 0:
            return channel
    return choices[-1]


@dataclass(frozen=True, slots=True)
class Fate:
    """One message's story in hours after its push; None: it never gets there."""

    channel: Channel
    pushed: bool
    arrives_at: float | None
    opened_at: float | None

    def figures_at(self, hours: float) -> Figures:
        """This message counted as it stands `hours` after its push."""
        arrived = self.arrives_at is not None and self.arrives_at <= hours
        opened = arrived and self.opened_at is not None and self.opened_at <= hours
        return Figures(push_total=1, pushed=int(self.pushed), arrived=int(arrived), opened=int(opened))


def fate(msg_key: str, target: str, delivery_type: int, run: int = 0) -> Fate:
    channel = channel_of(target, delivery_type)
    digest = hashlib.blake2b(f"{msg_key}|{run}".encode(), digest_size=40).digest()
    pushed = _unit(digest, 0) < channel.pushed
    arrives_at = opened_at = None
    if pushed and _unit(digest, 1) < channel.arrives:
        arrives_at = min(-math.log(1.0 - _unit(digest, 3)) * channel.arrival_hours, VALIDITY_HOURS)
        if _unit(digest, 2) < channel.opens:
            opened_at = arrives_at + -math.log(1.0 - _unit(digest, 4)) * channel.open_hours
    return Fate(channel, pushed, arrives_at, opened_at)


@dataclass
class Figures:
    push_total: int = 0
    pushed: int = 0
    arrived: int = 0
    opened: int = 0

    @property
    def ignored(self) -> int:
        return self.arrived - self.opened

    def add(self, other: Figures) -> None:
        self.push_total += other.push_total
        self.pushed += other.pushed
        self.arrived += other.arrived
        self.opened += other.opened

    def to_wire(self) -> dict[str, Any]:
        """``QueryPushAnalysisCoreIndex``'s Data: counts as floats, rates as fractions of arrivals."""
        arrived = self.arrived
        return {
            "PushTotalNum": float(self.push_total),
            "PushNum": float(self.pushed),
            "ArrivalNum": float(arrived),
            "ArrivalRate": round(arrived / self.pushed, 4) if self.pushed else 0.0,
            "OpenNum": float(self.opened),
            "OpenRate": round(self.opened / arrived, 4) if arrived else 0.0,
            "IgnoreNum": float(self.ignored),
            "IgnoreRate": round(self.ignored / arrived, 4) if arrived else 0.0,
        }

    def to_json(self) -> dict[str, int]:
        return {
            "pushTotal": self.push_total,
            "pushed": self.pushed,
            "arrived": self.arrived,
            "opened": self.opened,
            "ignored": self.ignored,
        }


@dataclass
class Knobs:
    """Set with ``POST /_sandbox/phones``; camelCase names are the JSON names."""

    clockSpeed: float = 1.0  # simulated seconds per real second
    advanceHours: float = 0.0  # added to every push's simulated age
    # Share of analysis calls (the three QueryPushAnalysis* and PushQueryDeviceState) that fail,
    # and how: a gateway throttle or a 503. Push calls are never affected by these two.
    analysisFailure: float = 0.0
    analysisFailureCode: str = "Throttling.User"

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    def update(self, changes: dict[str, Any]) -> None:
        known = {f.name for f in fields(self)}
        for name, value in changes.items():
            if name not in known:
                raise ValueError(f"unknown phone knob {name!r}")
            if name == "analysisFailureCode":
                if value not in ("Throttling.User", "ServiceUnavailable"):
                    raise ValueError("analysisFailureCode must be Throttling.User or ServiceUnavailable")
            elif isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{name} must be a number")
            elif name == "clockSpeed" and not 0 <= value <= 10_000_000:
                raise ValueError("clockSpeed must be within 0..10000000")
            elif name == "analysisFailure" and not 0 <= value <= 1:
                raise ValueError("analysisFailure must be within 0..1")
            elif name == "advanceHours" and not 0 <= value <= 24 * 365:
                raise ValueError("advanceHours must be within 0..8760")
        for name, value in changes.items():
            setattr(self, name, float(value) if name != "analysisFailureCode" else value)


@dataclass(frozen=True)
class Run:
    """One execution of a task: an immediate or one-off push has one, a loop one per fire time so far."""

    task_id: str  # the sub-task id for loops, else the task's own
    index: int
    fire_ms: int


def _loop_fire_times(content: dict[str, Any], created_ms: int) -> list[int]:
    zone = resolve_timezone(limits.DEFAULT_STRATEGY_TIMEZONE)
    try:
        start = datetime.fromtimestamp(int(content["startTime"]) / 1000, zone).date()
        end = datetime.fromtimestamp(int(content["endTime"]) / 1000, zone).date()
        hour, minute, second = (int(part) for part in str(content["time"]).split(":"))
        circle = int(content.get("circleType", 1))
    except (KeyError, TypeError, ValueError):
        return []
    values = {int(v) for v in content.get("circleValue") or [] if isinstance(v, int)}
    times: list[int] = []
    day: date = start
    while day <= end and len(times) < MAX_LOOP_RUNS:
        if circle == 1 or (circle == 2 and day.isoweekday() in values) or (circle == 3 and day.day in values):
            moment = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=zone)
            fire = int(moment.timestamp() * 1000)
            if fire >= created_ms:
                times.append(fire)
        day += timedelta(days=1)
    return times


@dataclass
class Simulation:
    knobs: Knobs = field(default_factory=Knobs)
    # Each message's fate per (task id, run), computed once when first asked about.
    _fates: dict[tuple[str, int], list[Fate]] = field(default_factory=dict)

    def reset(self) -> None:
        self.knobs = Knobs()
        self._fates.clear()

    def runs(self, batch: Batch, now_ms: int) -> list[Run]:
        """The runs of a task that have fired by the simulated now (a one-off push in the future has none yet)."""
        created_ms = int(batch.received_at * 1000)
        if batch.cancelled:
            return []
        if batch.strategy_type == 2:
            content = _json(batch.strategy_content)
            fires = [t for t in _loop_fire_times(content, created_ms) if self.hours_since(t, now_ms) >= 0]
            return [Run(f"{batch.task_id}{i:03d}", i, t) for i, t in enumerate(fires, start=1)]
        fire = created_ms
        if batch.strategy_type == 1:
            fire = int(_json(batch.strategy_content).get("fixedTime") or created_ms)
        return [Run(batch.task_id, 0, fire)] if self.hours_since(fire, now_ms) >= 0 else []

    def fates(self, batch: Batch, run: Run) -> list[Fate]:
        key = (batch.task_id, run.index)
        found = self._fates.get(key)
        if found is None:
            found = self._fates[key] = [
                fate(msg_key, target, batch.delivery_type, run.index)
                for msg_key, target in zip(batch.msg_keys, batch.targets, strict=True)
            ]
        return found

    def hours_since(self, fire_ms: int, now_ms: int) -> float:
        """Simulated hours since a push fired: real time since then at ``clockSpeed``, plus ``advanceHours``.

        A fire time still ahead in real time counts down in real hours from ``advanceHours``: with
        ``advanceHours`` 80 a loop's runs of the next three days have fired, whatever the clock speed.
        """
        knobs = self.knobs
        if fire_ms > now_ms:
            return knobs.advanceHours - (fire_ms - now_ms) / 3_600_000
        return (now_ms - fire_ms) / 3_600_000 * knobs.clockSpeed + knobs.advanceHours

    def effective_hours(self, batch: Batch, run: Run, now_ms: int) -> float:
        """Hours the run's messages have had to arrive and be opened: a recall (RevokePushTask) ends them."""
        hours = self.hours_since(run.fire_ms, now_ms)
        if batch.revoked_at is not None:
            hours = min(hours, self.hours_since(run.fire_ms, int(batch.revoked_at * 1000)))
        return hours

    def figures(
        self, batch: Batch, run: Run, now_ms: int, *, channel: str | None = None, platform: str | None = None
    ) -> Figures:
        hours = self.effective_hours(batch, run, now_ms)
        found = Figures()
        for one in self.fates(batch, run):
            if (channel and one.channel.code != channel) or (platform and one.channel.platform != platform):
                continue
            found.add(one.figures_at(hours))
        return found

    def truth(self, batches: list[Batch], now_ms: int) -> dict[str, Any]:
        """Figures of these tasks now: in all, per channel, per platform and per run (the ground truth)."""
        total = Figures()
        channels: dict[str, Figures] = {}
        platforms: dict[str, Figures] = {}
        runs: dict[int, Figures] = {}
        for batch in batches:
            for run in self.runs(batch, now_ms):
                hours = self.effective_hours(batch, run, now_ms)
                for one in self.fates(batch, run):
                    single = one.figures_at(hours)
                    for bucket in (
                        total,
                        channels.setdefault(one.channel.code, Figures()),
                        platforms.setdefault(one.channel.platform, Figures()),
                        runs.setdefault(run.index, Figures()),
                    ):
                        bucket.add(single)
        return {
            "total": total.to_json(),
            "channels": {code: f.to_json() for code, f in sorted(channels.items())},
            "platforms": {code: f.to_json() for code, f in sorted(platforms.items())},
            "runs": {str(index): f.to_json() for index, f in sorted(runs.items())},
        }


def _json(text: str) -> dict[str, Any]:
    """The stored StrategyContent as an object; {} when it is none."""
    return _json_object(text) or {}
