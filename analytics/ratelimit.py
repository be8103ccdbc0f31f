"""A per-client, fixed one-minute window on ingest: requests and events counted separately, on the
shared counter every limit uses (core/ratelimit.py: Django's cache, Redis with REDIS_URL). If the
cache does not answer, ingest is let through: telemetry must not fail because its limiter is down.
"""

from __future__ import annotations

import hashlib

from analytics import constants
from analytics.exceptions import IngestRateLimited
from core.ratelimit import rate_count


def client_key(*, token: str | None, remote_addr: str | None) -> str:
    """Who is asking: the conversation token's hash when there is one, else the address."""
    if token:
        return "tok:" + hashlib.sha256(token.encode()).hexdigest()[:32]
    return f"ip:{remote_addr or 'unknown'}"


def ingest_rate_check(*, client: str, events: int) -> None:
    """Count this request and its events; raise IngestRateLimited when the client is over either limit."""
    max_requests, max_events = constants.rate_limits()
    waits = [
        rate_count(scope="analytics:requests", key=client, rate=f"{max_requests}/m"),
        rate_count(scope="analytics:events", key=client, rate=f"{max_events}/m", amount=max(events, 0)),
    ]
    waits = [wait for wait in waits if wait is not None]
    if waits:
        retry_after = max(waits)
        raise IngestRateLimited(
            f"Too many analytics events from this client: at most {max_requests} batches and "
            f"{max_events} events a minute. Retry in {retry_after} s.",
            retry_after=retry_after,
        )
