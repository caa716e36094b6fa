"""One desktop app per data folder: an OS file lock on `<data folder>/kobert-chat.lock`.

The lock belongs to the open file, so the OS drops it when the process ends in any way (exit, crash,
kill -9): there is never a stale lock to clean up. The lock file itself is never deleted (deleting it
would let two processes lock two different files of the same name). Only the desktop app takes the
lock; CLI commands share the folder through SQLite's own locking.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .errors import KobertChatError

LOCK_NAME = "kobert-chat.lock"


class AlreadyRunning(KobertChatError):
    """Another process holds the lock on this data folder."""

    def __init__(self, home: Path) -> None:
        self.home = home
        super().__init__(
            f"이미 다른 창에서 kobert-chat이 실행 중이에요. 그 창을 사용하거나 닫은 뒤 다시 열어 주세요.\n"
            f"데이터 폴더: {home}\n"
            f"(kobert-chat is already running on this data folder; close the other window first.)"
        )


class InstanceLock:
    """Held from acquire() until release() or the end of the process."""

    def __init__(self, home: Path, fd: int) -> None:
        self.home = home
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, home: Path) -> InstanceLock:
        """Take the lock without waiting; raises AlreadyRunning if another process holds it.
        A refused caller changes nothing: the lock file is opened without truncating it."""
        home = Path(home)
        home.mkdir(parents=True, exist_ok=True)
        fd = os.open(home / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            locked = _try_lock(fd)
        except BaseException:
            os.close(fd)
            raise
        if not locked:
            os.close(fd)
            raise AlreadyRunning(home)
        _write_pid(fd)
        return cls(home, fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            _unlock(fd)
            os.close(fd)

    def __enter__(self) -> InstanceLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _write_pid(fd: int) -> None:
    """For people looking at the folder; the lock itself is what counts."""
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, f"{os.getpid()}\n".encode("ascii"))


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)  # msvcrt locks bytes from the current position: always byte 0
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        except OSError:
            pass

else:
    import errno
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return False
            raise
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
