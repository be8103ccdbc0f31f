"""A per-client, fixed one-minute window on ingest: requests and events counted separately.

With REDIS_URL the counters live in Redis (shared by every Daphne process); without it in
Django's cache (the embedded default, one process). If Redis does not answer, ingest is let
through: telemetry must not fail because its limiter is down.
"""

from __future__ import annotations

import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache

from analytics import constants
from analytics.exceptions import IngestRateLimited

logger = logging.getLogger(__name__)
_WINDOW = 60
_redis_client = None


def _redis():
    global _redis_client
    if _redis_client is None:
        import redis

        _redis_client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5)
    return _redis_client


def client_key(*, token: str | None, remote_addr: str | None) -> str:
    """Who is asking: the conversation token's hash when there is one, else the address."""
    if token:
        return "tok:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    return f"ip:{remote_addr or 'unknown'}"


def _count(key: str, requests: int, events: int) -> tuple[int, int]:
    if settings.REDIS_URL:
        try:
            pipe = _redis().pipeline(transaction=False)
            pipe.incrby(key + ":r", requests)
            pipe.expire(key + ":r", _WINDOW * 2)
            pipe.incrby(key + ":e", events)
            pipe.expire(key + ":e", _WINDOW * 2)
            r, _, e, _ = pipe.execute()
            return int(r), int(e)
        except Exception:
            logger.warning("analytics rate limiter: Redis unavailable, letting the batch through", exc_info=True)
            return 0, 0
    counts = []
    for suffix, amount in ((":r", requests), (":e", events)):
        cache.add(key + suffix, 0, _WINDOW * 2)
        try:
            counts.append(cache.incr(key + suffix, amount))
        except ValueError:  # expired between add and incr
            cache.set(key + suffix, amount, _WINDOW * 2)
            counts.append(amount)
    return counts[0], counts[1]


def ingest_rate_check(*, client: str, events: int) -> None:
    """Count this request; raise IngestRateLimited when the client is over either limit."""
    max_requests, max_events = constants.rate_limits()
    now = time.time()
    window = int(now // _WINDOW)
    requests_seen, events_seen = _count(f"parley:analytics:rl:{client}:{window}", 1, max(events, 0))
    if requests_seen > max_requests or events_seen > max_events:
        retry_after = max(1, int((window + 1) * _WINDOW - now) + 1)
        raise IngestRateLimited(
            f"Too many analytics events from this client: at most {max_requests} batches and "
            f"{max_events} events a minute. Retry in {retry_after} s.",
            retry_after=retry_after,
        )
