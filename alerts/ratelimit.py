"""Fixed-window request counters in Django's cache (Redis when REDIS_URL, so shared by every process).

A rate is "<count>/<s|m|h|d>" (e.g. "5/h"), set by ALERTS_RATE_LIMIT_PER_CONTACT and
ALERTS_RATE_LIMIT_PER_IP. If the cache is down the request goes through: a broken limiter
must not stop people from subscribing.
"""

import hashlib
import logging
import time

from django.core.cache import cache

from alerts.exceptions import AlertRateLimited

logger = logging.getLogger(__name__)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def rate_parse(rate: str) -> tuple[int, int]:
    count, _, unit = (rate or "").strip().partition("/")
    seconds = _UNITS.get(unit.strip().lower()[:1])
    if not count.strip().isdigit() or seconds is None:
        raise ValueError(f"A rate is '<count>/<s|m|h|d>', not {rate!r}")
    return int(count), seconds


def rate_limit_hit(*, scope: str, key: str, rate: str, detail: str) -> None:
    """Count one request for `key`; raise AlertRateLimited when it is over `rate`."""
    limit, window = rate_parse(rate)
    now = time.time()
    bucket = int(now // window)
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    cache_key = f"alerts:rl:{scope}:{digest}:{window}:{bucket}"
    try:
        cache.add(cache_key, 0, window + 5)
        try:
            seen = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.set(cache_key, 1, window + 5)
            seen = 1
    except Exception:
        logger.warning("alerts rate limiter unavailable; letting the request through", exc_info=True)
        return
    if seen > limit:
        retry_after = max(1, int((bucket + 1) * window - now) + 1)
        raise AlertRateLimited(f"{detail} Try again in {retry_after} s.", retry_after=retry_after)
