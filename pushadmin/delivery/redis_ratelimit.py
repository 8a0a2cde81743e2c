"""The calls-per-second bucket in Redis, for installations whose broker is Redis.

The same generic cell rate algorithm as the database bucket (`ratelimit.py`): one key per
workspace holds the epoch second at which its next call may start. Each step is one Lua
script, which Redis runs atomically, so workers on every machine share the bucket without
a lock and without a database round trip per group of calls.

The keys live in the broker URL's database under `KEY_PREFIX`, and expire a minute after
the time they hold has passed (an idle bucket holds nothing worth keeping). Times are
written with 17 significant digits: Lua's own `tostring` keeps 14, which would move a
bucket by up to a tenth of a millisecond and break the exact comparison of `give_back`.
"""

from __future__ import annotations

from typing import Any

import redis

KEY_PREFIX = "pushadmin:ratelimit:"

# A bucket outlives the time it holds by this much, so clocks a little apart still read it.
_KEEP_MS = 60_000

_RESERVE = """
local held = redis.call('GET', KEYS[1])
local tat = held and tonumber(held) or 0
local now = tonumber(ARGV[1])
if tat > tonumber(ARGV[3]) then
  return {0, string.format('%.17g', tat)}
end
local booked = math.max(tat, now) + tonumber(ARGV[2])
local keep_ms = math.ceil((booked - now) * 1000) + tonumber(ARGV[4])
redis.call('SET', KEYS[1], string.format('%.17g', booked), 'PX', keep_ms)
return {1, string.format('%.17g', booked)}
"""

_GIVE_BACK = """
local held = redis.call('GET', KEYS[1])
if held and tonumber(held) == tonumber(ARGV[2]) then
  redis.call('SET', KEYS[1], string.format('%.17g', tonumber(held) - tonumber(ARGV[1])), 'KEEPTTL')
  return 1
end
return 0
"""

_HOLD = """
local held = redis.call('GET', KEYS[1])
local until_ = tonumber(ARGV[1])
if held and tonumber(held) >= until_ then
  return 0
end
local keep_ms = math.ceil((until_ - tonumber(ARGV[2])) * 1000) + tonumber(ARGV[3])
redis.call('SET', KEYS[1], string.format('%.17g', until_), 'PX', keep_ms)
return 1
"""


def key_for(workspace_id: int) -> str:
    return f"{KEY_PREFIX}{workspace_id}"


class RedisBucket:
    """reserve / give_back / hold_off / booked_until of one Redis server, as the database bucket has them."""

    def __init__(self, url: str) -> None:
        self.server = redis.Redis.from_url(url)
        self._reserve = self.server.register_script(_RESERVE)
        self._give_back = self.server.register_script(_GIVE_BACK)
        self._hold = self.server.register_script(_HOLD)

    def reserve(self, workspace_id: int, now: float, seconds: float, horizon: float) -> tuple[bool, float]:
        """Book `seconds` of the workspace's calls unless its next free time is past `horizon`.

        Returns (booked, the bucket's next free time after the call).
        """
        reply: Any = self._reserve(
            keys=[key_for(workspace_id)], args=[repr(now), repr(seconds), repr(horizon), _KEEP_MS]
        )
        taken, booked = reply
        return bool(taken), float(booked)

    def give_back(self, workspace_id: int, seconds: float, booked_until: float) -> None:
        self._give_back(keys=[key_for(workspace_id)], args=[repr(seconds), repr(booked_until)])

    def hold_off(self, workspace_id: int, until: float, now: float) -> None:
        self._hold(keys=[key_for(workspace_id)], args=[repr(until), repr(now), _KEEP_MS])

    def booked_until(self, workspace_id: int) -> float | None:
        held = self.server.get(key_for(workspace_id))
        return None if held is None else float(held)
