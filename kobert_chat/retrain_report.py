"""What a retrain changed, measured the same way for every run (training_job.py calls `judge`):

- the exam: both models on texts no fit ever saw (training_data.py), and the verdict (exam.py);
- the regression guard: every user label, right -> wrong and wrong -> right (regressions.py);
- the inbox outlook: the share of unlabeled messages whose predicted label changed between the two
  models. It shrinks as more labels stop teaching the model anything new; "이제 충분해요" when small.

Each model predicts the union of those texts once; after a quick retrain both models share the frozen
encoder, so its features come from the run's EncoderMemo (nlu/encoder_memo.py), computed once for both.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from . import exam as exams
from .errors import KobertChatError
from .nlu.examples import Example
from .regressions import Regressions, compare_predictions

ENOUGH_CHANGE = 0.02  # under this share of changed inbox predictions, more labels bring little


@dataclass(frozen=True)
class Judgement:
    exam: exams.ExamReport
    regressions: Regressions | None  # None without an old model or without user labels
    inbox_change: float | None  # None without an old model or an inbox


def judge(
    new_model,
    new_tokenizer,
    old_folder: Path | None,
    exam: Sequence[Example],
    user_exam: Sequence[Example],
    user: Sequence[Example],
    inbox: Sequence[str],
    device,
    memo=None,
) -> Judgement:
    """`memo`: the quick retrain's EncoderMemo, made for the new model's frozen encoder (so the new
    model uses it as it is); the old model uses it only if it `serves` it (a hash of its encoder)."""
    texts = list(dict.fromkeys([ex.text for ex in exam] + [ex.text for ex in user] + list(inbox)))
    new_heads = new_model.heads_config.heads
    new = dict(
        zip(
            texts,
            predicted_labels(new_model, new_tokenizer, texts, device, memo, memo_is_its_own=True),
            strict=True,
        )
    )
    old, old_heads = None, None
    if old_folder is not None:
        from .nlu.model_io import load_model

        try:
            old_model, old_tokenizer = load_model(old_folder, device)
        except KobertChatError:
            old_model = None  # a damaged current model: nothing to compare with
        if old_model is not None:
            old_heads = old_model.heads_config.heads
            old = dict(
                zip(texts, predicted_labels(old_model, old_tokenizer, texts, device, memo), strict=True)
            )
            del old_model
    new_scores = exams.score(exam, [new[ex.text] for ex in exam], new_heads)
    old_scores = user_old = None
    if old is not None and old_heads is not None:
        old_scores = exams.score(exam, [old[ex.text] for ex in exam], old_heads)
        user_old = exams.score(user_exam, [old[ex.text] for ex in user_exam], old_heads)
    exam_report = exams.ExamReport(
        new=new_scores,
        old=old_scores,
        user_new=exams.score(user_exam, [new[ex.text] for ex in user_exam], new_heads),
        user_old=user_old,
        verdict=exams.decide(new_scores, old_scores),
    )
    regressions = None
    if old is not None and user:
        exam_refs = {ex.ref for ex in user_exam}
        regressions = compare_predictions(
            user, [old[ex.text] for ex in user], [new[ex.text] for ex in user], exam_refs
        )
    change = None
    if old is not None and inbox:
        shared = [h for h in new_heads if h in (old_heads or {})]
        changed = sum(any(old[t][h] != new[t][h] for h in shared) for t in inbox)
        change = changed / len(inbox)
    return Judgement(exam_report, regressions, change)


def predicted_labels(
    model, tokenizer, texts: Sequence[str], device, memo=None, memo_is_its_own: bool = False
) -> list[dict[str, str]]:
    """The model's label per head for each text (from `memo`'s features when it serves the model;
    `memo_is_its_own`: the caller made the memo for this model, so the encoder is not hashed again)."""
    from .nlu.inference import probabilities

    if not texts:
        return []
    if memo is not None and (memo_is_its_own or memo.serves(model, tokenizer)):
        probs = memo.probabilities(model, tokenizer, texts, device)
    else:
        probs = probabilities(model, tokenizer, texts, device)
    heads = model.heads_config.heads
    return [{h: heads[h][int(probs[h][i].argmax())] for h in heads} for i in range(len(texts))]
