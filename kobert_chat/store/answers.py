"""Answers: the bot's replies. Plain data the user can edit at any time; no retraining involved."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from kobert_chat.errors import InputError
from kobert_chat.speech_level import level_of_answer

from .core import check_text
from .label_sets import LabelSetsMixin
from .meta import MetaMixin
from .records import Answer

ANSWER_KINDS = ("answer", "fallback", "crisis")
ANSWER_LEVELS = ("polite", "casual")
ANSWER_ORIGINS = ("bundled", "user", "import", "taught")
MAX_ANSWER_WEIGHT = 1000.0  # a weight is a relative chance; beyond this one answer would drown every other
DETECT = "detect"  # level=DETECT: tag the answer with the level its text is written in
_UNCHANGED: Any = ...  # update_answer(intent=None) clears; leaving it out keeps the old value
BUNDLE_KEY = "bundled_answers"  # store_meta: the fingerprint of the bundle the answers table holds
_SELECT = (
    "SELECT a.*, (SELECT count(*) FROM answer_links AS l WHERE l.answer_id = a.id) AS links FROM answers AS a"
)


def _answer(row: dict[str, Any]) -> Answer:
    return Answer(
        id=row["id"],
        kind=row["kind"],
        intent=row["intent"],
        emotion=row["emotion"],
        text=row["text"],
        weight=row["weight"],
        enabled=bool(row["enabled"]),
        level=row["level"],
        origin=row["origin"],
        in_pool=bool(row["in_pool"]),
        links=row["links"],
    )


def check_level(level: str | None, text: str) -> str | None:
    """An answer's level: polite, casual, None (none: fits both) or DETECT (from `text`)."""
    if level == DETECT:
        return level_of_answer(text)
    if level is None or level in ANSWER_LEVELS:
        return level
    raise InputError(f"Answer level must be one of {', '.join(ANSWER_LEVELS)} (or none), not '{level}'.")


