"""The label doctor's decisions on lines that cannot be edited in place (the bundled data), and on
findings the user chose to keep: keyed by (head, the doctor's text key, the label the finding was on)."""

from __future__ import annotations

from dataclasses import dataclass

from kobert_chat.errors import InputError

from .core import check_text
from .label_sets import LabelSetsMixin

ACTIONS = ("keep", "relabel", "remove")


@dataclass(frozen=True)
class DoctorDecision:
    head: str
    text_key: str
    label: str
    action: str  # keep | relabel | remove
    new_label: str | None
    decided_at: str


class DoctorMixin(LabelSetsMixin):
    def decide(self, head: str, text_key: str, label: str, action: str, new_label: str | None = None) -> None:
        """Record (or replace) a decision; relabel needs a label the head knows."""
        if action not in ACTIONS:
            raise InputError(f"A doctor decision is one of {', '.join(ACTIONS)}, not '{action}'.")
        if action == "relabel":
            if not new_label:
                raise InputError("Relabel needs the new label.")
            self._check_label(head, new_label)
        text_key = check_text(text_key, "A text key")
        with self.transaction():
            self._execute(
                "INSERT INTO doctor_decisions (head, text_key, label, action, new_label, decided_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (head, text_key, label) DO UPDATE SET "
                "action = excluded.action, new_label = excluded.new_label, decided_at = excluded.decided_at",
                [head, text_key, label, action, new_label if action == "relabel" else None, self._now()],
            )

    def undecide(self, head: str, text_key: str, label: str) -> None:
        with self.transaction():
            self._execute(
                "DELETE FROM doctor_decisions WHERE head = ? AND text_key = ? AND label = ?",
                [head, text_key, label],
            )

    def doctor_decisions(self) -> list[DoctorDecision]:
        rows = self._rows("SELECT * FROM doctor_decisions ORDER BY decided_at, head")
        return [
            DoctorDecision(r["head"], r["text_key"], r["label"], r["action"], r["new_label"], r["decided_at"])
            for r in rows
        ]
