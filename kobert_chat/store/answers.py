"""Answers: the bot's replies. Plain data the user can edit at any time; no retraining involved."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from kobert_chat.errors import InputError

from .core import check_text
from .label_sets import LabelSetsMixin
from .records import Answer

ANSWER_KINDS = ("answer", "fallback", "crisis")
MAX_ANSWER_WEIGHT = 1000.0  # a weight is a relative chance; beyond this one answer would drown every other
_UNCHANGED: Any = ...  # update_answer(intent=None) clears; leaving it out keeps the old value


def _answer(row: dict[str, Any]) -> Answer:
    return Answer(
        id=row["id"],
        kind=row["kind"],
        intent=row["intent"],
        emotion=row["emotion"],
        text=row["text"],
        weight=row["weight"],
        enabled=bool(row["enabled"]),
    )


class AnswersMixin(LabelSetsMixin):
    def _answer_values(
        self, text: str, intent: str | None, emotion: str | None, kind: str, weight: Any
    ) -> dict[str, Any]:
        """Checked column values; empty strings (as CSV files give them) mean 'none'."""
        text = check_text(text, "An answer")
        if not text.strip():
            raise InputError("An answer needs some text.")
        if kind not in ANSWER_KINDS:
            raise InputError(f"Answer kind must be one of {', '.join(ANSWER_KINDS)}, not '{kind}'.")
        intent = intent or None
        emotion = emotion or None
        if kind == "answer" and intent is None:
            raise InputError("An answer of kind 'answer' needs an intent.")
        if intent is not None:
            self._check_label("intent", intent)
        if emotion is not None:
            self._check_label("emotion", emotion)
        try:
            weight = 1.0 if weight in (None, "") else float(weight)
        except (TypeError, ValueError, OverflowError) as exc:
            raise InputError(f"Answer weight must be a number, not '{weight}'.") from exc
        if not (math.isfinite(weight) and 0 < weight <= MAX_ANSWER_WEIGHT):
            raise InputError(
                f"Answer weight must be a number above 0 and at most {MAX_ANSWER_WEIGHT:g}, not {weight:g}."
            )
        return {"kind": kind, "intent": intent, "emotion": emotion, "text": text, "weight": weight}

    def add_answer(
        self,
        text: str,
        intent: str | None = None,
        emotion: str | None = None,
        kind: str = "answer",
        weight: float = 1.0,
    ) -> int:
        values = self._answer_values(text, intent, emotion, kind, weight)
        with self.transaction():
            return self._insert("answers", {**values, "enabled": 1, "bundled": 0})

    def update_answer(
        self,
        answer_id: int,
        *,
        text: str | None = None,
        intent: str | None = _UNCHANGED,
        emotion: str | None = _UNCHANGED,
        weight: float | None = None,
        enabled: bool | None = None,
    ) -> Answer:
        with self.transaction():
            old = self.answer(answer_id)
            values = self._answer_values(
                old.text if text is None else text,
                old.intent if intent is _UNCHANGED else intent,
                old.emotion if emotion is _UNCHANGED else emotion,
                old.kind,
                old.weight if weight is None else weight,
            )
            values["enabled"] = int(old.enabled if enabled is None else bool(enabled))
            # Edited by the user, so a newer bundle will not overwrite it.
            values["bundled"] = 0
            self._db.table("answers").update(answer_id, values)
            return self.answer(answer_id)

    def delete_answer(self, answer_id: int) -> None:
        with self.transaction():
            self.answer(answer_id)
            self._execute("DELETE FROM answers WHERE id = ?", [answer_id])

    def answer(self, answer_id: int) -> Answer:
        row = self._row("SELECT * FROM answers WHERE id = ?", [answer_id])
        if row is None:
            raise InputError(f"There is no answer with id {answer_id}.")
        return _answer(row)

    def answers(
        self,
        *,
        intent: str | None = None,
        emotion: str | None = None,
        kind: str | None = None,
        enabled_only: bool = True,
    ) -> list[Answer]:
        """Answers matching every filter given (None = no filter on that column), oldest first."""
        where, params = [], []
        for column, value in (("intent", intent), ("emotion", emotion), ("kind", kind)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if enabled_only:
            where.append("enabled = 1")
        sql = "SELECT * FROM answers" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id"
        return [_answer(row) for row in self._rows(sql, params)]

    def answer_count(self) -> int:
        return self._scalar("SELECT count(*) FROM answers")

    def seed_answers(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Load the bundled answers into an empty table (first start). Returns how many were added."""
        with self.transaction():
            if self.answer_count():
                return 0
            return self._insert_bundled(rows, skip=set())

    def replace_bundled_answers(self, rows: Iterable[Mapping[str, Any]]) -> int:
        """Swap the bundled answers for a newer bundle; answers the user wrote or edited stay.

        rows: mappings with kind, intent, emotion, text and optional weight (answers.csv rows).
        A bundle row identical to one of the user's answers is skipped, so an answer the user
        disabled does not come back. Returns how many bundled answers are now present."""
        with self.transaction():
            self._execute("DELETE FROM answers WHERE bundled = 1")
            own = {
                (row["kind"], row["intent"], row["emotion"], row["text"])
                for row in self._rows("SELECT kind, intent, emotion, text FROM answers")
            }
            return self._insert_bundled(rows, skip=own)

    def _insert_bundled(self, rows: Iterable[Mapping[str, Any]], skip: set[tuple]) -> int:
        records = []
        for row in rows:
            values = self._answer_values(
                row.get("text", ""),
                row.get("intent"),
                row.get("emotion"),
                row.get("kind") or "answer",
                row.get("weight"),
            )
            key = (values["kind"], values["intent"], values["emotion"], values["text"])
            if key not in skip:
                records.append({**values, "enabled": 1, "bundled": 1})
        self._db.table("answers").insert_all(records)
        return len(records)
