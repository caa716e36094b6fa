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


# Pictographs (emoji) with their skin tones, variation selectors and joined sequences (👨‍👩‍👧 is one).
_PICTO = "[\U0001f000-\U0001faff\u2600-\u27bf\u2b50\u2b55\u2b1b\u2b1c\u3030\u303d]"
_MODS = "[\ufe0f\U0001f3fb-\U0001f3ff]*"
_FLAG = "[\U0001f1e6-\U0001f1ff]{2}"
_EMOJI = re.compile(f"{_FLAG}|{_PICTO}{_MODS}(?:\u200d{_PICTO}{_MODS})*|[\ufe0f\u200d]")
# When no font can draw emoji they are written as a word, so "😂👍" is still a message one can read
# (it used to become an empty bubble). Common chat emoji; any other one reads (이모티콘).
EMOJI_WORDS = {
    "😀": "웃음", "😃": "웃음", "😄": "웃음", "😁": "활짝 웃음", "😆": "웃음", "😂": "빵 터짐", "🤣": "빵 터짐",
    "😊": "미소", "☺": "미소", "🙂": "미소", "😍": "반함", "🥰": "사랑", "😘": "뽀뽀", "😉": "윙크",
    "😎": "멋짐", "🤔": "고민", "😐": "무표정", "😑": "무표정", "😅": "진땀", "🥲": "눈물 웃음",
    "😢": "눈물", "😭": "엉엉", "😞": "실망", "😔": "시무룩", "😡": "화남", "😠": "화남", "🤬": "화남",
    "😱": "깜짝", "😨": "무서움", "😰": "식은땀", "😳": "당황", "😴": "졸림", "🤗": "포옹", "🙏": "부탁",
    "👍": "최고", "👎": "별로", "👏": "박수", "🙌": "만세", "💪": "힘내", "✌": "브이", "👋": "손 인사",
    "❤": "하트", "♥": "하트", "💕": "하트", "💖": "하트", "💗": "하트", "💓": "하트", "💔": "상처",
    "🔥": "불꽃", "✨": "반짝", "🎉": "축하", "🎊": "축하", "🎂": "케이크", "🌸": "꽃", "☀": "해",
    "☔": "비", "⭐": "별", "🌟": "별", "💯": "백 점", "🐶": "강아지", "🐱": "고양이", "☕": "커피",
    "🍺": "건배", "🍻": "건배", "😋": "맛있음", "🤤": "군침", "🥺": "부탁", "😇": "천사", "😤": "씩씩",
}  # fmt: skip
_state: dict[str, bool] = {}


def emoji_supported() -> bool:
    """True if some installed font can draw emoji (most desktops; bare Linux servers often cannot)."""
    if "emoji" not in _state:
        wave = 0x1F44B
        _state["emoji"] = any(QFontMetrics(QFont(f)).inFontUcs4(wave) for f in QFontDatabase.families())
    return _state["emoji"]


def emoji_word(emoji: str) -> str:
    """(웃음) for 😀: the first pictograph of a sequence decides; flags read (국기)."""
    if re.fullmatch(_FLAG, emoji):
        return "(국기)"
    base = emoji.lstrip("\ufe0f\u200d")[:1]
    return f"({EMOJI_WORDS.get(base, '이모티콘')})" if base else ""


def renderable(text: str) -> str:
    """`text` for display: where no font can draw emoji, each becomes a word in brackets and a run of the
    same one is counted, "😂😂😂" -> "(빵 터짐 ×3)" (the stored text is unchanged)."""
    if emoji_supported() or not _EMOJI.search(text):
        return text
    parts: list[str] = []
    last, count, position = "", 0, 0

    def flush() -> None:
        if last:
            parts.append(last if count == 1 else f"{last[:-1]} ×{count})")

    for match in _EMOJI.finditer(text):
        between = text[position : match.start()]
        word = emoji_word(match.group())
        position = match.end()
        if not word:  # a stray joiner or variation selector
            flush()
            parts.append(between)
            last, count = "", 0
            continue
        if word == last and not between.strip():
            count += 1
            continue
        flush()
        parts.append(between)
        last, count = word, 1
    flush()
    parts.append(text[position:])
    return re.sub(r"[ \t]{2,}", " ", "".join(parts)).strip()
