"""The rate buckets a test left in Redis, when the broker is Redis (database rows roll back by themselves)."""

from __future__ import annotations

import redis
from django.conf import settings

from pushadmin.delivery import ratelimit
from pushadmin.delivery.redis_ratelimit import KEY_PREFIX


def redis_broker_url() -> str | None:
    url: str = settings.CELERY_BROKER_URL
    return url if url.startswith(ratelimit.REDIS_SCHEMES) else None


def forget_redis_buckets(url: str | None) -> None:
    """Delete this app's rate-limit keys from the broker's database only; nothing else there is touched."""
    if url is None:
        return
    server = redis.Redis.from_url(url)
    try:
        keys = list(server.scan_iter(match=f"{KEY_PREFIX}*"))
        if keys:
            server.delete(*keys)
    finally:
        server.close()
