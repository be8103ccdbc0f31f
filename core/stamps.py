"""Versions of the tables a process keeps derived data of (the search index, the symptom and
policy vectors), read again at most every `PARLEY_DATA_RECHECK_SECONDS`.

A table's version is a cheap aggregate (its row count, largest id or newest `updated_at`); read
before every chat message, the catalogue's, symptoms' and policies' cost four queries a reply.
A `TableStamp` keeps the value it read: a process reads it again once it is older than
PARLEY_DATA_RECHECK_SECONDS (2), or at once after this process saved or deleted a row of the
table (`post_save` / `post_delete`, and again when that transaction commits). A change made by
another process (the admin, an import, a worker) is seen within that time; a bulk write
(`bulk_create`, `QuerySet.update`) sends no signal and is seen within it too.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save

_stamps: list[TableStamp] = []


class TableStamp:
    """`get()`: `read()`'s value, read again when older than PARLEY_DATA_RECHECK_SECONDS or
    after a row of `model` ("app_label.ModelName") was saved or deleted in this process."""

    def __init__(self, model: str, read: Callable[[], object]) -> None:
        self._read = read
        self._state: tuple[object, float] | None = None  # (value, monotonic time read); one attribute, one swap
        post_save.connect(self._changed, sender=model, weak=False, dispatch_uid=f"stamp:{model}:{id(self)}")
        post_delete.connect(self._changed, sender=model, weak=False, dispatch_uid=f"stamp-del:{model}:{id(self)}")
        _stamps.append(self)

    def get(self) -> object:
        state, now = self._state, time.monotonic()
        if state is not None and now - state[1] < settings.PARLEY_DATA_RECHECK_SECONDS:
            return state[0]
        value = self._read()
        self._state = (value, now)
        return value

    def forget(self) -> None:
        self._state = None

    def _changed(self, **_) -> None:
        # Now (this transaction reads its own write) and once committed (for readers that read
        # the version as it was before the commit in the meantime).
        self.forget()
        transaction.on_commit(self.forget)


def stamps_forget() -> None:
    """Read every table's version again at its next use (tests: the database was rolled back)."""
    for stamp in _stamps:
        stamp.forget()
