"""Default label sets. Stable ids are English; Korean names are for display."""

from __future__ import annotations

EMOTIONS: list[tuple[str, str]] = [
    ("happiness", "행복"),
    ("surprise", "놀람"),
    ("neutral", "중립"),
    ("sadness", "슬픔"),
    ("anger", "분노"),
    ("fear", "공포"),
    ("disgust", "혐오"),
]

INTENTS: list[tuple[str, str]] = [
    ("greeting", "인사"),
    ("farewell", "작별"),
    ("thanks", "감사"),
    ("apology", "사과"),
    ("smalltalk", "일상"),
    ("love", "사랑/연애"),
    ("breakup", "이별"),
    ("worry", "고민상담"),
    ("praise", "칭찬"),
    ("complaint", "불만/비난"),
    ("about_bot", "챗봇 질문"),
    ("help", "사용법"),
]

DEFAULT_HEADS: dict[str, list[tuple[str, str]]] = {"intent": INTENTS, "emotion": EMOTIONS}
HEAD_DISPLAY = {"intent": "의도", "emotion": "감정"}
