"""The only code that knows table names or writes SQL. See database.Store."""

from .database import Store
from .migrations import MIGRATIONS, Migration
from .records import Answer, AnswerLink, Conversation, Example, Message, ModelVersion, TrainingRun

__all__ = [
    "MIGRATIONS",
    "Answer",
    "AnswerLink",
    "Conversation",
    "Example",
    "Message",
    "Migration",
    "ModelVersion",
    "Store",
    "TrainingRun",
]
