"""Examples: imported labeled utterances (training data), kept apart from chat messages."""

from __future__ import annotations

from typing import Any

from kobert_chat.errors import InputError

from .core import StoreCore, check_text, dedupe_key, from_json, to_json
from .records import Example


def _example(row: dict[str, Any]) -> Example:
    return Example(
        id=row["id"],
        text=row["text"],
        labels=from_json(row["labels"]),
        source=row["source"],
        added_at=row["added_at"],
    )


class ExamplesMixin(StoreCore):
    def add_examples(self, rows: list[tuple[str, dict[str, str]]], source: str) -> int:
        """Add (text, {head: label}) rows in one transaction, each text stored exactly as given. A row
        whose labels and text are already present (from any source, or earlier in `rows`) is skipped;
        texts are compared by dedupe_key (NFC, outer whitespace ignored). Returns rows added."""
        source = check_text(source, "An example source").strip()
        if not source:
            raise InputError("Examples need a source name (for example the file they came from).")
        records = []
        for text, labels in rows:
            text = check_text(text, "An example")
            if not text.strip():
                raise InputError("An example needs some text.")
            if not isinstance(labels, dict) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in labels.items()
            ):
                raise InputError(f"Labels of example '{text[:40]}' must map head names to label ids.")
            # Sorted keys: the same labels always give the same JSON text.
            records.append(
                {
                    "text": text,
                    "text_key": dedupe_key(text),
                    "labels": to_json(labels, "Example labels", sort_keys=True),
                }
            )
        with self.transaction():
            before = self.example_count()
            added_at = self._now()
            seen: set[tuple[str, str]] = set()
            fresh = []
            for record in records:
                pair = (record["text_key"], record["labels"])
                if pair in seen or self._row(
                    "SELECT 1 FROM examples WHERE text_key = ? AND labels = ?", list(pair)
                ):
                    continue
                seen.add(pair)
                fresh.append({**record, "source": source, "added_at": added_at})
            self._db.table("examples").insert_all(fresh, ignore=True)
            return self.example_count() - before

    def examples(self, source: str | None = None) -> list[Example]:
        """In the order they were added."""
        if source is None:
            rows = self._rows("SELECT * FROM examples ORDER BY id")
        else:
            rows = self._rows("SELECT * FROM examples WHERE source = ? ORDER BY id", [source])
        return [_example(row) for row in rows]

    def example(self, example_id: int) -> Example:
        row = self._row("SELECT * FROM examples WHERE id = ?", [example_id])
        if row is None:
            raise InputError(f"There is no imported example with id {example_id}.")
        return _example(row)

    def set_example_labels(self, example_id: int, labels: dict[str, str]) -> Example | None:
        """Replace an example's labels; with no label left the example is deleted (None)."""
        with self.transaction():
            self.example(example_id)
            if not labels:
                self._execute("DELETE FROM examples WHERE id = ?", [example_id])
                return None
            self._execute(
                "UPDATE examples SET labels = ? WHERE id = ?",
                [to_json(labels, "Example labels", sort_keys=True), example_id],
            )
            return self.example(example_id)

    def example_count(self, source: str | None = None) -> int:
        if source is None:
            return self._scalar("SELECT count(*) FROM examples")
        return self._scalar("SELECT count(*) FROM examples WHERE source = ?", [source])

    def delete_examples(self, source: str | None = None) -> int:
        """Delete one source's examples, or all of them when source is None. Returns how many."""
        with self.transaction():
            if source is None:
                return self._execute("DELETE FROM examples").rowcount
            return self._execute("DELETE FROM examples WHERE source = ?", [source]).rowcount
