"""Frozen records the Store hands out. Callers never see rows or column names."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kobert_chat.predictions import HeadPrediction


@dataclass(frozen=True)
class Message:
    id: int
    conversation_id: int
    role: str  # "user" | "bot"
    text: str
    created_at: str
    # {"intent": {"label": ..., "confidence": ..., "top": [[label, p], ...]}, "emotion": {...}}; {} for bot messages
    predictions: dict[str, Any] = field(default_factory=dict)
    model_version: str | None = None
    labels: dict[str, str] = field(default_factory=dict)  # head -> label the user chose or confirmed
    label_sources: dict[str, str] = field(default_factory=dict)  # head -> "user" | "confirmed"
    labeled_at: dict[str, str] = field(default_factory=dict)  # head -> ISO timestamp
    answer_id: int | None = None  # bot messages: the answer that was shown
    # bot messages: how the reply came about, e.g. {"clarify": {"options": [...], "chosen": None}}
    details: dict[str, Any] = field(default_factory=dict)

    def prediction(self, head: str) -> HeadPrediction | None:
        """The stored prediction for `head`, typed (None if there is none)."""
        raw = self.predictions.get(head)
        return HeadPrediction.from_dict(raw) if isinstance(raw, dict) else None


@dataclass(frozen=True)
class Conversation:
    id: int
    title: str
    created_at: str
    updated_at: str
    message_count: int
    preview: str = ""  # the start of the last message, for the sidebar


@dataclass(frozen=True)
class Answer:
    id: int
    kind: str  # "answer" | "fallback" | "crisis"
    intent: str | None
    emotion: str | None  # None = fits any emotion
    text: str
    weight: float
    enabled: bool
    level: str | None = None  # "polite" | "casual"; None = no level (fits both)
    origin: str = "user"  # "bundled" | "user" | "import" (a Q/A file) | "taught" (from the chat)
    in_pool: bool = True  # chosen for its (intent, emotion); False = only through its linked examples
    links: int = 0  # example utterances tied to it (AnswerLink)


@dataclass(frozen=True)
class AnswerLink:
    """An example utterance tied to an answer: a question from a Q/A file, or a chat message the user
    taught an answer for. A message close enough to it gets that answer (linked_answers.py)."""

    id: int
    answer_id: int
    text: str
    intent: str  # filed under this intent
    intent_from: str  # "label" (the file or the user said so) | "model" (predicted by model_version)
    model_version: str | None
    message_id: int | None  # taught from this user message
    source: str  # "import:<file name>" | "taught"
    added_at: str


@dataclass(frozen=True)
class ModelVersion:
    id: str
    path: Path
    backbone: str
    parent: str | None
    created_at: str
    metrics: dict[str, Any]
    n_train: int
    params: dict[str, Any]
    active: bool


@dataclass(frozen=True)
class TrainingRun:
    id: int
    mode: str
    status: str  # "running" | "succeeded" | "failed" | "cancelled"
    started_at: str
    finished_at: str | None
    version_id: str | None
    params: dict[str, Any]
    error: str | None


@dataclass(frozen=True)
class Example:
    """An imported labeled utterance (training data), kept apart from chat messages."""

    id: int
    text: str
    labels: dict[str, str]
    source: str
    added_at: str
