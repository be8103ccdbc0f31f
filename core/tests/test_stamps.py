"""Table versions kept by a process (core/stamps.py): read once per PARLEY_DATA_RECHECK_SECONDS,
again at once after a save or delete of the table in this process."""

import pytest
from django.contrib.auth.models import Group
from django.db import transaction

from core import stamps

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(stamps.time, "monotonic", clock)
    return clock


@pytest.fixture
def stamp():
    reads = []

    def read():
        reads.append(Group.objects.count())
        return reads[-1]

    stamp = stamps.TableStamp("auth.Group", read)
    stamp.reads = reads
    yield stamp
    stamps._stamps.remove(stamp)


def test_a_version_is_read_again_only_once_it_is_older_than_the_recheck_time(settings, clock, stamp):
    settings.PARLEY_DATA_RECHECK_SECONDS = 2.0
    assert stamp.get() == 0
    Group.objects.bulk_create([Group(name="from another process")])  # no signal, like another process's write
    clock.now += 1.9
    assert stamp.get() == 0
    clock.now += 0.2
    assert stamp.get() == 1
    assert stamp.reads == [0, 1]


def test_a_save_or_delete_in_this_process_is_seen_at_once(settings, clock, stamp):
    settings.PARLEY_DATA_RECHECK_SECONDS = 3600
    assert stamp.get() == 0
    group = Group.objects.create(name="saved here")
    assert stamp.get() == 1
    group.delete()
    assert stamp.get() == 0


def test_a_version_read_before_the_saving_transaction_commits_is_read_again_after_it(
    settings, clock, stamp, django_capture_on_commit_callbacks
):
    settings.PARLEY_DATA_RECHECK_SECONDS = 3600
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        Group.objects.create(name="in a transaction")
        stamp._state = ("as another thread read it before the commit", clock.now)
    assert stamp.get() == 1


def test_with_no_recheck_time_every_use_reads(settings, clock, stamp):
    settings.PARLEY_DATA_RECHECK_SECONDS = 0
    stamp.get()
    stamp.get()
    assert len(stamp.reads) == 2


def test_forgetting_every_stamp_reads_them_again(settings, clock, stamp):
    settings.PARLEY_DATA_RECHECK_SECONDS = 3600
    stamp.get()
    stamps.stamps_forget()
    stamp.get()
    assert len(stamp.reads) == 2
