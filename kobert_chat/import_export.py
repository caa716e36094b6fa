"""`import FILE` / `export FILE`: labeled utterances and answers in and out of the store.

Labels are checked against the store's label sets (Korean display names are accepted and mapped
to ids); a row with an unknown label is rejected with the reason, never half-imported. A head the
home does not have yet (a column of an export, e.g. `topic` from another home's `train --data`) gets
its label set made from the values the file gives it. Texts are stored exactly as the file has them;
duplicates are found by store.core.dedupe_key. An import is one transaction: a file refused as a whole
(an unterminated quote, say) leaves nothing behind, whatever line the problem is on.

Question/answer pair files (Q,A[,label]; see data/rows.py QUESTION_COLUMNS) become linked answers: each
answer is stored once per intent (kind answer, origin "import", outside the (intent, emotion) pool)
and each question is tied to it as an example, filed under an intent: the label's, when the label
names an intent (id or display name, e.g. "greeting" or "인사"), else the one the current model
predicts for the question. The result says which file labels became which intent. Questions with a
label that names an intent also become labeled training examples.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import paths
from .data.formats import AnswerRow, LabeledRow, QARow, Rejected, read_import, write_export
from .errors import InputError
from .store import Store
from .store.answers import DETECT
from .store.core import dedupe_key
from .store.label_sets import check_head_name
from .store.links import NewLink

BATCH = 2000  # rows per insert: bounded memory on huge files
# texts -> (the intent the model predicts for each, the model version); loads the model when first called
IntentGuesser = Callable[[Sequence[str]], tuple[list[str], str | None]]


@dataclass
class ImportResult:
    utterances: int = 0
    answers: int = 0
    duplicates: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    new_heads: list[str] = field(default_factory=list)  # label sets this import created
    pairs: int = 0  # question/answer rows whose question is now a linked example
    pair_answers: int = 0  # answers those pairs added (an answer given for several questions counts once)
    pair_examples: int = 0  # questions with an intent label that also became training examples
    mapped_labels: dict[str, str] = field(default_factory=dict)  # file label -> the intent it names
    # file label ("" = none) -> how many of its pairs were filed under the intent the model predicted
    predicted_labels: Counter[str] = field(default_factory=Counter)
    predicted_intents: Counter[str] = field(
        default_factory=Counter
    )  # intent -> pairs filed there by the model
    model_version: str | None = None  # the model that predicted them

    @property
    def accepted(self) -> int:
        return self.utterances + self.answers + self.pairs


def import_file(
    path: Path, store: Store | None = None, guess_intents: IntentGuesser | None = None
) -> ImportResult:
    """`guess_intents`: how pairs whose label names no intent get one (the engine passes its model);
    without it such pairs are rejected with the reason."""
    with _opened(store) as store, store.transaction():
        lookup = _label_lookup(store)
        known_heads = set(lookup)
        result = ImportResult()
        pending: list[tuple[str, dict[str, str]]] = []
        source = f"import:{Path(path).name}"
        pairs = _Pairs(store, source, lookup.get("intent", {}), guess_intents, result)
        for row in read_import(Path(path), heads=list(lookup)):
            if isinstance(row, Rejected):
                _reject(result, row.line, row.reason)
            elif isinstance(row, QARow):
                pairs.add(row)
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
        pairs.flush()
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
            level=row.level or DETECT,
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


class _Pairs:
    """Question/answer rows, stored a batch at a time (the model guesses a batch's intents at once)."""

    def __init__(
        self,
        store: Store,
        source: str,
        intents: dict[str, str],
        guess: IntentGuesser | None,
        result: ImportResult,
    ):
        self.store, self.source, self.intents, self.guess, self.result = store, source, intents, guess, result
        self.pending: list[QARow] = []
        self.answer_ids: dict[tuple[str, str], int] | None = None  # (intent, answer key) -> answer id

    def add(self, row: QARow) -> None:
        self.pending.append(row)
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self) -> None:
        rows, self.pending = self.pending, []
        if not rows:
            return
        filed: list[tuple[QARow, str, str]] = []  # (row, intent, "label" | "model")
        unmapped = []
        for row in rows:
            intent = self._intent_of(row.label)
            if intent is not None:
                self.result.mapped_labels[row.label or ""] = intent
                filed.append((row, intent, "label"))
            else:
                unmapped.append(row)
        if unmapped and self.guess is None:
            for row in unmapped:
                what = f"label {row.label!r} names no intent" if row.label else "no intent label"
                _reject(self.result, row.line, f"{what}, and no model to predict one")
            unmapped = []
        if unmapped:
            assert self.guess is not None
            guessed, version = self.guess([row.question for row in unmapped])
            self.result.model_version = version
            for row, intent in zip(unmapped, guessed, strict=True):
                self.result.predicted_labels[row.label or ""] += 1
                self.result.predicted_intents[intent] += 1
                filed.append((row, intent, "model"))
        filed.sort(key=lambda item: item[0].line)
        links, examples = [], []
        seen: set[tuple[int, str]] = set()
        for row, intent, intent_from in filed:
            answer_id = self._answer_for(row, intent)
            if answer_id is None:
                continue
            pair = (answer_id, dedupe_key(row.question))
            if pair in seen or self.store.link_exists(answer_id, row.question):
                self.result.duplicates += 1
                continue
            seen.add(pair)
            version = self.result.model_version if intent_from == "model" else None
            links.append(NewLink(answer_id, row.question, intent, intent_from, self.source, version))
            if intent_from == "label":
                examples.append((row.question, {"intent": intent}))
        self.store.add_links(links)
        self.result.pairs += len(links)
        if examples:
            self.result.pair_examples += self.store.add_examples(examples, self.source)

    def _intent_of(self, label: str | None) -> str | None:
        if not label:
            return None
        return self.intents.get(label) or self.intents.get(label.lower())

    def _answer_for(self, row: QARow, intent: str) -> int | None:
        """The answer to link: one already stored with this text and intent, or a new one."""
        if self.answer_ids is None:
            self.answer_ids = {
                (a.intent, dedupe_key(a.text)): a.id
                for a in self.store.answers(kind="answer", enabled_only=False)
                if a.intent
            }
        key = (intent, dedupe_key(row.answer))
        if key in self.answer_ids:
            return self.answer_ids[key]
        try:
            answer_id = self.store.add_answer(
                row.answer, intent=intent, level=row.level or DETECT, origin="import", in_pool=False
            )
        except InputError as e:
            _reject(self.result, row.line, str(e))
            return None
        self.answer_ids[key] = answer_id
        self.result.pair_answers += 1
        return answer_id


def _reject(result: ImportResult, line: int, reason: str) -> None:
    if len(result.rejected) < 10_000:  # keep memory bounded on a file that is all bad
        result.rejected.append((line, reason))
