"""`import FILE` / `export FILE`: labeled utterances and answers in and out of the store.

Labels are checked against the store's label sets (Korean display names are accepted and mapped
to ids); a row with an unknown label is rejected with the reason, never half-imported.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .data.formats import AnswerRow, LabeledRow, Rejected, read_import, write_export
from .store import Store

BATCH = 2000  # rows per transaction: bounded memory on huge files


@dataclass
class ImportResult:
    utterances: int = 0
    answers: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)

    @property
    def accepted(self) -> int:
        return self.utterances + self.answers


def import_file(path: Path, store: Store | None = None) -> ImportResult:
    with _opened(store) as store:
        lookup = _label_lookup(store)
        result = ImportResult()
        pending: list[tuple[str, dict[str, str]]] = []
        source = f"import:{Path(path).name}"
        for row in read_import(Path(path), heads=list(lookup)):
            if isinstance(row, Rejected):
                _reject(result, row.line, row.reason)
            elif isinstance(row, AnswerRow):
                _import_answer(store, row, lookup, result)
            elif isinstance(row, LabeledRow):
                labels, problem = _map_labels(row.labels, lookup)
                if problem:
                    _reject(result, row.line, problem)
                    continue
                pending.append((row.text, labels))
                if len(pending) >= BATCH:
                    _flush(store, pending, source, result)
        _flush(store, pending, source, result)
        return result


def export_file(path: Path, store: Store | None = None) -> tuple[int, int]:
    with _opened(store) as store:
        utterances = [(m.text, dict(m.labels)) for m in store.labeled_messages()]
        utterances += [(e.text, dict(e.labels)) for e in store.examples()]
        answers = store.answers(enabled_only=True)
        # every label set gets a column: a head trained from a file (say "sentiment") has labels too
        write_export(Path(path), utterances, answers, heads=list(store.label_sets()))
        return len(utterances), len(answers)


def _opened(store: Store | None) -> contextlib.AbstractContextManager[Store]:
    """The caller's store as is, or the user's database opened (and closed) for this call."""
    return contextlib.nullcontext(store) if store is not None else Store.open(paths.database_path())


def _label_lookup(store: Store) -> dict[str, dict[str, str]]:
    """head -> {accepted spelling: label id}; ids and Korean display names both work."""
    lookup: dict[str, dict[str, str]] = {}
    for head, labels in store.label_sets().items():
        table = lookup.setdefault(head, {})
        for label_id, display in labels:
            table[label_id] = label_id
            table[label_id.lower()] = label_id
            if display:
                table[display] = label_id
    return lookup


def _map_labels(
    labels: dict[str, str], lookup: dict[str, dict[str, str]]
) -> tuple[dict[str, str], str | None]:
    mapped = {}
    for head, value in labels.items():
        table = lookup.get(head)
        if table is None:
            return {}, f"unknown label column {head!r}"
        label_id = table.get(value) or table.get(value.lower())
        if label_id is None:
            known = ", ".join(sorted({v for v in table.values()}))
            return {}, f"unknown {head} label {value!r} (known: {known})"
        mapped[head] = label_id
    return mapped, None


def _import_answer(
    store: Store, row: AnswerRow, lookup: dict[str, dict[str, str]], result: ImportResult
) -> None:
    wanted = {k: v for k, v in (("intent", row.intent), ("emotion", row.emotion)) if v}
    mapped, problem = _map_labels(wanted, lookup)
    if problem:
        _reject(result, row.line, problem)
        return
    existing = store.answers(intent=mapped.get("intent"), kind=row.kind, enabled_only=False)
    if any(a.text == row.text and a.emotion == mapped.get("emotion") for a in existing):
        result.duplicates += 1
        return
    store.add_answer(
        row.text, intent=mapped.get("intent"), emotion=mapped.get("emotion"), kind=row.kind, weight=row.weight
    )
    result.answers += 1


def _flush(
    store: Store, pending: list[tuple[str, dict[str, str]]], source: str, result: ImportResult
) -> None:
    if pending:
        added = store.add_examples(pending, source)
        result.utterances += added
        result.duplicates += len(pending) - added
        pending.clear()


def _reject(result: ImportResult, line: int, reason: str) -> None:
    if len(result.rejected) < 10_000:  # keep memory bounded on a file that is all bad
        result.rejected.append((line, reason))
