"""A font with Hangul for the whole app: without one, Korean renders as boxes on bare Linux machines."""

from __future__ import annotations

import importlib.util
import logging
import re
from pathlib import Path

from PySide6.QtGui import QFont, QFontDatabase, QFontMetrics
from PySide6.QtWidgets import QApplication

log = logging.getLogger(__name__)
FONT_FILES = ("NanumGothic.ttf", "NanumGothicBold.ttf")
POINT_SIZE = 10


def bundled_font_dir() -> Path | None:
    """NanumGothic ships inside koreanize_matplotlib; find_spec finds it without importing it
    (importing would pull in matplotlib)."""
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "fonts"
    return folder if folder.is_dir() else None


def register_korean_font(app: QApplication) -> str | None:
    """Register NanumGothic (fallback: any installed font with Hangul) and make it the app font.

    Returns the family name used, or None if nothing with Hangul was found.
    """
    family = None
    folder = bundled_font_dir()
    for name in FONT_FILES:
        if folder is None or not (folder / name).is_file():
            continue
        font_id = QFontDatabase.addApplicationFont(str(folder / name))
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        family = family or (families[0] if families else None)
    if family is None:
        korean = QFontDatabase.families(QFontDatabase.WritingSystem.Korean)
        family = korean[0] if korean else None
    if family is None:
        log.warning("no font with Hangul found; Korean text may not render")
        return None
    font = QFont(family, POINT_SIZE)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    app.setFont(font)
    return family


# Pictographs (emoji) and their joiners/variation selectors: shown as boxes when no font has them.
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b50\u2b55\ufe0f\u200d]")
_state: dict[str, bool] = {}


def emoji_supported() -> bool:
    """True if some installed font can draw emoji (most desktops; bare Linux servers often cannot)."""
    if "emoji" not in _state:
        wave = 0x1F44B
        _state["emoji"] = any(QFontMetrics(QFont(f)).inFontUcs4(wave) for f in QFontDatabase.families())
    return _state["emoji"]


def renderable(text: str) -> str:
    """`text` for display: emoji dropped when nothing can draw them (the stored text is unchanged)."""
    if emoji_supported() or not _EMOJI.search(text):
        return text
    return re.sub(r"[ \t]{2,}", " ", _EMOJI.sub("", text)).strip()
