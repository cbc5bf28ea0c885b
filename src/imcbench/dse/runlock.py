"""One sweep at a time per results file: an exclusive lock beside it, held for the whole run.

Two sweeps started together on a new ``--out`` would otherwise both build the file and one would replace
the other's (rows lost or mixed). The lock is ``.<name>.lock`` in the file's folder, locked with
``flock``: the kernel releases it when its process ends, however it ends, so a killed sweep never
leaves a stale lock behind. The file holds the owner's pid for the error message.
"""

from __future__ import annotations

import os
from pathlib import Path

from imcbench.errors import ImcbenchError

try:
    import fcntl
except ImportError:  # Windows: DuckDB's own file lock is the only guard there
    fcntl = None

ATTEMPTS = 5  # the lock file may be removed by its finishing owner between our open and our lock


class RunLock:
    """An exclusive lock on the results file ``path`` (released by :meth:`release` or process exit)."""

    def __init__(self, path: Path, fd: int | None):
        self.path = path
        self._fd = fd

    @classmethod
    def acquire(cls, out: str | Path) -> "RunLock":
        out = Path(out)
        lock = out.with_name(f".{out.name}.lock")
        if fcntl is None:
            return cls(lock, None)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ImcbenchError(f"--out {out}: cannot create its folder ({exc.strerror or exc})") from None
        for _ in range(ATTEMPTS):
            fd = _open(lock, out)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                owner = _read_owner(fd)
                os.close(fd)
                raise ImcbenchError(f"{out} is locked by another run ({owner}) that writes it: wait for it to "
                                    "finish, or give another --out") from None
            if _same_file(fd, lock):  # not a lock file its owner removed after we opened it
                _write_owner(fd, out)
                return cls(lock, fd)
            os.close(fd)
        raise ImcbenchError(f"{out}: cannot take the lock {lock} (it keeps being replaced); try again")

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            self.path.unlink(missing_ok=True)  # removed while still locked: nobody can lock this file anew
        finally:
            os.close(fd)

    def __enter__(self) -> "RunLock":
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _open(lock: Path, out: Path) -> int:
    try:
        return os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise ImcbenchError(f"--out {out}: cannot write in {lock.parent} ({exc.strerror or exc}); give a "
                            "writable place") from None


def _write_owner(fd: int, out: Path) -> None:
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}\n".encode())
    except OSError as exc:
        os.close(fd)
        raise ImcbenchError(f"--out {out}: cannot write in {out.parent} ({exc.strerror or exc}); free some disk "
                            "space or give another place") from None


def _read_owner(fd: int) -> str:
    try:
        text = os.pread(fd, 64, 0).decode(errors="replace").strip()
    except OSError:
        text = ""
    return text or "pid unknown"


def _same_file(fd: int, lock: Path) -> bool:
    try:
        return os.stat(lock).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False
