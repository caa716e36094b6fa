"""The one way screens run engine work: off the GUI thread, result back on it, errors to one dialog.

Like Anki's CollectionOp/QueryOp. Rules the code cannot enforce:
- `fn` runs on the worker thread: it must not touch widgets or models (no Qt calls at all).
- callbacks run on the GUI thread: they must not call the engine, its store or torch
  (start another op for that). Widgets never start threads by hand.
Ops run one at a time in the order they were started (the engine serialises calls anyway), so a
reply can never overtake the reply to an earlier message.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QWidget

from . import errors

log = logging.getLogger("kobert_chat.ui")


class _Dispatcher(QObject):
    """Lives on the GUI thread; a signal emitted from the pool is queued to it (Qt's AutoConnection)."""

    deliver = Signal(object)

    def __init__(self) -> None:
        super().__init__()
        self.deliver.connect(self._run)

    @Slot(object)
    def _run(self, callback: Callable[[], None]) -> None:
        callback()


class Worker(QObject):
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._pool.setExpiryTimeout(-1)  # one long-lived thread: the engine always sees the same caller
        self._dispatcher = _Dispatcher()
        self._pending = 0
        self._pending_by_owner: dict[int, int] = {}  # id(owner) -> ops not yet finished

    def run(
        self,
        fn: Callable[[], Any],
        on_success: Callable[[Any], None] | None = None,
        *,
        owner: QObject | None = None,
        on_finished: Callable[[bool], None] | None = None,
        on_error: Callable[[BaseException], bool] | None = None,
    ) -> None:
        """Run `fn()` on the worker thread.

        on_success(result) runs on the GUI thread; an exception goes to errors.show_error instead,
        unless on_error(exc) returns True (the screen said it in its own place, e.g. under the input).
        on_finished(ok) runs after either. If `owner` (a widget or model) was deleted meanwhile,
        the callbacks are skipped: the user closed that screen.
        """
        self._pending += 1
        if owner is not None:
            self._pending_by_owner[id(owner)] = self._pending_by_owner.get(id(owner), 0) + 1
        if self._pending == 1:
            self.busy_changed.emit(True)
        dispatcher = self._dispatcher

        def job() -> None:
            try:
                result, ok, tb = fn(), True, None
            except BaseException as exc:  # noqa: BLE001 - every failure must reach the dialog
                result, ok, tb = exc, False, traceback.format_exc()
            try:
                dispatcher.deliver.emit(
                    lambda: self._finish(ok, result, tb, on_success, on_finished, owner, on_error)
                )
            except RuntimeError:  # the app is shutting down and the dispatcher is gone
                log.info("worker result dropped at shutdown")

        self._pool.start(job)

    def relay(self, callback: Callable[..., None], owner: QObject | None = None) -> Callable[..., None]:
        """A thread-safe stand-in for `callback`: calling it from `fn` runs callback on the GUI thread."""
        dispatcher = self._dispatcher

        def call(*args: Any) -> None:
            def deliver() -> None:
                if owner is None or shiboken6.isValid(owner):
                    callback(*args)

            try:
                dispatcher.deliver.emit(deliver)
            except RuntimeError:
                pass

        return call

    def busy(self, owner: QObject | None = None) -> bool:
        """Any op still running, or (with owner) any op that owner started: screens use it as 'loading'."""
        if owner is None:
            return self._pending > 0
        return self._pending_by_owner.get(id(owner), 0) > 0

    def wait(self, msecs: int = 30000) -> bool:
        """Block until queued ops have run (used when the app closes). Callbacks still arrive later."""
        return self._pool.waitForDone(msecs)

    def _finish(
        self, ok: bool, result: Any, tb: str | None, on_success, on_finished, owner, on_error=None
    ) -> None:
        alive = owner is None or shiboken6.isValid(owner)
        try:
            if ok and alive and on_success is not None:
                on_success(result)
            elif not ok and alive and on_error is not None and on_error(result):
                pass  # handled where the user is looking
            elif not ok:
                parent = owner if alive and isinstance(owner, QWidget) else None
                errors.show_error(parent.window() if parent else None, result, tb)
        except Exception as exc:  # noqa: BLE001 - a bug in a callback still becomes a dialog, not a crash
            errors.show_error(None, exc, traceback.format_exc())
            ok = False
        finally:
            self._pending -= 1
            if owner is not None:
                left = self._pending_by_owner.pop(id(owner), 1) - 1
                if left:
                    self._pending_by_owner[id(owner)] = left
            if alive and on_finished is not None:
                on_finished(ok)
            if self._pending == 0 and shiboken6.isValid(self):  # the window may be gone at shutdown
                self.busy_changed.emit(False)
