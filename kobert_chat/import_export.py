"""`import FILE` / `export FILE`: labeled utterances and answers in and out of the store.

Labels are checked against the store's label sets (Korean display names are accepted and mapped
to ids); a row with an unknown label is rejected with the reason, never half-imported. A head the
home does not have yet (a column of an export, e.g. `topic` from another home's `train --data`) gets
its label set made from the values the file gives it. Texts are stored exactly as the file has them;
duplicates are found by store.core.dedupe_key. An import is one transaction: a file refused as a whole
(an unterminated quote, say) leaves nothing behind, whatever line the problem is on.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .data.formats import AnswerRow, LabeledRow, Rejected, read_import, write_export
from .errors import InputError
from .store import Store
from .store.core import dedupe_key
from .store.label_sets import check_head_name

BATCH = 2000  # rows per insert: bounded memory on huge files


@dataclass
class ImportResult:
    utterances: int = 0
    answers: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    new_heads: list[str] = field(default_factory=list)  # label sets this import created

    @property
    def accepted(self) -> int:
        return self.utterances + self.answers


def import_file(path: Path, store: Store | None = None) -> ImportResult:
    with _opened(store) as store, store.transaction():
        lookup = _label_lookup(store)
        known_heads = set(lookup)
        result = ImportResult()
        pending: list[tuple[str, dict[str, str]]] = []
        source = f"import:{Path(path).name}"
        for row in read_import(Path(path), heads=list(lookup)):
            if isinstance(row, Rejected):
                _reject(result, row.line, row.reason)
            elif isinstance(row, AnswerRow):
                _import_answer(store, row, lookup, result)
            elif isinstance(row, LabeledRow):
                problem = _new_heads(store, row.labels, known_heads, lookup, result)
                labels, problem = _map_labels(row.labels, lookup) if problem is None else ({}, problem)
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
        heads = list(dict.fromkeys([*store.label_sets(), *(h for _, labels in utterances for h in labels)]))
        write_export(Path(path), utterances, answers, heads=heads)
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


def _new_heads(
    store: Store,
    labels: dict[str, str],
    known: set[str],
    lookup: dict[str, dict[str, str]],
    result: ImportResult,
) -> str | None:
    """Grow the label sets of heads the home did not have before this import with this row's values
    (inside the import's transaction). Returns why the row cannot be used, or None."""
    for head, value in labels.items():
        if head in known:
            continue
        try:
            check_head_name(head)
        except InputError as e:
            return f"column {head!r} cannot become a label set: {e}"
        table = lookup.setdefault(head, {})
        if value not in table:
            store.ensure_labels(head, [(value, value)])
            table[value] = value
            if head not in result.new_heads:
                result.new_heads.append(head)
    return None


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
    key = dedupe_key(row.text)
    if any(dedupe_key(a.text) == key and a.emotion == mapped.get("emotion") for a in existing):
        result.duplicates += 1
        return
    try:
        store.add_answer(
            row.text,
            intent=mapped.get("intent"),
            emotion=mapped.get("emotion"),
            kind=row.kind,
            weight=row.weight,
        )
    except InputError as e:  # the store's own checks (the reader checked the same; kept as a guard)
        _reject(result, row.line, str(e))
        return
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