class AnswersMixin(LabelSetsMixin, MetaMixin):
    def _answer_values(
        self,
        text: str,
        intent: str | None,
        emotion: str | None,
        kind: str,
        weight: Any,
        level: str | None = DETECT,
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
        return {
            "kind": kind,
            "intent": intent,
            "emotion": emotion,
            "text": text,
            "weight": weight,
            "level": check_level(level, text),
        }

    def add_answer(
        self,
        text: str,
        intent: str | None = None,
        emotion: str | None = None,
        kind: str = "answer",
        weight: float = 1.0,
        *,
        level: str | None = DETECT,
        origin: str = "user",
        in_pool: bool = True,
    ) -> int:
        """`level`: polite, casual, None (no level) or DETECT (from the text). `in_pool=False`: the
        answer is only given through its linked examples (Q/A imports, answers taught in the chat)."""
        values = self._answer_values(text, intent, emotion, kind, weight, level)
        if origin not in ANSWER_ORIGINS:
            raise InputError(f"Answer origin must be one of {', '.join(ANSWER_ORIGINS)}, not '{origin}'.")
        with self.transaction():
            return self._insert(
                "answers",
                {**values, "enabled": 1, "bundled": 0, "origin": origin, "in_pool": int(bool(in_pool))},
            )

    def update_answer(
        self,
        answer_id: int,
        *,
        text: str | None = None,
        intent: str | None = _UNCHANGED,
        emotion: str | None = _UNCHANGED,
        weight: float | None = None,
        enabled: bool | None = None,
        level: str | None = _UNCHANGED,
        in_pool: bool | None = None,
    ) -> Answer:
        """Change any of text, intent, emotion, weight, enabled, level, in_pool. New text without a
        level re-detects the level, unless the old level was set by hand (differs from its text's)."""
        with self.transaction():
            old = self.answer(answer_id)
            new_text = old.text if text is None else text
            if level is _UNCHANGED:
                hand_set = old.level != level_of_answer(old.text)
                level = old.level if new_text == old.text or hand_set else DETECT
            values = self._answer_values(
                new_text,
                old.intent if intent is _UNCHANGED else intent,
                old.emotion if emotion is _UNCHANGED else emotion,
                old.kind,
                old.weight if weight is None else weight,
                level,
            )
            values["enabled"] = int(old.enabled if enabled is None else bool(enabled))
            values["in_pool"] = int(old.in_pool if in_pool is None else bool(in_pool))
            # Edited by the user, so a newer bundle will not overwrite it.
            values["bundled"] = 0
            self._db.table("answers").update(answer_id, values)
            return self.answer(answer_id)

    def delete_answer(self, answer_id: int) -> None:
        """Its linked examples go with it (ON DELETE CASCADE)."""
        with self.transaction():
            self.answer(answer_id)
            self._execute("DELETE FROM answers WHERE id = ?", [answer_id])

    def answer(self, answer_id: int) -> Answer:
        row = self._row(_SELECT + " WHERE a.id = ?", [answer_id])
        if row is None:
            raise InputError(f"There is no answer with id {answer_id}.")
        return _answer(row)

    def answers(
        self,
        *,
        intent: str | None = None,
        emotion: str | None = None,
        kind: str | None = None,
        origin: str | None = None,
        enabled_only: bool = True,
    ) -> list[Answer]:
        """Answers matching every filter given (None = no filter on that column), oldest first."""
        where, params = [], []
        for column, value in (("intent", intent), ("emotion", emotion), ("kind", kind), ("origin", origin)):
            if value is not None:
                where.append(f"a.{column} = ?")
                params.append(value)
        if enabled_only:
            where.append("a.enabled = 1")
        sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY a.id"
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

        rows: mappings with kind, intent, emotion, text and optional weight and level (answers.csv rows).
        A bundled answer the new bundle still has keeps its id (so the bot messages that showed it keep
        pointing at it) and takes the bundle's weight and level; the others are deleted. A bundle row
        identical to one of the user's answers is skipped, so an answer the user disabled does not come
        back. Returns how many bundled answers are now present."""
        with self.transaction():
            bundled = {
                (row["kind"], row["intent"], row["emotion"], row["text"]): row["id"]
                for row in self._rows("SELECT id, kind, intent, emotion, text FROM answers WHERE bundled = 1")
            }
            own = {
                (row["kind"], row["intent"], row["emotion"], row["text"])
                for row in self._rows("SELECT kind, intent, emotion, text FROM answers WHERE bundled = 0")
            }
            fresh = []
            kept = 0
            for row in rows:
                values = self._bundle_values(row)
                key = (values["kind"], values["intent"], values["emotion"], values["text"])
                if key in bundled:
                    self._execute(
                        "UPDATE answers SET weight = ?, level = ? WHERE id = ?",
                        [values["weight"], values["level"], bundled.pop(key)],
                    )
                    kept += 1
                elif key not in own:
                    fresh.append(row)
                    own.add(key)  # a bundle listing a row twice adds it once
            for answer_id in bundled.values():
                self._execute("DELETE FROM answers WHERE id = ?", [answer_id])
            return kept + self._insert_bundled(fresh, skip=set())

    def sync_bundled_answers(self, rows: Iterable[Mapping[str, Any]], fingerprint: str) -> bool:
        """Bring the bundled answers up to the bundle with this fingerprint (seed an empty table, else
        replace_bundled_answers); nothing is written when they already are. True if anything changed."""
        with self.transaction():
            if self.meta(BUNDLE_KEY) == fingerprint:
                return False
            if self.answer_count():
                self.replace_bundled_answers(rows)
            else:
                self._insert_bundled(rows, skip=set())
            self.set_meta(BUNDLE_KEY, fingerprint)
            return True

    def bundle_fingerprint(self) -> str | None:
        return self.meta(BUNDLE_KEY)

    def _bundle_values(self, row: Mapping[str, Any]) -> dict[str, Any]:
        return self._answer_values(
            row.get("text", ""),
            row.get("intent"),
            row.get("emotion"),
            row.get("kind") or "answer",
            row.get("weight"),
            row.get("level") or DETECT,
        )

    def _insert_bundled(self, rows: Iterable[Mapping[str, Any]], skip: set[tuple]) -> int:
        records = []
        for row in rows:
            values = self._bundle_values(row)
            key = (values["kind"], values["intent"], values["emotion"], values["text"])
            if key not in skip:
                records.append({**values, "enabled": 1, "bundled": 1, "origin": "bundled", "in_pool": 1})
        self._db.table("answers").insert_all(records)
        return len(records)
