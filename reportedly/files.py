"""Writing files so a reader never sees half of one, with the permissions the user's umask asks for."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from reportedly.errors import ReportedlyError


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def make_shareable(path: Path) -> None:
    """Give a file or folder made by `tempfile` (0600 / 0700) the mode a plain open or mkdir would have."""
    os.chmod(path, (0o777 if path.is_dir() else 0o666) & ~_umask())


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call `write` on a temporary file beside `path`, then move it into place; nothing is left half-written."""
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
        os.close(handle)
    except OSError as exc:
        raise ReportedlyError(f"cannot write {path}: {exc.strerror or exc}; make {path.parent} writable") from None
    try:
        write(Path(temporary))
        make_shareable(Path(temporary))
        os.replace(temporary, path)
    except OSError as exc:
        raise ReportedlyError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        Path(temporary).unlink(missing_ok=True)


def check_writable(folder: Path) -> None:
    """Fail now, not after a long fit, if `folder` could not be written or replaced."""
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        probe = Path(tempfile.mkdtemp(prefix=f".{folder.name}.probe.", dir=folder.parent))
        probe.rmdir()
        if folder.exists():
            tempfile.TemporaryFile(dir=folder).close()
    except OSError as exc:
        raise cannot_write(folder, exc, folder.parent, "nothing was fitted") from None


def cannot_write(folder: Path, exc: OSError, where: Path, so: str) -> ReportedlyError:
    """The error for estimates that cannot be written to `folder`: the file the system refused, why, and what
    that left undone (`so`)."""
    return ReportedlyError(f"cannot write estimates to {folder}: {exc.filename or where}: {exc.strerror or exc}; "
                           f"make it writable ({so})")
