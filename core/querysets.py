"""Reading a large table a page at a time."""

from collections.abc import Iterator

from django.db.models import QuerySet


def pages_by_key(rows: QuerySet, size: int, *, key: str = "id") -> Iterator[list]:
    """`rows` (a values_list ordered by `key`, its first column `key`) in lists of at most `size`,
    each page one query for the rows past the last one's key: no cursor held open between pages
    and no offset to skip, so a page costs the same at the end of a million rows as at the start.
    A short page is the last."""
    page = list(rows[:size])
    while page:
        yield page
        if len(page) < size:
            return
        page = list(rows.filter(**{f"{key}__gt": page[-1][0]})[:size])
