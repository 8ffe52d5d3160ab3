"""Writing files so that a crash or Ctrl-C never leaves a half-written one, with the permissions users expect.

``atomic_write_bytes`` writes a hidden temporary file next to the target, flushes it to disk and renames it over
the target: a reader sees the old file or the new one, never half of one. The temporary file is created with mode
0666 and the process umask (as ``open()`` would create the target), not ``tempfile``'s private 0600, so results are
readable by whoever may read any other file the user writes. Operating-system errors (disk full, read-only folder,
no permission) become one-line ``PkosimError``s naming the file (``sim.errors.from_os_error``).
"""

from __future__ import annotations

import errno
import os
import secrets
from pathlib import Path

from sim.errors import PkosimError, from_os_error

TEMPORARY_SUFFIX = ".tmp"
# Flags that POSIX systems have and Windows lacks (there, 0: the protection they add is not available).
O_CLOEXEC, O_NOFOLLOW, O_NONBLOCK, O_DIRECTORY = (getattr(os, name, 0) for name in
                                                  ("O_CLOEXEC", "O_NOFOLLOW", "O_NONBLOCK", "O_DIRECTORY"))


def temporary_name(target: Path) -> Path:
    """A hidden, unique name next to ``target`` (readers of a Parquet folder skip names starting with '.')."""
    return target.parent / f".{target.name}.{secrets.token_hex(4)}{TEMPORARY_SUFFIX}"


def _write_new(path: Path, data: bytes) -> None:
    """Create ``path`` (which must not exist) with ``data``, flushed to disk; mode 0666 minus the umask."""
    handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_CLOEXEC, 0o666)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = temporary_name(target)
        _write_new(temporary, data)
        try:
            os.replace(temporary, target)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
    except OSError as error:
        raise from_os_error(error, target, "write") from None


def atomic_write_text(path: str | Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def write_new_file(path: str | Path, data: bytes) -> None:
    """Write a file that must not exist yet (a hidden staged part), flushed to disk; errors as one line."""
    try:
        _write_new(Path(path), data)
    except OSError as error:
        raise from_os_error(error, path, "write") from None


def append_line(path: str | Path, line: str) -> None:
    """Append one line to a log and flush it to disk: after a crash the log ends with whole lines, or with a torn
    last line that its reader ignores. A symbolic link in place of the log is refused, not followed."""
    try:
        handle = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o666)
        with os.fdopen(handle, "ab") as stream:
            stream.write(line.rstrip("\n").encode("utf-8") + b"\n")
            stream.flush()
            os.fsync(stream.fileno())
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise PkosimError(f"{path}: is a symbolic link; pkosim will not write through it") from None
        raise from_os_error(error, path, "write") from None


def sync_directory(path: str | Path) -> None:
    """Make renames in ``path`` durable (best effort: not every file system supports it)."""
    try:
        handle = os.open(path, os.O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
