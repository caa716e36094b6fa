"""Label sets: for each head (intent, emotion, ...) the labels in the order the model's outputs use."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass

from kobert_chat.errors import InputError
from kobert_chat.labels import DEFAULT_HEADS

from .core import StoreCore, to_json

# Names a label set cannot have: the columns an export writes besides the heads (data/export.py), so
# every label set always has a column of its own and `export` never clashes.
RESERVED_HEADS = frozenset({"type", "text", "kind", "weight"})
_HEAD_NAME = re.compile(r"\w[\w-]{0,39}")


def check_head_name(head: object) -> str:
    """A label set's name: what import/export use as a column name, so it must read back the same
    (lower case, NFC, no spaces) and must not be one of the export's own columns."""
    if not isinstance(head, str) or not head:
        raise InputError("A label head needs a non-empty name.")
    if head.lower() in RESERVED_HEADS:
        raise InputError(
            f"'{head}' cannot name a label set: {', '.join(sorted(RESERVED_HEADS))} are the export's own "
            f"columns; choose another name (e.g. 'topic')."
        )
    if head != unicodedata.normalize("NFC", head).lower() or not _HEAD_NAME.fullmatch(head):
        raise InputError(
            f"'{head[:60]}' cannot name a label set: use 1-40 lower-case letters, digits, '_' or '-' "
            f"(e.g. 'topic')."
        )
    return head


@dataclass(frozen=True)
class LabelSetUse:
    """What uses one label set: how many labels it has, on how many messages and imported examples."""

    labels: int
    message_labels: int
    examples: int


@dataclass(frozen=True)
class LabelSetRemoval:
    labels: int  # labels of the set that are gone
    message_labels: int  # labels on chat messages that were deleted
    examples_changed: int  # imported examples that lost this head's label but kept others
    examples_deleted: int  # imported examples left with no label (or equal to another one), deleted


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
        check_head_name(head)
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

    def label_set_use(self, head: str) -> LabelSetUse:
        if head not in self.label_sets():
            raise InputError(f"There is no label set named '{head}'; see `labels list`.")
        return LabelSetUse(
            labels=self._scalar("SELECT count(*) FROM label_sets WHERE head = ?", [head]),
            message_labels=self._scalar("SELECT count(*) FROM message_labels WHERE head = ?", [head]),
            examples=len(self._examples_with(head)),
        )

    def _examples_with(self, head: str) -> list[dict]:
        """Examples with a label for `head` (a substring search narrows them, JSON decides)."""
        rows = self._rows(
            "SELECT id, text, labels FROM examples WHERE instr(labels, ?)",
            [json.dumps(head, ensure_ascii=False)],
        )
        return [row for row in rows if head in json.loads(row["labels"])]

    def remove_label_set(self, head: str) -> LabelSetRemoval:
        """Forget a label set and every label of it, in one transaction: the set itself, the labels on
        chat messages (the messages stay), and the head's label on imported examples (an example left
        with no label, or equal to another example once this label is gone, is deleted). The default
        heads cannot be removed. Model versions are not touched."""
        if head in DEFAULT_HEADS:
            raise InputError(f"The '{head}' label set is built in and cannot be removed.")
        with self.transaction():
            use = self.label_set_use(head)
            self._execute("DELETE FROM label_sets WHERE head = ?", [head])
            self._execute("DELETE FROM message_labels WHERE head = ?", [head])
            changed = deleted = 0
            for row in self._examples_with(head):
                labels = json.loads(row["labels"])
                labels.pop(head, None)
                new = to_json(labels, "Example labels", sort_keys=True)
                duplicate = self._row(
                    "SELECT 1 FROM examples WHERE text = ? AND labels = ? AND id != ?",
                    [row["text"], new, row["id"]],
                )
                if not labels or duplicate:
                    self._execute("DELETE FROM examples WHERE id = ?", [row["id"]])
                    deleted += 1
                else:
                    self._execute("UPDATE examples SET labels = ? WHERE id = ?", [new, row["id"]])
                    changed += 1
            return LabelSetRemoval(use.labels, use.message_labels, changed, deleted)
