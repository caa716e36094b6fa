"""Light and dark themes: a palette, a style sheet from resources/style/, and colours for painted widgets.

"system" follows QGuiApplication.styleHints().colorScheme() and keeps following it while the app runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

from kobert_chat.paths import RESOURCES

STYLE_DIR = RESOURCES / "style"


@dataclass(frozen=True)
class Colors:
    name: str
    window: str
    sidebar: str
    chat_bg: str
    surface: str
    text: str
    muted: str
    border: str
    accent: str
    accent_text: str
    user_bubble: str
    user_text: str
    bot_bubble: str
    bot_text: str
    bot_border: str
    selection: str
    day_pill: str
    intent_tint: str
    loss_line: str
    f1_line: str
    heat_low: str
    heat_high: str


LIGHT = Colors(
    name="light",
    window="#ffffff",
    sidebar="#f5f6f8",
    chat_bg="#eef1f5",
    surface="#ffffff",
    text="#1f2329",
    muted="#6b7280",
    border="#dfe3e8",
    accent="#3b6fe0",
    accent_text="#ffffff",
    user_bubble="#3b6fe0",
    user_text="#ffffff",
    bot_bubble="#ffffff",
    bot_text="#1f2329",
    bot_border="#e1e5ea",
    selection="#3b6fe0",
    day_pill="#dde2e9",
    intent_tint="#4b6584",
    loss_line="#e0793b",
    f1_line="#3b6fe0",
    heat_low="#f4f7fb",
    heat_high="#2f5fc4",
)
DARK = Colors(
    name="dark",
    window="#1d1f23",
    sidebar="#18191c",
    chat_bg="#141518",
    surface="#25272c",
    text="#e6e8eb",
    muted="#979ca6",
    border="#33363c",
    accent="#5b8def",
    accent_text="#ffffff",
    user_bubble="#3d6fd6",
    user_text="#ffffff",
    bot_bubble="#2a2c31",
    bot_text="#e6e8eb",
    bot_border="#34373d",
    selection="#7aa2f7",
    day_pill="#2a2c31",
    intent_tint="#9fb3cc",
    loss_line="#f0a062",
    f1_line="#7aa2f7",
    heat_low="#25272c",
    heat_high="#5b8def",
)
# Calm tints per emotion; badges use them at low opacity so the chat stays quiet.
EMOTION_TINTS = {
    "happiness": "#d99a00",
    "surprise": "#e46c1a",
    "neutral": "#7d8794",
    "sadness": "#3a78e0",
    "anger": "#d64545",
    "fear": "#8358d6",
    "disgust": "#179a6c",
}

_state = {"setting": "system", "colors": LIGHT, "listening": False}


def colors() -> Colors:
    """The colours of the theme in use (painted widgets read this at paint time)."""
    return _state["colors"]


def resolve(setting: str) -> Colors:
    if setting == "dark":
        return DARK
    if setting == "light":
        return LIGHT
    scheme = QGuiApplication.styleHints().colorScheme()
    return DARK if scheme == Qt.ColorScheme.Dark else LIGHT


def apply_theme(app: QApplication, setting: str = "system") -> Colors:
    """Apply light, dark or the system's scheme to the whole app; returns the colours now in use."""
    _state["setting"] = setting
    chosen = resolve(setting)
    _state["colors"] = chosen
    app.setStyle("Fusion")  # same look on every platform; the palette and style sheet do the rest
    app.setPalette(_palette(chosen))
    sheet = (STYLE_DIR / f"{chosen.name}.qss").read_text(encoding="utf-8")
    app.setStyleSheet(sheet.replace("@STYLE@", STYLE_DIR.as_posix()))  # url()s in the sheet need a full path
    if not _state["listening"]:
        _state["listening"] = True
        app.styleHints().colorSchemeChanged.connect(lambda _scheme: _follow_system(app))
    for widget in app.allWidgets():
        widget.update()
    return chosen


def _follow_system(app: QApplication) -> None:
    if _state["setting"] == "system":
        apply_theme(app, "system")


def _palette(c: Colors) -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: c.window,
        QPalette.ColorRole.WindowText: c.text,
        QPalette.ColorRole.Base: c.surface,
        QPalette.ColorRole.AlternateBase: c.sidebar,
        QPalette.ColorRole.Text: c.text,
        QPalette.ColorRole.Button: c.surface,
        QPalette.ColorRole.ButtonText: c.text,
        QPalette.ColorRole.Highlight: c.accent,
        QPalette.ColorRole.HighlightedText: c.accent_text,
        QPalette.ColorRole.ToolTipBase: c.surface,
        QPalette.ColorRole.ToolTipText: c.text,
        QPalette.ColorRole.PlaceholderText: c.muted,
        QPalette.ColorRole.Link: c.accent,
        QPalette.ColorRole.Mid: c.border,
    }
    for role, value in roles.items():
        p.setColor(role, QColor(value))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor(c.muted))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor(c.muted))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor(c.muted))
    return p


def mix(a: str | QColor, b: str | QColor, t: float) -> QColor:
    """a blended towards b by t (0..1): tints that work on both light and dark backgrounds."""
    ca, cb = QColor(a), QColor(b)
    return QColor(
        round(ca.red() + (cb.red() - ca.red()) * t),
        round(ca.green() + (cb.green() - ca.green()) * t),
        round(ca.blue() + (cb.blue() - ca.blue()) * t),
    )
