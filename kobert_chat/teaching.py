"""The engine's teaching helpers that are not a chat turn: how much more labeling would bring (the
inbox outlook), and the label doctor over the data a retrain learns from, with its fixes.

ChatEngine wraps these (engine.inbox_outlook, engine.doctor, engine.apply_doctor_fix); they take the
store and registry so they can be tested and run from the CLI the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from .doctor import Case, Finding, examine, normalized
from .errors import InputError
from .registry import Registry
from .retrain_report import ENOUGH_CHANGE
from .store import Store
from .training_data import apply_doctor_decisions, bundled_examples, user_examples

FIXES = ("keep", "relabel", "remove")


@dataclass(frozen=True)
class Outlook:
    change: float | None  # share of inbox predictions the last retrain changed (None: not measured yet)
    previous: float | None  # the same for the retrain before it
    enough: bool  # two retrains in a row changed almost nothing: more labels bring little now
    message: str  # one plain Korean sentence for the inbox


def inbox_outlook(registry: Registry) -> Outlook:
    """From the active version and the one it came from: what more labels would bring."""
    active = registry.active()
    if active is None:
        return Outlook(None, None, False, "")
    change = active.metrics.get("inbox_change")
    parent = registry.store.model_version(active.parent) if active.parent else None
    previous = parent.metrics.get("inbox_change") if parent else None
    if change is None:
        return Outlook(
            None, None, False, "라벨을 달고 다시 학습하면, 더 달면 얼마나 나아질지 여기서 알려 드릴게요."
        )
    enough = change < ENOUGH_CHANGE and previous is not None and previous < ENOUGH_CHANGE
    if enough:
        text = "이제 충분해요: 최근 두 번의 학습에서 검토함 예측이 거의 바뀌지 않았어요."
    elif change < ENOUGH_CHANGE:
        text = f"지난 학습으로 검토함 예측이 {change:.0%}만 바뀌었어요. 거의 다 배웠어요."
    else:
        text = f"지난 학습으로 검토함 예측이 {change:.0%} 바뀌었어요. 라벨을 더 달면 아직 더 배워요."
    return Outlook(change, previous, enough, text)


def doctor_cases(store: Store) -> list[Case]:
    """What a retrain learns from (bundled lines, all of them, as the doctor's decisions left them; the
    user's labels override a bundled line with the same text) plus every user label."""
    decisions = store.doctor_decisions()
    user = user_examples(store)
    user_texts = {ex.text for ex in user}
    bundled = apply_doctor_decisions(bundled_examples("all"), decisions)
    cases = [Case("bundled", ex.text, dict(ex.labels)) for ex in bundled if ex.text not in user_texts]
    return cases + [Case(ex.ref, ex.text, dict(ex.labels)) for ex in user]


def run_doctor(store: Store, should_stop: Callable[[], bool] | None = None) -> list[Finding]:
    """Every finding the user has not already decided to keep."""
    heads = {h: [lab for lab, _ in labels] for h, labels in store.label_sets().items()}
    kept = {(d.head, d.text_key, d.label) for d in store.doctor_decisions() if d.action == "keep"}

    def check() -> None:
        if should_stop and should_stop():
            from .errors import TrainingCancelled

            raise TrainingCancelled("the label check was cancelled")

    findings = examine(doctor_cases(store), heads, before_each_fit=check)
    return [f for f in findings if (f.head, normalized(f.text), f.label) not in kept]


def apply_fix(store: Store, finding: Finding, action: str, new_label: str | None = None) -> None:
    """keep: never show this finding again; relabel: train with `new_label` (default: the suggestion);
    remove: drop this label from training. The user's own labels change in place; bundled lines
    (read-only files) through a recorded decision that training applies."""
    if action not in FIXES:
        raise InputError(f"a fix is one of {', '.join(FIXES)}, not {action!r}")
    label = new_label or finding.suggested
    if action == "relabel" and not label:
        raise InputError("relabel needs the new label")
    key = normalized(finding.text)
    kind, _, value = finding.ref.partition(":")
    with store.transaction():
        if action == "keep" or kind == "bundled":
            store.decide(finding.head, key, finding.label, action, label if action == "relabel" else None)
            return
        if kind == "message":
            message_id = int(value)
            if action == "relabel":
                store.set_label(message_id, finding.head, str(label), source="user")
            else:
                store.clear_label(message_id, finding.head)
        elif kind == "example":
            example = store.example(int(value))
            labels = dict(example.labels)
            if action == "relabel":
                known = {lab for lab, _ in store.label_sets().get(finding.head, [])}
                if label not in known:
                    raise InputError(f"unknown {finding.head} label {label!r}")
                labels[finding.head] = str(label)
            else:
                labels.pop(finding.head, None)
            store.set_example_labels(example.id, labels)
        else:
            raise InputError(f"cannot fix a finding about {finding.ref!r}")
