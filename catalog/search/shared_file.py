"""Search data every web process on a host maps from one read-only file instead of holding its own.

The vector matrix (`semantic.py`) and the lexical index (`lexical.py`) of a large catalogue live
under `PARLEY_VECTOR_DIR`, one file per database and version: a page of a mapped file is the
operating system's page cache, counted once for the host however many Daphnes read it. A file
is written to a temporary name and renamed, so a reader sees a whole file or none; older
versions are unlinked (a process that mapped one keeps its mapping until it lets go).

`arrays_write` / `arrays_open`: named numpy arrays and a JSON header in one file, each array at
a 64-byte boundary, opened with `mmap` and wrapped by `np.frombuffer` (read-only views, no copy).
An array can be written as `RowsInOrder(source, order)`: `source[order]`, made a few thousand
rows at a time as it is written instead of whole in memory beside `source`.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import mmap
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.db import connection

_MAGIC = b"PARLEYA1"
_ALIGN = 64
_CHUNK_BYTES = 8 << 20


@dataclass(frozen=True)
class RowsInOrder:
    """`source[order]` (rows of `source` in the order of `order`), to be written by `arrays_write`."""

    source: np.ndarray
    order: np.ndarray

    @property
    def dtype(self) -> np.dtype:
        return self.source.dtype

    @property
    def shape(self) -> tuple[int, ...]:
        return (int(self.order.size), *self.source.shape[1:])

    @property
    def nbytes(self) -> int:
        return int(self.order.size) * self.source[:1].nbytes

    def chunks(self) -> Iterator[np.ndarray]:
        step = max(1, _CHUNK_BYTES // max(self.source[:1].nbytes, 1))
        for start in range(0, self.order.size, step):
            yield self.source[self.order[start : start + step]]


def shared_dir() -> Path:
    return Path(getattr(settings, "PARLEY_VECTOR_DIR", "") or Path(tempfile.gettempdir()) / "parley-vectors")


def database_prefix(label: str, key: str) -> str:
    """`label-<hash>`: the files of this database (vendor, host, port, name) and this `key`."""
    db = connection.settings_dict
    where = f"{connection.vendor}|{db.get('HOST')}|{db.get('PORT')}|{db.get('NAME')}|{key}"
    return f"{label}-" + hashlib.blake2b(where.encode(), digest_size=8).hexdigest()


def _aligned(offset: int) -> int:
    return -(-offset // _ALIGN) * _ALIGN


def arrays_write(path: Path, arrays: dict[str, np.ndarray | RowsInOrder], meta: dict) -> None:
    """Write `arrays` (C-contiguous after conversion) and `meta` (JSON) to `path`, atomically."""
    layout, offset = {}, 0
    arrays = {
        name: array if isinstance(array, RowsInOrder) else np.ascontiguousarray(array) for name, array in arrays.items()
    }
    for name, array in arrays.items():
        layout[name] = [array.dtype.str, list(array.shape), offset]
        offset = _aligned(offset + array.nbytes)
    header = json.dumps({"meta": meta, "arrays": layout}).encode()
    start = _aligned(len(_MAGIC) + 8 + len(header))
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".writing-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(_MAGIC + len(header).to_bytes(8, "little") + header)
            for name, array in arrays.items():
                out.seek(start + layout[name][2])
                for chunk in array.chunks() if isinstance(array, RowsInOrder) else [array]:
                    out.write(memoryview(chunk).cast("B"))
            out.truncate(start + offset)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def arrays_open(path: Path) -> tuple[dict[str, np.ndarray], dict] | None:
    """The arrays (read-only views of the mapped file) and meta of `path`; None if unreadable."""
    try:
        with open(path, "rb") as handle:
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    try:
        if mapped[: len(_MAGIC)] != _MAGIC:
            return None
        size = int.from_bytes(mapped[len(_MAGIC) : len(_MAGIC) + 8], "little")
        header = json.loads(mapped[len(_MAGIC) + 8 : len(_MAGIC) + 8 + size])
        start = _aligned(len(_MAGIC) + 8 + size)
        arrays = {}
        for name, (dtype, shape, offset) in header["arrays"].items():
            count = int(np.prod(shape, dtype=np.int64))
            if count == 0:
                arrays[name] = np.zeros(shape, dtype=dtype)
                continue
            arrays[name] = np.frombuffer(mapped, dtype=dtype, count=count, offset=start + offset).reshape(shape)
        return arrays, header["meta"]
    except (ValueError, KeyError, TypeError):
        return None


def newest(prefix: str) -> Path | None:
    """The most recently written file of `prefix` in the shared folder, if any."""
    folder = shared_dir()
    found = [p for p in folder.glob(f"{prefix}-*") if not p.name.endswith(".lock")] if folder.is_dir() else []
    return max(found, key=lambda p: p.stat().st_mtime_ns, default=None)


def older_remove(prefix: str, keep: Path) -> None:
    for old in shared_dir().glob(f"{prefix}-*"):
        if old != keep and not old.name.endswith(".lock"):
            old.unlink(missing_ok=True)


@contextlib.contextmanager
def exclusive(prefix: str) -> Iterator[None]:
    """Held by one process of the host at a time: the others wait, then find the file it wrote
    instead of building the same one."""
    folder = shared_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f"{prefix}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
