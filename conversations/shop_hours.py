"""When a person can answer: the shop's hours, from settings.

`PARLEY_SHOP_HOURS` is a list of `days HH:MM-HH:MM` entries separated by `;`, days being a day
(`mon`), a range (`mon-fri`) or a list (`sat,sun`): `"mon-fri 09:00-17:00; sat 10:00-14:00"`.
Times are in `PARLEY_SHOP_TIMEZONE` (an IANA name). Empty means someone is always there.
A request for a person outside these hours is taken (it waits in the inbox), and the customer
is told when someone will answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_ENTRY = re.compile(r"^(?P<days>[a-z,\-]+)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$")


@dataclass(frozen=True)
class Opening:
    weekday: int  # Monday is 0
    start: time
    end: time


def _time(value: str, raw: str) -> time:
    hours, minutes = (int(part) for part in value.split(":"))
    if hours == 24 and minutes == 0:
        return time.max
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise ImproperlyConfigured(f"PARLEY_SHOP_HOURS: {value!r} is not a time of day (in {raw!r}).")
    return time(hours, minutes)


def _days(value: str, raw: str) -> list[int]:
    out: list[int] = []
    for piece in value.split(","):
        first, _, last = piece.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ImproperlyConfigured(f"PARLEY_SHOP_HOURS: {piece!r} is not a day or a range of days (in {raw!r}).")
        start, end = DAYS.index(first), DAYS.index(last or first)
        out.extend(range(start, end + 1) if start <= end else [*range(start, 7), *range(0, end + 1)])
    return out


@lru_cache(maxsize=8)
def openings_parse(raw: str) -> tuple[Opening, ...]:
    """The openings a PARLEY_SHOP_HOURS value describes; ImproperlyConfigured when it is not one."""
    openings: list[Opening] = []
    for entry in (part.strip().lower() for part in raw.split(";")):
        if not entry:
            continue
        match = _ENTRY.match(entry)
        if match is None:
            raise ImproperlyConfigured(f"PARLEY_SHOP_HOURS: {entry!r} is not like 'mon-fri 09:00-17:00'.")
        start, end = _time(match["start"], raw), _time(match["end"], raw)
        if end <= start:
            raise ImproperlyConfigured(f"PARLEY_SHOP_HOURS: {entry!r} ends before it starts.")
        openings.extend(Opening(day, start, end) for day in _days(match["days"], raw))
    return tuple(sorted(openings, key=lambda o: (o.weekday, o.start)))


def _zone() -> ZoneInfo:
    try:
        return ZoneInfo(settings.PARLEY_SHOP_TIMEZONE)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ImproperlyConfigured(f"PARLEY_SHOP_TIMEZONE {settings.PARLEY_SHOP_TIMEZONE!r} is unknown.") from exc


def shop_is_open(*, now: datetime | None = None) -> bool:
    openings = openings_parse(settings.PARLEY_SHOP_HOURS)
    if not openings:
        return True
    local = (now or timezone.now()).astimezone(_zone())
    moment = local.time()
    return any(o.weekday == local.weekday() and o.start <= moment < o.end for o in openings)


def shop_next_opening(*, now: datetime | None = None) -> datetime | None:
    """When someone is next there (aware, in the shop's time zone): `now` itself when the shop is
    open, None when the hours are empty (always open)."""
    openings = openings_parse(settings.PARLEY_SHOP_HOURS)
    if not openings:
        return None
    zone = _zone()
    local = (now or timezone.now()).astimezone(zone)
    if shop_is_open(now=local):
        return local
    for days_ahead in range(8):
        day = (local + timedelta(days=days_ahead)).date()
        for opening in openings:
            if opening.weekday != day.weekday():
                continue
            start = datetime.combine(day, opening.start, tzinfo=zone)
            if start > local:
                return start
    return None  # pragma: no cover - a week always holds an opening when there are openings


def shop_next_opening_text(*, now: datetime | None = None) -> str:
    """ "on Monday at 09:00 (Europe/London)" or "today at 14:00 (UTC)", for the customer."""
    opening = shop_next_opening(now=now)
    if opening is None:
        return "shortly"
    local_now = (now or timezone.now()).astimezone(opening.tzinfo)
    if opening.date() == local_now.date():
        day = "today"
    elif opening.date() == (local_now + timedelta(days=1)).date():
        day = "tomorrow"
    else:
        day = f"on {opening:%A}"
    return f"{day} at {opening:%H:%M} ({settings.PARLEY_SHOP_TIMEZONE})"
