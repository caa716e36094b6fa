"""The only code that knows table names or writes SQL. See database.Store."""

from .database import Store
from .migrations import MIGRATIONS, Migration
from .records import Answer, Conversation, Example, Message, ModelVersion, TrainingRun

__all__ = [
    "MIGRATIONS",
    "Answer",
    "Conversation",
    "Example",
    "Message",
    "Migration",
    "ModelVersion",
    "Store",
    "TrainingRun",
]
