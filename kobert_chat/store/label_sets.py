"""Label sets: for each head (intent, emotion, ...) the labels in the order the model's outputs use."""

from __future__ import annotations

from kobert_chat.errors import InputError

from .core import StoreCore


class LabelSetsMixin(StoreCore):
    def label_sets(self) -> dict[str, list[tuple[str, str]]]:
        """head -> [(id, display)] in position order; heads in the order they were first added."""
        rows = self._rows(
            "SELECT head, label, display FROM label_sets AS l "
            "ORDER BY (SELECT min(rowid) FROM label_sets AS h WHERE h.head = l.head), position"
        )
        sets: dict[str, list[tuple[str, str]]] = {}
        for row in rows:
            sets.setdefault(row["head"], []).append((row["label"], row["display"]))
        return sets

    def ensure_labels(self, head: str, labels: list[tuple[str, str]]) -> int:
        """Append the labels the head lacks (after the existing ones, whose order never changes:
        a trained model's output positions depend on it). Returns how many were added."""
        if not head or not isinstance(head, str):
            raise InputError("A label head needs a non-empty name.")
        added = 0
        with self.transaction():
            known = {
                row["label"] for row in self._rows("SELECT label FROM label_sets WHERE head = ?", [head])
            }
            position = self._scalar(
                "SELECT coalesce(max(position) + 1, 0) FROM label_sets WHERE head = ?", [head]
            )
            for label, display in labels:
                if not label or not isinstance(label, str):
                    raise InputError(f"Labels of '{head}' need non-empty ids.")
                if label in known:
                    continue
                self._db.table("label_sets").insert(
                    {"head": head, "label": label, "display": display or label, "position": position}
                )
                known.add(label)
                position += 1
                added += 1
        return added

    def _check_label(self, head: str, label: str) -> None:
        if self._row("SELECT 1 FROM label_sets WHERE head = ? AND label = ?", [head, label]) is None:
            if self._row("SELECT 1 FROM label_sets WHERE head = ?", [head]) is None:
                raise InputError(f"There is no label head named '{head}'.")
            raise InputError(f"'{label}' is not a label of '{head}'.")
