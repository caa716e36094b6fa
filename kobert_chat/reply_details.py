"""How a reply came about, as stored in a bot message's `details` and read back for the badges.

Keys written by ChatEngine (a message from before they existed has none of them, and reads back as
path None):
    path        "linked" | "pool" | "clarify" | "fallback" | "crisis"
    reason      answer_choice.Choice.reason (finer than path: "matched", "intent", "no_answer", ...)
    level       the speech level the bot answered in ("polite" | "casual")
    user_level  the level detected in the user's message (None: it had none, e.g. only emoji)
    link        "linked": {"id", "answer_id", "example", "similarity", "source"}
    clarify     "clarify": {"options": [intent, intent], "chosen": intent | None}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .answer_choice import Choice


@dataclass(frozen=True)
class LinkMatch:
    """The linked example a reply's answer came from."""

    link_id: int
    answer_id: int
    example: str  # the example utterance the message was close to
    similarity: float  # 0-1 (1: the same text)
    source: str  # "taught" | "import:<file name>"


@dataclass(frozen=True)
class ReplyDetails:
    path: str | None
    reason: str | None
    level: str | None
    user_level: str | None
    link: LinkMatch | None

    @classmethod
    def of(cls, details: Mapping[str, Any]) -> ReplyDetails:
        link = details.get("link")
        return cls(
            path=details.get("path"),
            reason=details.get("reason"),
            level=details.get("level"),
            user_level=details.get("user_level"),
            link=LinkMatch(
                link_id=link["id"],
                answer_id=link["answer_id"],
                example=link["example"],
                similarity=float(link["similarity"]),
                source=link["source"],
            )
            if isinstance(link, Mapping)
            else None,
        )


def details_for(choice: Choice, level: str | None, user_level: str | None) -> dict[str, Any]:
    """What a bot message records about its choice (see the module docstring)."""
    details: dict[str, Any] = {
        "path": choice.path,
        "reason": choice.reason,
        "level": level,
        "user_level": user_level,
    }
    if choice.linked is not None:
        link = choice.linked.link
        details["link"] = {
            "id": link.id,
            "answer_id": link.answer_id,
            "example": link.text,
            "similarity": round(choice.linked.similarity, 4),
            "source": link.source,
        }
    return details
