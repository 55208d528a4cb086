"""Private, atomic file writes and an inter-process lock for read-modify-write cycles.

A crash or a full disk during a save leaves the previous file intact: data goes to a temporary
file in the same folder, is flushed to disk, then renamed over the target.
"""

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from desktop_app.core.paths import create_dirs_privately

PRIVATE_FILE_MODE = 0o600
PUBLIC_FILE_MODE = 0o644


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically; the file is readable by the current user only."""
    create_dirs_privately(path.parent)
    _replace_atomically(path, data, PRIVATE_FILE_MODE)


def export_bytes(path: Path, data: bytes) -> None:
    """Replace `path` with public `data` (a CA certificate, a report) atomically, readable by others.

    Unlike `atomic_write_bytes` it leaves the folder as it is (it is the user's, e.g. Downloads) and
    does not create it.
    """
    _replace_atomically(path, data, PUBLIC_FILE_MODE)


def export_private_bytes(path: Path, data: bytes) -> None:
    """Like `export_bytes`, but readable by the current user only (a report naming developers)."""
    _replace_atomically(path, data, PRIVATE_FILE_MODE)


def _replace_atomically(path: Path, data: bytes, mode: int) -> None:
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if os.name == "posix":
            tmp.chmod(mode)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    """Replace `path` with UTF-8 `text` atomically and privately."""
    atomic_write_bytes(path, text.encode("utf-8"))


def _fsync_dir(folder: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def is_private_file(path: Path) -> bool:
    """Return whether `path` is owned by the current user and unreadable by anyone else."""
    if os.name != "posix":
        return True  # NTFS ACLs are not modelled by st_mode; the profile folder is private by default
    info = path.stat()
    return info.st_uid == os.getuid() and info.st_mode & 0o077 == 0


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path`.lock while reading and rewriting `path`."""
    create_dirs_privately(path.parent)
    lock_path = path.with_name(path.name + ".lock")
    with lock_path.open("a+b") as handle:
        if os.name == "posix":
            lock_path.chmod(PRIVATE_FILE_MODE)
            import fcntl  # noqa: PLC0415 - POSIX only

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        else:
            import msvcrt  # noqa: PLC0415 - Windows only

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)  # type: ignore[attr-defined]
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
