"""Answer links: example utterances tied to an answer (Q/A imports, answers taught in the chat).

A reply whose message is close enough to a linked example gets that example's answer
(kobert_chat/linked_answers.py). Every change to the table bumps `links_revision` (SQL triggers, so
cascades from a deleted answer and writes from other processes count too).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from kobert_chat.errors import InputError

from .core import check_text, dedupe_key
from .label_sets import LabelSetsMixin
from .records import AnswerLink

INTENT_FROM = ("label", "model")
_SELECT = "SELECT l.* FROM answer_links AS l"


@dataclass(frozen=True)
class NewLink:
    answer_id: int
    text: str
    intent: str
    intent_from: str  # "label" | "model"
    source: str
    model_version: str | None = None
    message_id: int | None = None


def _link(row: dict[str, Any]) -> AnswerLink:
    return AnswerLink(
        id=row["id"],
        answer_id=row["answer_id"],
        text=row["text"],
        intent=row["intent"],
        intent_from=row["intent_from"],
        model_version=row["model_version"],
        message_id=row["message_id"],
        source=row["source"],
        added_at=row["added_at"],
    )


class LinksMixin(LabelSetsMixin):
    def add_links(self, links: Iterable[NewLink]) -> list[int]:
        """Tie example utterances to answers, in one transaction; their ids."""
        with self.transaction():
            ids = []
            added_at = self._now()
            for link in links:
                text = check_text(link.text, "An example")
                if not text.strip():
                    raise InputError("A linked example needs some text.")
                if link.intent_from not in INTENT_FROM:
                    raise InputError(f"intent_from must be label or model, not {link.intent_from!r}.")
                self._check_label("intent", link.intent)
                if self._row("SELECT 1 FROM answers WHERE id = ?", [link.answer_id]) is None:
                    raise InputError(f"There is no answer with id {link.answer_id}.")
                ids.append(
                    self._insert(
                        "answer_links",
                        {
                            "answer_id": link.answer_id,
                            "text": text,
                            "text_key": dedupe_key(text),
                            "intent": link.intent,
                            "intent_from": link.intent_from,
                            "model_version": link.model_version,
                            "message_id": link.message_id,
                            "source": link.source,
                            "added_at": added_at,
                        },
                    )
                )
            return ids

    def links(self, *, intent: str | None = None, answer_id: int | None = None) -> list[AnswerLink]:
        """Links (of one intent or one answer, if given), oldest first."""
        where, params = [], []
        for column, value in (("intent", intent), ("answer_id", answer_id)):
            if value is not None:
                where.append(f"l.{column} = ?")
                params.append(value)
        sql = _SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY l.id"
        return [_link(row) for row in self._rows(sql, params)]

    def link(self, link_id: int) -> AnswerLink:
        row = self._row(_SELECT + " WHERE l.id = ?", [link_id])
        if row is None:
            raise InputError(f"There is no linked example with id {link_id}.")
        return _link(row)

    def link_exists(self, answer_id: int, text: str) -> bool:
        return (
            self._row(
                "SELECT 1 FROM answer_links WHERE answer_id = ? AND text_key = ?",
                [answer_id, dedupe_key(text)],
            )
            is not None
        )

    def delete_link(self, link_id: int) -> None:
        with self.transaction():
            self.link(link_id)
            self._execute("DELETE FROM answer_links WHERE id = ?", [link_id])

    def link_count(self) -> int:
        return self._scalar("SELECT count(*) FROM answer_links")

    def links_revision(self) -> int:
        """Changes whenever any link is added, changed or removed (see the module docstring)."""
        value = self._scalar("SELECT value FROM store_meta WHERE key = 'links_revision'")
        return int(value)

    def links_to_refile(self, model_version: str) -> list[AnswerLink]:
        """Links whose intent another model version predicted (they follow the model in use)."""
        rows = self._rows(
            _SELECT + " WHERE l.intent_from = 'model' AND (l.model_version IS NULL OR l.model_version != ?) "
            "ORDER BY l.id",
            [model_version],
        )
        return [_link(row) for row in rows]

    def refile_links(self, intents: Sequence[tuple[int, str]], model_version: str) -> int:
        """Set the predicted intent of links (link id, intent) as `model_version` predicts it."""
        with self.transaction():
            changed = 0
            for link_id, intent in intents:
                self._check_label("intent", intent)
                changed += self._execute(
                    "UPDATE answer_links SET intent = ?, model_version = ? WHERE id = ? AND intent_from = 'model'",
                    [intent, model_version, link_id],
                ).rowcount
            return changed

    def relabel_message_links(self, message_id: int, intent: str) -> int:
        """The user labeled a message answers were taught for: its links move to that intent."""
        with self.transaction():
            return self._execute(
                "UPDATE answer_links SET intent = ?, intent_from = 'label', model_version = NULL "
                "WHERE message_id = ? AND (intent != ? OR intent_from != 'label')",
                [intent, message_id, intent],
            ).rowcount
