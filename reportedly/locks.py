"""One run at a time: locks on what a run writes, so that a second run on the same case is refused (or waits) before
it pays for a fit, instead of losing its work at the end.

Each lock is a file beside the folder it guards, held with the operating system's file lock (the `filelock`
library): a run that is killed releases it with its process, so a stale lock never blocks the next run. Beside it,
the holder's process id, command and start time say who holds it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from filelock import FileLock, Timeout

from reportedly.errors import ReportedlyError
from reportedly.files import cannot_write

log = logging.getLogger(__name__)


def lock_file(folder: Path, kind: str) -> Path:
    """The lock of one kind of run (estimate, check, explain, write) on the outputs in `folder`."""
    return folder.parent / f".{folder.name}.{kind}.lock"


def _holder(lock: Path) -> dict:
    try:
        return json.loads(lock.with_name(lock.name + ".json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _holding(holder: dict) -> str:
    if not holder:
        return "another process"
    return f"process {holder['pid']} ('{holder['command']}', started {holder['started']})"


@contextlib.contextmanager
def exclusive(folder: Path, kind: str, wait: bool = False) -> Iterator[None]:
    """Hold the `kind` lock on `folder`'s outputs for the block: at once, or refused with who holds it; with `wait`,
    after saying what it waits for."""
    lock = lock_file(folder, kind)
    try:
        lock.parent.mkdir(parents=True, exist_ok=True)
        file_lock = FileLock(lock)
        file_lock.acquire(timeout=0)
    except Timeout:
        holder = _holding(_holder(lock))
        if not wait:
            raise ReportedlyError(f"{folder} is being written by {holder}; wait for it to finish, or pass --wait "
                                  "to wait for it here (nothing was started)") from None
        log.warning("waiting for %s to finish with %s ...", holder, folder)
        file_lock.acquire()
    except OSError as exc:
        raise cannot_write(folder, exc, lock, "nothing was written") from None
    record = lock.with_name(lock.name + ".json")
    try:
        record.write_text(json.dumps({"pid": os.getpid(), "command": " ".join(["reportedly", *sys.argv[1:]]),
                                      "started": dt.datetime.now().isoformat(timespec="seconds")}), encoding="utf-8")
        yield
    finally:
        record.unlink(missing_ok=True)
        file_lock.release()
