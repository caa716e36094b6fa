"""The regression guard: every label the user gave is a test case for every retrain.

After a retrain, the old and the new model both predict every user-labeled text (the ones trained on
and the held-back exam part alike); a case "broke" when the old model was right and the new one is
wrong, and was "fixed" the other way round. The window lists both before Promote and asks twice when
the new model gets more of the user's own cases wrong; `train --json` reports the same lists.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .nlu.examples import Example

MAX_LISTED = 200  # per list; the counts are always complete


@dataclass(frozen=True)
class Flip:
    ref: str  # "message:<id>" or "example:<id>"
    text: str
    head: str
    label: str  # what the user said
    old: str  # what the old model said
    new: str  # what the new model says
    exam: bool  # held back from training (so the new model never saw this label)

    @property
    def message_id(self) -> int | None:
        kind, _, value = self.ref.partition(":")
        return int(value) if kind == "message" and value.isdigit() else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "text": self.text,
            "head": self.head,
            "label": self.label,
            "old": self.old,
            "new": self.new,
            "exam": self.exam,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Flip:
        ref, text, head, label, old, new = (
            str(raw[k]) for k in ("ref", "text", "head", "label", "old", "new")
        )
        return cls(ref, text, head, label, old, new, bool(raw.get("exam")))


@dataclass(frozen=True)
class Regressions:
    cases: int  # user labels checked (one per labeled head)
    old_wrong: int
    new_wrong: int
    broke: list[Flip]  # right -> wrong
    fixed: list[Flip]  # wrong -> right

    @property
    def worse(self) -> bool:
        """The new model gets more of the user's own cases wrong: Promote asks twice."""
        return self.new_wrong > self.old_wrong

    def to_dict(self) -> dict[str, Any]:
        return {
            "cases": self.cases,
            "old_wrong": self.old_wrong,
            "new_wrong": self.new_wrong,
            "broke": [f.to_dict() for f in self.broke],
            "fixed": [f.to_dict() for f in self.fixed],
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Regressions:
        return cls(
            int(raw["cases"]),
            int(raw["old_wrong"]),
            int(raw["new_wrong"]),
            [Flip.from_dict(f) for f in raw.get("broke") or []],
            [Flip.from_dict(f) for f in raw.get("fixed") or []],
        )


def compare_predictions(
    cases: Sequence[Example],
    old: Sequence[Mapping[str, str]],
    new: Sequence[Mapping[str, str]],
    exam_refs: Collection[str] = frozenset(),
) -> Regressions:
    """`old[i]` / `new[i]`: each model's label per head for cases[i] (a head a model lacks: missing);
    `exam_refs`: the refs of the cases held back from training."""
    checked = old_wrong = new_wrong = 0
    broke: list[Flip] = []
    fixed: list[Flip] = []
    for ex, before, after in zip(cases, old, new, strict=True):
        for head, label in ex.labels.items():
            if head not in after:
                continue
            checked += 1
            was, now = before.get(head), after[head]
            old_wrong += was != label
            new_wrong += now != label
            if was == now:
                continue
            flip = Flip(ex.ref, ex.text, head, label, was or "", now, ex.ref in exam_refs)
            if was == label and len(broke) < MAX_LISTED:
                broke.append(flip)
            elif now == label and len(fixed) < MAX_LISTED:
                fixed.append(flip)
    return Regressions(checked, old_wrong, new_wrong, broke, fixed)
