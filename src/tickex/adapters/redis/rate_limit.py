"""Redis rate limiter: one sliding-window log per key, shared by every worker process.

Each ``hit`` is one Lua script run by the server (``EVALSHA``, loaded again on
``NOSCRIPT``): Redis runs a script alone, so trimming the log, counting it and recording
the hit cannot interleave with another worker's hit. Nothing is read in Python and written
back. The script reads the time from the server (``TIME``), so workers whose clocks
disagree still share one notion of the window.

The log of a key is a list of microsecond timestamps, newest first, never longer than the
limit; it expires with its newest hit, so idle keys cost nothing.
"""

from __future__ import annotations

from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tickex.ports.rate_limit import (
    KEY_PREFIX,
    RateLimitDecision,
    RateLimiter,
    RateLimiterUnavailable,
    check_bounds,
    from_microseconds,
    seconds_until,
    storage_key,
)

DEFAULT_TIMEOUT = 0.5  # seconds; a rate limiter must never hold a request up for long

# KEYS[1]: the log. ARGV[1]: limit, ARGV[2]: window in microseconds.
# Returns {allowed (1|0), remaining, reset_at_us, now_us}.
HIT_SCRIPT = """
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
redis.call('LTRIM', key, 0, limit - 1)
while true do
  local oldest = redis.call('LINDEX', key, -1)
  if not oldest or tonumber(oldest) > now - window then break end
  redis.call('RPOP', key)
end
local count = redis.call('LLEN', key)
if count >= limit then
  local oldest = tonumber(redis.call('LINDEX', key, -1))
  return {0, 0, oldest + window, now}
end
local stamp = now
local newest = redis.call('LINDEX', key, 0)
if newest and tonumber(newest) > stamp then stamp = tonumber(newest) end
redis.call('LPUSH', key, string.format('%.0f', stamp))
redis.call('PEXPIRE', key, math.ceil((stamp + window - now) / 1000))
local oldest = tonumber(redis.call('LINDEX', key, -1))
return {1, limit - count - 1, oldest + window, now}
"""


class RedisRateLimiter(RateLimiter):
    """``RedisRateLimiter("redis://127.0.0.1:6379/0")`` or ``RedisRateLimiter(client)``.

    A limiter built from a URL owns its client (``close`` closes it) and uses short
    timeouts with one immediate retry; a client passed in is used as configured.
    ``prefix`` namespaces the keys (several applications, or tests, on one server).
    """

    def __init__(
        self,
        target: str | redis.Redis,
        *,
        prefix: str = KEY_PREFIX,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if isinstance(target, str):
            self._client = redis.Redis.from_url(
                target,
                socket_timeout=timeout,
                socket_connect_timeout=timeout,
                retry=Retry(NoBackoff(), 1),
            )
            self._owned = True
        else:
            self._client = target
            self._owned = False
        self._prefix = prefix
        self._script = self._client.register_script(HIT_SCRIPT)

    def hit(self, key: str, limit: int, window_seconds: int) -> RateLimitDecision:
        check_bounds(limit, window_seconds)
        stored = storage_key(key, self._prefix)
        try:
            reply: Any = self._script(keys=[stored], args=[limit, window_seconds * 1_000_000])
        except redis.RedisError as exc:
            raise RateLimiterUnavailable(f"redis: {type(exc).__name__}: {exc}") from exc
        allowed, remaining, reset_us, now_us = (int(value) for value in reply)
        return RateLimitDecision(
            allowed=bool(allowed),
            limit=limit,
            remaining=remaining,
            retry_after_seconds=0 if allowed else seconds_until(reset_us, now_us),
            reset_at=from_microseconds(reset_us),
        )

    def reset(self, key: str) -> None:
        try:
            self._client.delete(storage_key(key, self._prefix))
        except redis.RedisError as exc:
            raise RateLimiterUnavailable(f"redis: {type(exc).__name__}: {exc}") from exc

    def ping(self) -> bool:
        try:
            return bool(self._client.ping())
        except redis.RedisError:
            return False

    def close(self) -> None:
        if self._owned:
            self._client.close()
