"""What a retrain learns from: bundled data + the user's labels + imported examples.

Always the union, so a retrain never forgets what the starter knew. The user's own labels are
weighted up: a handful of corrections must be able to move a model trained on thousands of lines.
"""

from __future__ import annotations

from .data.bundled import Split, load_utterances
from .nlu.examples import Example
from .store import Store

USER_LABEL_WEIGHT = 3.0
IMPORTED_WEIGHT = 2.0


def bundled_examples(split: Split = "train") -> list[Example]:
    return [Example(u.text, {"intent": u.intent, "emotion": u.emotion}) for u in load_utterances(split)]


def user_examples(store: Store) -> list[Example]:
    examples = [
        Example(m.text, dict(m.labels), USER_LABEL_WEIGHT) for m in store.labeled_messages() if m.labels
    ]
    examples += [Example(e.text, dict(e.labels), IMPORTED_WEIGHT) for e in store.examples() if e.labels]
    return examples


def training_examples(store: Store) -> list[Example]:
    """Bundled training split plus user data; a user label overrides a bundled one for the same text."""
    user = user_examples(store)
    user_texts = {ex.text for ex in user}
    return [ex for ex in bundled_examples("train") if ex.text not in user_texts] + user
