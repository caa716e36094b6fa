"""The chat header's toolbar: buttons that fit the window, the rest in a "더 보기" menu.

QToolBar outside a QMainWindow's toolbar area dropped buttons at 800x600 with no way to reach them.
Here every action stays reachable: as a button while there is room, else as an entry in the menu.
The widget's size hint never depends on which buttons are showing, so layouts cannot ping-pong.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QAction, QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QMenu, QSizePolicy, QToolButton, QWidget

from . import icons

SPACING = 2


class OverflowToolbar(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("MainToolbar")
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(SPACING)
        self._buttons: list[tuple[QAction, QToolButton]] = []
        self.more_menu = QMenu(self)
        self.more_menu.setObjectName("MoreMenu")
        self.more_button = QToolButton(self)
        self.more_button.setObjectName("MoreButton")
        self.more_button.setText("더 보기")
        self.more_button.setToolTip("창이 좁아서 숨긴 메뉴")
        self.more_button.setAccessibleName("더 보기")
        self.more_button.setIconSize(QSize(18, 18))
        self.more_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.more_button.setMenu(self.more_menu)
        self._layout.addWidget(self.more_button)
        self._relayout_soon = QTimer(self, singleShot=True, interval=0)
        self._relayout_soon.timeout.connect(self._relayout)
        self.refresh_icons()

    def add_action(self, action: QAction) -> QToolButton:
        button = QToolButton(self)
        button.setDefaultAction(action)
        button.setIconSize(QSize(18, 18))
        button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        self._layout.insertWidget(self._layout.count() - 1, button)
        self._buttons.append((action, button))
        action.changed.connect(self._changed)  # "다시 학습 (3)" is wider than "다시 학습"
        self._changed()
        return button

    def refresh_icons(self) -> None:
        self.more_button.setIcon(icons.icon("more"))

    # -- which buttons fit ------------------------------------------------------------------------
    def _changed(self) -> None:
        self.updateGeometry()
        self._relayout_soon.start()

    def sizeHint(self) -> QSize:
        widths = [button.sizeHint().width() for _a, button in self._buttons]
        height = max(
            [b.sizeHint().height() for _a, b in self._buttons] + [self.more_button.sizeHint().height()]
        )
        return QSize(sum(widths) + SPACING * max(0, len(widths) - 1), height)

    def minimumSizeHint(self) -> QSize:
        return self.more_button.sizeHint()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._relayout()

    def _relayout(self) -> None:
        room = self.width()
        widths = [button.sizeHint().width() for _a, button in self._buttons]
        all_fit = sum(widths) + SPACING * max(0, len(widths) - 1) <= room
        if not all_fit:
            room -= self.more_button.sizeHint().width() + SPACING
        used, hidden = 0, []
        for (action, button), width in zip(self._buttons, widths, strict=True):
            fits = all_fit or (not hidden and used + width <= room)  # keep the order: no gaps
            button.setVisible(fits)
            if fits:
                used += width + SPACING
            else:
                hidden.append(action)
        self.more_menu.clear()
        for action in hidden:
            self.more_menu.addAction(action)
        self.more_button.setVisible(bool(hidden))

    # -- for tests and the keyboard -----------------------------------------------------------------
    def shown_actions(self) -> list[QAction]:
        return [action for action, button in self._buttons if button.isVisible()]

    def overflow_actions(self) -> list[QAction]:
        return list(self.more_menu.actions())

    def button_for(self, action: QAction) -> QToolButton | None:
        return next((b for a, b in self._buttons if a is action), None)
