"""Conversation titles: the default for a new conversation, and the title a first message gives it."""

from __future__ import annotations

DEFAULT_TITLE = "새 대화"
TITLE_LENGTH = 24


def title_from(text: str) -> str:
    """A conversation title from its first message: the first non-blank line, shortened."""
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    if not line:
        return DEFAULT_TITLE
    return line if len(line) <= TITLE_LENGTH else line[: TITLE_LENGTH - 1].rstrip() + "…"
