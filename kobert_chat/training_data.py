"""What a retrain learns from, and what it is judged on.

Training is always the union of the bundled training split and the user's labels, so a retrain never
forgets what the starter knew; the user's own labels are weighted up, since a handful of corrections
must be able to move a model trained on thousands of lines.

The exam is what no fit ever sees (encoder, heads, TF-IDF expert, mix): the bundled test split plus a
fixed share of the user's labels chosen by a hash of the text, so a labeled message is exam or training
for good and never moves between runs. Old and new models are compared on it (training_job.py). A user
label on a text that is in the bundled test split stays in the exam too (with the user's label), so no
exam text is ever trained on, whatever the user types.
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass

from .data.bundled import Split, is_test_text, load_utterances
from .nlu.examples import Example
from .store import Store

USER_LABEL_WEIGHT = 3.0
IMPORTED_WEIGHT = 2.0
EXAM_PERCENT = 20  # share of the user's labels held back as their own exam


def is_user_exam_text(text: str) -> bool:
    """True if a user-labeled text belongs to the user's exam. Salted, so it is independent of the
    bundled split's rule; surrogatepass, so any stored text hashes."""
    digest = hashlib.sha1(b"kobert-chat exam\x00" + text.encode("utf-8", "surrogatepass")).hexdigest()
    return int(digest, 16) % 100 < EXAM_PERCENT


def bundled_examples(split: Split = "train") -> list[Example]:
    return [
        Example(u.text, {"intent": u.intent, "emotion": u.emotion}, ref=f"bundled:{split}")
        for u in load_utterances(split)
    ]


def user_examples(store: Store) -> list[Example]:
    """Every label the user gave: labeled chat messages, then imported examples."""
    examples = [
        Example(m.text, dict(m.labels), USER_LABEL_WEIGHT, ref=f"message:{m.id}")
        for m in store.labeled_messages()
        if m.labels
    ]
    examples += [
        Example(e.text, dict(e.labels), IMPORTED_WEIGHT, ref=f"example:{e.id}")
        for e in store.examples()
        if e.labels
    ]
    return examples


@dataclass(frozen=True)
class TrainingData:
    train: list[Example]  # what fits see
    exam: list[Example]  # what no fit sees: bundled test split (user labels override) + the user's exam
    user: list[Example]  # every user label (training and exam part): the regression guard's cases
    user_exam: list[Example]  # the user's part of the exam


def apply_doctor_decisions(examples: list[Example], decisions: list) -> list[Example]:
    """Bundled lines as the label doctor's decisions left them: relabeled, or a head's label removed
    (a line with no label left is dropped). 'keep' changes nothing."""
    from .doctor import normalized

    wanted = {(d.head, d.text_key, d.label): d for d in decisions if d.action != "keep"}
    if not wanted:
        return examples
    out = []
    for ex in examples:
        labels = dict(ex.labels)
        key = normalized(ex.text)
        for head, label in ex.labels.items():
            decision = wanted.get((head, key, label))
            if decision is None:
                continue
            if decision.action == "relabel" and decision.new_label:
                labels[head] = decision.new_label
            else:
                del labels[head]
        if labels:
            out.append(Example(ex.text, labels, ex.weight, ex.ref) if labels != ex.labels else ex)
    return out


def training_data(store: Store) -> TrainingData:
    decisions = store.doctor_decisions()
    user = user_examples(store)
    user_keys = {_key(ex.text) for ex in user}
    held_back = [ex for ex in user if is_user_exam_text(_key(ex.text)) or is_test_text(_key(ex.text))]
    held_keys = {_key(ex.text) for ex in held_back}
    bundled_train = apply_doctor_decisions(bundled_examples("train"), decisions)
    bundled_test = apply_doctor_decisions(bundled_examples("test"), decisions)
    train = [ex for ex in bundled_train if _key(ex.text) not in user_keys]
    train += [ex for ex in user if _key(ex.text) not in held_keys]
    exam = [ex for ex in bundled_test if _key(ex.text) not in user_keys] + held_back
    return TrainingData(train, exam, user, held_back)


def _key(text: str) -> str:
    """The text as the model reads it (NFC; bundled texts are NFC): two spellings of one text are one text."""
    return unicodedata.normalize("NFC", text)


def training_examples(store: Store) -> list[Example]:
    """The training part only (see training_data)."""
    return training_data(store).train
