"""The clarifying question: when the model hesitates between two intents, the bot asks which one it
is instead of guessing ("혹시 연애 얘기예요, 아니면 이별 얘기예요?"). The user's pick answers the
question and becomes the label of their message, as a correction would (ChatEngine.answer_clarification).
"""

from __future__ import annotations

from collections.abc import Sequence

from .speech_level import Level

# What each intent is "about", as a phrase that fits "혹시 ___ 얘기예요?"; a head the user added
# later falls back to its display name.
TOPICS = {
    "greeting": "인사",
    "farewell": "작별 인사",
    "thanks": "고맙다는",
    "apology": "사과하는",
    "smalltalk": "그냥 사는",
    "love": "연애",
    "breakup": "이별",
    "worry": "고민",
    "praise": "칭찬",
    "complaint": "불만",
    "about_bot": "저에 대한",
    "help": "사용법",
}
ABOUT_BOT_CASUAL = "나에 대한"


def topic(intent: str, display: str | None = None, level: Level = "polite") -> str:
    if intent == "about_bot" and level == "casual":
        return ABOUT_BOT_CASUAL
    return TOPICS.get(intent) or (display or intent)


def question(options: Sequence[str], displays: dict[str, str] | None = None, level: Level = "polite") -> str:
    """'혹시 X 얘기예요, 아니면 Y 얘기예요?' (반말: '혹시 X 얘기야, 아니면 Y 얘기야?')."""
    names = displays or {}
    a, b = (topic(o, names.get(o), level) for o in options[:2])
    if level == "casual":
        return f"혹시 {a} 얘기야, 아니면 {b} 얘기야?"
    return f"혹시 {a} 얘기예요, 아니면 {b} 얘기예요?"


def button_text(intent: str, displays: dict[str, str] | None = None, level: Level = "polite") -> str:
    """What the choice shows: the intent's display name ('사랑/연애'), as the badges do."""
    return (displays or {}).get(intent) or topic(intent, None, level)
