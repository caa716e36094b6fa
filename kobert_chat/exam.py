"""The fair comparison: old and new models scored on the same exam that neither was fit on.

The exam (training_data.py) is the bundled test split plus the user's held-back labels. Each head is
scored on the exam lines that carry a label for it; the user's own part is also scored alone, since
that is what the user taught. `decide` promotes when the new model is not worse on the exam.

Numbers are meant for people: `in_words` says "감정: 71% → 78% 맞힘"; macro-F1 (the mean over labels
of F1, so rare labels count as much as common ones) is the detail underneath.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .nlu.evaluation import classification_report
from .nlu.examples import Example

TOLERANCE = 0.005  # mean macro-F1 within this of the old model counts as "not worse" (exam noise)


@dataclass(frozen=True)
class HeadScore:
    n: int
    correct: int
    macro_f1: float
    per_label: dict[str, dict[str, float]]  # label -> {"precision", "recall", "f1", "support"}

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"n": self.n, "correct": self.correct, "macro_f1": self.macro_f1, "per_label": self.per_label}

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> HeadScore:
        return cls(
            int(raw["n"]), int(raw["correct"]), float(raw["macro_f1"]), dict(raw.get("per_label") or {})
        )


Scores = dict[str, HeadScore]  # head -> score


def score(
    examples: Sequence[Example], predicted: Sequence[Mapping[str, str]], labels: Mapping[str, Sequence[str]]
) -> Scores:
    """Per head, over the examples labeled for it: `predicted[i][head]` is the model's label for
    examples[i]; `labels[head]` the model's label ids (a true label it does not know counts wrong)."""
    out: Scores = {}
    for head, known in labels.items():
        rows = [i for i, ex in enumerate(examples) if head in ex.labels]
        if not rows:
            continue
        y_true = [examples[i].labels[head] for i in rows]
        y_pred = [predicted[i][head] for i in rows]
        report = classification_report(y_true, y_pred, list(known) + sorted(set(y_true) - set(known)))
        per_label = {lab: m for lab, m in report["per_label"].items() if m["support"] or lab in y_pred}
        correct = sum(t == p for t, p in zip(y_true, y_pred, strict=True))
        out[head] = HeadScore(len(rows), correct, report["macro_f1"], per_label)
    return out


def mean_macro_f1(scores: Scores, heads: Sequence[str] | None = None) -> float:
    chosen = [scores[h].macro_f1 for h in (heads if heads is not None else scores) if h in scores]
    return sum(chosen) / len(chosen) if chosen else 0.0


@dataclass(frozen=True)
class Verdict:
    promote: bool
    new_score: float  # mean macro-F1 over the shared heads, on the whole exam
    old_score: float | None  # None: nothing to compare with (no current model, or no shared head)
    reason: str  # one plain sentence


def decide(new: Scores, old: Scores | None, tolerance: float = TOLERANCE) -> Verdict:
    """Promote when the new model is not worse on the exam (mean macro-F1 over the heads both have)."""
    shared = [h for h in new if old and h in old]
    if not old or not shared:
        return Verdict(
            True, mean_macro_f1(new), None, "비교할 지금 모델 점수가 없어서 새 모델을 쓰기로 했어요."
        )
    new_score, old_score = mean_macro_f1(new, shared), mean_macro_f1(old, shared)
    if new_score >= old_score - tolerance:
        return Verdict(True, new_score, old_score, "시험 문장에서 새 모델이 지금 모델보다 못하지 않아요.")
    return Verdict(False, new_score, old_score, "시험 문장에서 새 모델이 지금 모델보다 덜 맞혀요.")


def in_words(head_name: str, new: HeadScore, old: HeadScore | None) -> str:
    """'감정: 71% → 78% 맞힘 (시험 문장 420개)', or '감정: 78% 맞힘' without an old score."""
    if old is None:
        return f"{head_name}: {new.accuracy:.0%} 맞힘 (시험 문장 {new.n:,}개)"
    return f"{head_name}: {old.accuracy:.0%} → {new.accuracy:.0%} 맞힘 (시험 문장 {new.n:,}개)"


@dataclass(frozen=True)
class ExamReport:
    """Both models on the exam (the whole exam, and the user's own part of it) and the verdict."""

    new: Scores
    old: Scores | None
    user_new: Scores
    user_old: Scores | None
    verdict: Verdict

    def to_dict(self) -> dict[str, Any]:
        def scores(s: Scores | None) -> dict[str, Any] | None:
            return None if s is None else {h: v.to_dict() for h, v in s.items()}

        v = self.verdict
        return {
            "new": scores(self.new),
            "old": scores(self.old),
            "user_new": scores(self.user_new),
            "user_old": scores(self.user_old),
            "verdict": {
                "promote": v.promote,
                "new_score": v.new_score,
                "old_score": v.old_score,
                "reason": v.reason,
            },
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ExamReport:
        def scores(s: Mapping[str, Any] | None) -> Scores | None:
            return None if s is None else {h: HeadScore.from_dict(v) for h, v in s.items()}

        v = raw["verdict"]
        verdict = Verdict(
            bool(v["promote"]), float(v["new_score"]), v.get("old_score"), str(v.get("reason", ""))
        )
        return cls(
            scores(raw["new"]) or {},
            scores(raw.get("old")),
            scores(raw.get("user_new")) or {},
            scores(raw.get("user_old")),
            verdict,
        )
