"""Conversations, their messages, and the labels users put on their own messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kobert_chat.errors import InputError
from kobert_chat.predictions import HeadPrediction, to_json_ready
from kobert_chat.titles import DEFAULT_TITLE

from .core import check_text, from_json, normalize_timestamp, to_json
from .label_sets import LabelSetsMixin
from .records import Conversation, Message

LABEL_SOURCES = ("user", "confirmed")  # corrected by the user | prediction marked right

_CONVERSATION_SELECT = (
    "SELECT c.*, (SELECT count(*) FROM messages AS m WHERE m.conversation_id = c.id) AS message_count, "
    "(SELECT substr(m.text, 1, 200) FROM messages AS m WHERE m.conversation_id = c.id ORDER BY m.id DESC "
    "LIMIT 1) AS preview "
    "FROM conversations AS c"
)
# One row per message, its labels folded into a JSON object: {head: [label, source, labeled_at]}.
_MESSAGE_SELECT = (
    "SELECT m.*, (SELECT json_group_object(l.head, json_array(l.label, l.source, l.labeled_at)) "
    "FROM message_labels AS l WHERE l.message_id = m.id) AS label_json FROM messages AS m"
)
_HAS_LABEL = "EXISTS (SELECT 1 FROM message_labels AS l WHERE l.message_id = m.id)"


def _conversation(row: dict[str, Any]) -> Conversation:
    return Conversation(
        id=row["id"],
        title=row["title"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        message_count=row["message_count"],
        preview=row["preview"] or "",
    )


def _message(row: dict[str, Any]) -> Message:
    labels = from_json(row["label_json"])
    return Message(
        id=row["id"],
        conversation_id=row["conversation_id"],
        role=row["role"],
        text=row["text"],
        created_at=row["created_at"],
        predictions=from_json(row["predictions"]),
        model_version=row["model_version"],
        labels={head: value[0] for head, value in labels.items()},
        label_sources={head: value[1] for head, value in labels.items()},
        labeled_at={head: value[2] for head, value in labels.items()},
        answer_id=row["answer_id"],
        details=from_json(row.get("details")),
    )


class ChatMixin(LabelSetsMixin):
    # -- conversations -----------------------------------------------------------------------
    def create_conversation(self, title: str = DEFAULT_TITLE) -> Conversation:
        title = self._check_title(title)
        with self.transaction():
            now = self._now()
            cid = self._insert("conversations", {"title": title, "created_at": now, "updated_at": now})
            return self.conversation(cid)

    def rename_conversation(self, cid: int, title: str) -> Conversation:
        title = self._check_title(title)
        with self.transaction():
            self.conversation(cid)
            self._execute("UPDATE conversations SET title = ? WHERE id = ?", [title, cid])
            return self.conversation(cid)

    def delete_conversation(self, cid: int) -> None:
        """Deletes its messages and their labels too (ON DELETE CASCADE)."""
        with self.transaction():
            self.conversation(cid)
            self._execute("DELETE FROM conversations WHERE id = ?", [cid])

    def conversation(self, cid: int) -> Conversation:
        row = self._row(_CONVERSATION_SELECT + " WHERE c.id = ?", [cid])
        if row is None:
            raise InputError(f"There is no conversation with id {cid}.")
        return _conversation(row)

    def conversations(self, search: str | None = None) -> list[Conversation]:
        """Newest activity first. `search`: case-insensitive substring of the title or any message."""
        order = " ORDER BY c.updated_at DESC, c.id DESC"
        if not search:
            return [_conversation(row) for row in self._rows(_CONVERSATION_SELECT + order)]
        # instr() on casefolded text (see StoreCore): no LIKE wildcards to escape.
        where = (
            " WHERE instr(fold(c.title), :needle) OR EXISTS (SELECT 1 FROM messages AS m "
            "WHERE m.conversation_id = c.id AND instr(fold(m.text), :needle))"
        )
        rows = self._rows(_CONVERSATION_SELECT + where + order, {"needle": search.casefold()})
        return [_conversation(row) for row in rows]

    @staticmethod
    def _check_title(title: str) -> str:
        title = check_text(title, "A conversation title").strip()
        if not title:
            raise InputError("A conversation title cannot be empty.")
        return title

    # -- messages ----------------------------------------------------------------------------
    def log_turn(
        self,
        cid: int,
        user_text: str,
        predictions: Mapping[str, HeadPrediction | Mapping[str, Any]],
        model_version: str | None,
        bot_text: str,
        answer_id: int | None,
        bot_details: Mapping[str, Any] | None = None,
    ) -> tuple[Message, Message]:
        """Store the user's message and the bot's reply together, or neither."""
        user_text = check_text(user_text, "A message")
        bot_text = check_text(bot_text, "A reply")
        if not isinstance(predictions, Mapping):
            raise InputError("Predictions must be a dict of head -> prediction.")
        try:
            stored = to_json_ready(predictions)  # the database boundary: typed predictions become JSON here
        except (TypeError, ValueError) as exc:
            raise InputError(f"Predictions must be head -> prediction: {exc}") from exc
        predictions_json = to_json(stored, "Predictions")
        with self.transaction():
            self.conversation(cid)
            if answer_id is not None and self._row("SELECT 1 FROM answers WHERE id = ?", [answer_id]) is None:
                raise InputError(f"There is no answer with id {answer_id}.")
            user_at, bot_at = self._now(), self._now()
            user_id = self._insert(
                "messages",
                {
                    "conversation_id": cid,
                    "role": "user",
                    "text": user_text,
                    "created_at": user_at,
                    "predictions": predictions_json,
                    "model_version": model_version,
                },
            )
            bot_id = self._insert(
                "messages",
                {
                    "conversation_id": cid,
                    "role": "bot",
                    "text": bot_text,
                    "created_at": bot_at,
                    "predictions": "{}",
                    "model_version": model_version,
                    "answer_id": answer_id,
                    "details": to_json(dict(bot_details or {}), "Reply details"),
                },
            )
            self._execute("UPDATE conversations SET updated_at = ? WHERE id = ?", [bot_at, cid])
            return self.message(user_id), self.message(bot_id)

    def log_bot_message(
        self, cid: int, text: str, answer_id: int | None, details: Mapping[str, Any] | None = None
    ) -> Message:
        """A bot message on its own (the answer after a clarifying question was answered)."""
        text = check_text(text, "A reply")
        with self.transaction():
            self.conversation(cid)
            now = self._now()
            mid = self._insert(
                "messages",
                {
                    "conversation_id": cid,
                    "role": "bot",
                    "text": text,
                    "created_at": now,
                    "predictions": "{}",
                    "answer_id": answer_id,
                    "details": to_json(dict(details or {}), "Reply details"),
                },
            )
            self._execute("UPDATE conversations SET updated_at = ? WHERE id = ?", [now, cid])
            return self.message(mid)

    def set_message_details(self, mid: int, details: Mapping[str, Any]) -> Message:
        with self.transaction():
            self.message(mid)
            self._execute(
                "UPDATE messages SET details = ? WHERE id = ?", [to_json(dict(details), "Reply details"), mid]
            )
            return self.message(mid)

    def previous_message(self, mid: int) -> Message | None:
        """The message just before `mid` in its conversation."""
        message = self.message(mid)
        row = self._row(
            _MESSAGE_SELECT + " WHERE m.conversation_id = ? AND m.id < ? ORDER BY m.id DESC LIMIT 1",
            [message.conversation_id, mid],
        )
        return _message(row) if row else None

    def message(self, mid: int) -> Message:
        row = self._row(_MESSAGE_SELECT + " WHERE m.id = ?", [mid])
        if row is None:
            raise InputError(f"There is no message with id {mid}.")
        return _message(row)

    def messages(self, cid: int, offset: int = 0, limit: int = 200) -> list[Message]:
        """A page of one conversation, oldest first (walks the (conversation_id, id) index)."""
        if offset < 0 or limit < 0:
            raise InputError("Paging needs a non-negative offset and limit.")
        rows = self._rows(
            _MESSAGE_SELECT + " WHERE m.conversation_id = ? ORDER BY m.id LIMIT ? OFFSET ?",
            [cid, limit, offset],
        )
        return [_message(row) for row in rows]

    def recent_messages(self, cid: int, limit: int, role: str | None = None) -> list[Message]:
        """The last `limit` messages of a conversation (only `role`'s, if given), newest first."""
        where = " AND m.role = ?" if role else ""
        rows = self._rows(
            _MESSAGE_SELECT + f" WHERE m.conversation_id = ?{where} ORDER BY m.id DESC LIMIT ?",
            [cid, role, limit] if role else [cid, limit],
        )
        return [_message(row) for row in rows]

    def message_count(self, cid: int) -> int:
        return self._scalar("SELECT count(*) FROM messages WHERE conversation_id = ?", [cid])

    # -- labels on messages ------------------------------------------------------------------
    def set_label(self, mid: int, head: str, label: str, source: str = "user") -> Message:
        if source not in LABEL_SOURCES:
            raise InputError(f"Label source must be one of {', '.join(LABEL_SOURCES)}, not '{source}'.")
        with self.transaction():
            if self.message(mid).role != "user":
                raise InputError("Only the user's own messages can be labeled.")
            self._check_label(head, label)
            self._execute(
                "INSERT INTO message_labels (message_id, head, label, source, labeled_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (message_id, head) DO UPDATE SET "
                "label = excluded.label, source = excluded.source, labeled_at = excluded.labeled_at",
                [mid, head, label, source, self._now()],
            )
            return self.message(mid)

    def clear_label(self, mid: int, head: str) -> Message:
        with self.transaction():
            self.message(mid)
            self._execute("DELETE FROM message_labels WHERE message_id = ? AND head = ?", [mid, head])
            return self.message(mid)

    def labeled_messages(self, since: str | None = None) -> list[Message]:
        """User messages with at least one label (set after `since`, if given), oldest first."""
        since = "" if since is None else normalize_timestamp(since)  # "" sorts before every timestamp
        rows = self._rows(
            _MESSAGE_SELECT + " WHERE m.role = 'user' AND EXISTS (SELECT 1 FROM message_labels AS l "
            "WHERE l.message_id = m.id AND l.labeled_at > ?) ORDER BY m.id",
            [since],
        )
        return [_message(row) for row in rows]

    def unlabeled_messages(self, limit: int = 100) -> list[Message]:
        """User messages nobody labeled yet, the model's least confident intent first
        (messages logged without a prediction count as least confident)."""
        rows = self._rows(
            _MESSAGE_SELECT + f" WHERE m.role = 'user' AND NOT {_HAS_LABEL} "
            "ORDER BY json_extract(m.predictions, '$.intent.confidence') ASC, m.id LIMIT ?",
            [limit],
        )
        return [_message(row) for row in rows]

    def labeled_message_count(self, since: str | None) -> int:
        """How many messages got a label (on any head) after `since` (all labeled messages when None)."""
        since = "" if since is None else normalize_timestamp(since)
        return self._scalar(
            "SELECT count(DISTINCT message_id) FROM message_labels WHERE labeled_at > ?", [since]
        )

    def labels_since(self, ts: str | None) -> int:
        """How many labels were set after `ts` (all of them when ts is None)."""
        if ts is None:
            return self._scalar("SELECT count(*) FROM message_labels")
        return self._scalar(
            "SELECT count(*) FROM message_labels WHERE labeled_at > ?", [normalize_timestamp(ts)]
        )
