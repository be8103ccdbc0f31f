"""Fixed-window counters in Django's cache (Redis when REDIS_URL, so every process shares them).

`cache.add` + `cache.incr` is atomic in Redis and in the local-memory cache, so parallel
requests cannot all slip under a limit the way count-then-insert does. A rate is
"<count>/<s|m|h|d>", several comma-separated ("20/m,200/h"); a count of 0 means no limit.
If the cache does not answer, the request goes through: a broken limiter must not stop the shop.

Views use the throttles below (DRF's throttle hook, this counter); services call
`rate_limit_hit` where the key is only known inside (a customer, a contact).
"""

import hashlib
import ipaddress
import logging
import time

from django.conf import settings
from django.core.cache import cache
from rest_framework.throttling import BaseThrottle

from core.authentication import bearer_token
from core.exceptions import RateLimited

logger = logging.getLogger(__name__)
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def rate_parse(rate: str) -> list[tuple[int, int]]:
    """ "20/m,200/h" → [(20, 60), (200, 3600)]; limits of 0 are dropped (no limit)."""
    windows = []
    for part in (rate or "").split(","):
        count, _, unit = part.strip().partition("/")
        seconds = _UNITS.get(unit.strip().lower()[:1])
        if not count.strip().isdigit() or seconds is None:
            raise ValueError(f"A rate is '<count>/<s|m|h|d>' (comma-separated for several), not {rate!r}")
        if int(count):
            windows.append((int(count), seconds))
    return windows


def rate_count(*, scope: str, key: str, rate: str, amount: int = 1) -> int | None:
    """Count `amount` hits for `key` in every window of `rate`; the seconds to wait when over one, else None."""
    now = time.time()
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    wait = None
    for limit, window in rate_parse(rate):
        bucket = int(now // window)
        cache_key = f"rl:{scope}:{digest}:{window}:{bucket}"
        try:
            cache.add(cache_key, 0, window + 5)
            try:
                seen = cache.incr(cache_key, amount)
            except ValueError:  # expired between add and incr
                cache.set(cache_key, amount, window + 5)
                seen = amount
        except Exception:
            logger.warning("rate limiter unavailable; letting the request through", exc_info=True)
            return None
        if seen > limit:
            wait = max(wait or 0, int((bucket + 1) * window - now) + 1)
    return wait


def rate_limit_hit(*, scope: str, key: str, rate: str, detail: str) -> None:
    """Count one hit; raise RateLimited (429, Retry-After) when `key` is over `rate`."""
    wait = rate_count(scope=scope, key=key, rate=rate)
    if wait is not None:
        raise RateLimited(f"{detail} Try again in {wait} s.", retry_after=wait)


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or X-Forwarded-For behind REST_FRAMEWORK NUM_PROXIES proxies."""
    return BaseThrottle().get_ident(request) or "unknown"


def client_ip(request) -> str | None:
    """`client_address` when it is an IP address, else None (django-axes stores it as one)."""
    address = BaseThrottle().get_ident(request)
    try:
        return str(ipaddress.ip_address((address or "").strip()))
    except ValueError:
        return None


def client_token_key(request) -> str | None:
    """The caller's conversation token (one conversation, one customer), hashed; None without one."""
    token = bearer_token(request)
    return "tok:" + hashlib.sha256(token.encode()).hexdigest()[:32] if token else None


class RateThrottle(BaseThrottle):
    """A DRF throttle on the shared counter. Subclasses name a `scope`, the setting holding the
    rate, and what to count by (`key`); a request without a key is not counted."""

    scope = ""
    rate_setting = ""

    def key(self, request, view) -> str | None:
        return client_address(request)

    def allow_request(self, request, view) -> bool:
        key = self.key(request, view)
        self._wait = (
            None if key is None else rate_count(scope=self.scope, key=key, rate=getattr(settings, self.rate_setting))
        )
        return self._wait is None

    def wait(self):
        return self._wait


class CustomerRateThrottle(RateThrottle):
    """Counted per conversation token (a customer); requests without one are left to the address limit."""

    def key(self, request, view) -> str | None:
        return client_token_key(request)


def body_text(request, field: str) -> str:
    """A top-level string field of the JSON body, stripped ("" when absent or not a string)."""
    data = request.data
    value = data.get(field) if isinstance(data, dict) else None
    return value.strip() if isinstance(value, str) else ""
