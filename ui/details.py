"""The "자세히" toggle: numbers and technical words stay out of sight until the user asks for them."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QPushButton, QWidget

SHOW, HIDE = "자세히 ▾", "간단히 ▴"


class DetailsToggle(QPushButton):
    """A flat button that shows or hides `target` (hidden at first)."""

    toggled_open = Signal(bool)

    def __init__(self, target: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(SHOW, parent)
        self.setObjectName("DetailsToggle")
        self.setCheckable(True)
        self.setFlat(True)
        self.target = target
        target.hide()
        self.toggled.connect(self._toggle)

    def _toggle(self, open_: bool) -> None:
        self.target.setVisible(open_)
        self.setText(HIDE if open_ else SHOW)
        self.toggled_open.emit(open_)
