"""Training progress as typed events: what `train --progress jsonl` prints, one JSON object per line, and
what the window (ui/training_process.py) reads back. Both sides use these classes; nobody reads string
keys. Each line is `{"event": KIND, ...fields}`.

    stage      a named phase began (tokenizer, train, tfidf, evaluate, ...), with a Korean message
    data       a --data file was read: rows, rejected, head and its labels
    start      the training loop starts: mode, epochs, total steps, train/validation sizes
    step       an optimiser step (at most two a second): epoch, step, loss, eta
    epoch      an epoch ended: mean loss, validation scores per head
    download   bytes of a KoBERT file fetched so far
    done       the run finished (the JSON-lines stream's last line on success)
    error      a clear input/model problem ended the run
    cancelled  the run was stopped by the user
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from .exam import ExamReport
from .regressions import Regressions


@dataclass(frozen=True)
class Stage:
    kind: ClassVar[str] = "stage"
    stage: str
    message: str = ""


@dataclass(frozen=True)
class Data:
    kind: ClassVar[str] = "data"
    rows: int
    rejected: int
    head: str
    labels: list[str]
    message: str = ""


@dataclass(frozen=True)
class Start:
    kind: ClassVar[str] = "start"
    mode: str
    epochs: int
    total_steps: int
    n_train: int
    n_val: int


@dataclass(frozen=True)
class Step:
    kind: ClassVar[str] = "step"
    epoch: int
    step: int
    total_steps: int
    loss: float
    eta_s: float


@dataclass(frozen=True)
class Epoch:
    kind: ClassVar[str] = "epoch"
    epoch: int
    loss: float
    val: dict[str, dict[str, float]]  # head -> {"macro_f1": .., "accuracy": ..}
    eta_s: float


@dataclass(frozen=True)
class Download:
    kind: ClassVar[str] = "download"
    file: str
    done: int  # bytes
    total: int | None


@dataclass(frozen=True)
class Done:
    """The result of a run. Reports are evaluation.classification_report dicts, per head."""

    kind: ClassVar[str] = "done"
    metrics: dict[str, dict[str, Any]]  # the new model on its validation split (what early stopping saw)
    n_train: int
    n_val: int
    best_epoch: int
    version: str | None = None  # registered version id (None with --out)
    path: str | None = None
    activated: bool = False
    not_activated_reason: str | None = None
    exam: ExamReport | None = None  # both models on texts no fit saw, and the promote verdict
    regressions: Regressions | None = None  # the user's own labels: right -> wrong, wrong -> right
    inbox_change: float | None = None  # share of unlabeled messages whose prediction changed
    n_exam: int = 0


@dataclass(frozen=True)
class Error:
    kind: ClassVar[str] = "error"
    message: str


@dataclass(frozen=True)
class Cancelled:
    kind: ClassVar[str] = "cancelled"


Event = Stage | Data | Start | Step | Epoch | Download | Done | Error | Cancelled
Progress = Callable[[Event], None]
KINDS: dict[str, type] = {
    cls.kind: cls for cls in (Stage, Data, Start, Step, Epoch, Download, Done, Error, Cancelled)
}


def ignore(event: Event) -> None:
    """A Progress that drops every event."""


def to_dict(event: Event) -> dict[str, Any]:
    """`{"event": kind, ...fields}`; optional fields left unset (None) are omitted."""
    out: dict[str, Any] = {"event": event.kind}
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        if f.default is None and value is None:
            continue
        out[f.name] = value.to_dict() if hasattr(value, "to_dict") else value
    return out


def to_json(event: Event) -> str:
    return json.dumps(to_dict(event), ensure_ascii=False)


def from_dict(raw: dict[str, Any]) -> Event | None:
    """The event a JSON object describes; None for anything else (a library printing to stdout, a newer
    child's unknown kind). Unknown fields are ignored so an older window reads a newer child's lines."""
    kind = raw.get("event") if isinstance(raw, dict) else None
    cls = KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        return None
    names = {f.name for f in dataclasses.fields(cls)}
    values = {k: v for k, v in raw.items() if k in names}
    try:
        if cls is Done:  # nested reports travel as JSON objects
            if values.get("exam") is not None:
                values["exam"] = ExamReport.from_dict(values["exam"])
            if values.get("regressions") is not None:
                values["regressions"] = Regressions.from_dict(values["regressions"])
        return cls(**values)
    except (TypeError, KeyError, ValueError):  # a required field missing or malformed
        return None


def from_json(line: str) -> Event | None:
    try:
        return from_dict(json.loads(line))
    except ValueError:
        return None
