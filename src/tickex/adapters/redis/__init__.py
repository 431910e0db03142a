"""Redis adapters (optional extra ``tickex[redis]``): the rate limiter shared by every
worker process."""

from tickex.adapters.redis.rate_limit import RedisRateLimiter

__all__ = ["RedisRateLimiter"]
