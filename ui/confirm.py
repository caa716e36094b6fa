"""One yes/no question for destructive or network actions; "No" is the default button."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox, QWidget


def confirm(parent: QWidget | None, title: str, text: str) -> bool:
    buttons = QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No
    return (
        QMessageBox.question(parent, title, text, buttons, QMessageBox.StandardButton.No)
        == QMessageBox.StandardButton.Yes
    )
