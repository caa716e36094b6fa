"""The answer editor's table as a Qt model: every save, toggle or delete changes one row, never the whole
table. (A QTableWidget refilled after each change, with columns sized to their contents, froze the app for
seconds with a few hundred answers.)

Rows are the answers the dialog's filters let through, in the store's order. The 사용 box is checkable:
ticking it shows the new state at once and asks the dialog (`toggled`) to store it; the dialog answers
with `upsert` (stored) or `revert` (refused).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication

from kobert_chat.store import Answer

from .answer_form import KINDS
from .fonts import renderable

COLUMNS = ("사용", "종류", "의도", "감정", "말투", "답변", "예시 문장", "비중")
ENABLED, KIND, INTENT, EMOTION, LEVEL, TEXT, EXAMPLES, WEIGHT = range(len(COLUMNS))
HEADER_TIPS = {
    ENABLED: "체크를 풀면 이 답변을 쓰지 않아요",
    KIND: "‘모를 때’는 챗봇이 잘 모르겠을 때, ‘위기 대응’은 위험한 말을 들었을 때 쓰는 답변이에요",
    LEVEL: "챗봇은 상대의 말투(존댓말/반말)에 맞는 답변을 먼저 골라요. ‘—’는 어느 쪽에나 어울리는 답변이에요",
    EXAMPLES: "이 문장과 비슷한 메시지에는 이 답변을 그대로 써요 (가져온 질문, 채팅에서 가르친 메시지)",
    WEIGHT: "같은 상황에 맞는 답변이 여럿이면 비중이 클수록 더 자주 골라요",
}
LEVEL_NAMES = {"polite": "존댓말", "casual": "반말"}
ORIGINS = {
    "bundled": "기본 답변",
    "user": "직접 추가",
    "import": "가져온 질문·답",
    "taught": "채팅에서 가르침",
}
Index = QModelIndex | QPersistentModelIndex
Role = Qt.ItemDataRole
# data() runs for every visible cell and every role on each repaint: roles we never answer leave first
ANSWERED = frozenset(
    int(r)
    for r in (
        Role.DisplayRole,
        Role.CheckStateRole,
        Role.ToolTipRole,
        Role.ForegroundRole,
        Role.TextAlignmentRole,
        Role.UserRole,
    )
)


class AnswersModel(QAbstractTableModel):
    toggled = Signal(int, bool)  # answer id, wanted 사용 state: the dialog stores it through the engine

    def __init__(self, label_names: dict[str, dict[str, str]], parent=None) -> None:
        super().__init__(parent)
        self.label_names = label_names
        self._all: list[Answer] = []
        self._order: dict[int, int] = {}  # answer id -> position in _all (store order)
        self._rows: list[Answer] = []  # the answers the filter lets through
        self._row_of: dict[int, int] = {}  # answer id -> row
        self._accept: Callable[[Answer], bool] = lambda _a: True
        self._wanted: dict[int, bool] = {}  # 사용 ticked but not yet stored: shown as ticked meanwhile
        self._texts: dict[int, tuple[str, ...]] = {}  # answer id -> its cells' text, made when first painted
        self._examples: dict[int, list[str]] = {}  # answer id -> its linked example sentences (when any)

    # -- whole-table changes (loading, filtering): rare, not on the save/toggle path ------------------
    def set_answers(self, answers: list[Answer], examples: dict[int, list[str]] | None = None) -> None:
        self.beginResetModel()
        self._examples = dict(examples or {})
        self._all = list(answers)
        self._order = {a.id: i for i, a in enumerate(self._all)}
        self._wanted.clear()
        self._texts.clear()
        self._refilter()
        self.endResetModel()

    def set_filter(self, accept: Callable[[Answer], bool]) -> None:
        self.beginResetModel()
        self._accept = accept
        self._refilter()
        self.endResetModel()

    def _refilter(self) -> None:
        self._rows = [a for a in self._all if self._accept(a)]
        self._reindex()

    def _reindex(self, start: int = 0) -> None:
        for row in range(start, len(self._rows)):
            self._row_of[self._rows[row].id] = row

    # -- one-answer changes -----------------------------------------------------------------------
    def upsert(self, answer: Answer, examples: list[str] | None = None) -> None:
        """A stored answer (new or changed): update, insert or drop its one row. `examples`: its linked
        sentences as stored now (None: unchanged)."""
        if examples is not None:
            self._examples[answer.id] = examples
        self._wanted.pop(answer.id, None)
        self._texts.pop(answer.id, None)
        position = self._order.get(answer.id)
        if position is None:
            self._order[answer.id] = len(self._all)
            self._all.append(answer)
        else:
            self._all[position] = answer
        row = self._row_of.get(answer.id)
        visible = self._accept(answer)
        if row is not None and visible:
            self._rows[row] = answer
            self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
        elif row is not None:
            self._remove_row(row)
        elif visible:
            row = bisect.bisect_left(self._rows, self._order[answer.id], key=lambda a: self._order[a.id])
            self.beginInsertRows(QModelIndex(), row, row)
            self._rows.insert(row, answer)
            self._reindex(row)
            self.endInsertRows()

    def remove(self, answer_id: int) -> None:
        """A deleted answer leaves the table (one row)."""
        position = self._order.pop(answer_id, None)
        if position is None:
            return
        del self._all[position]
        for i in range(position, len(self._all)):
            self._order[self._all[i].id] = i
        row = self._row_of.get(answer_id)
        if row is not None:
            self._remove_row(row)

    def revert(self, answer_id: int) -> None:
        """The 사용 change was refused: show the stored state again."""
        if self._wanted.pop(answer_id, None) is not None:
            row = self._row_of.get(answer_id)
            if row is not None:
                self.dataChanged.emit(self.index(row, ENABLED), self.index(row, ENABLED))

    def _remove_row(self, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._row_of[self._rows[row].id]
        del self._rows[row]
        self._reindex(row)
        self.endRemoveRows()

    # -- reading ----------------------------------------------------------------------------------
    def answers(self) -> list[Answer]:
        return self._all

    def visible(self) -> list[Answer]:
        return list(self._rows)

    def answer_at(self, row: int) -> Answer | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, answer_id: int) -> int:
        return self._row_of.get(answer_id, -1)

    def examples(self, answer_id: int) -> list[str]:
        return self._examples.get(answer_id, [])

    def shown_enabled(self, answer: Answer) -> bool:
        return self._wanted.get(answer.id, answer.enabled)

    # -- Qt model API -----------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS.get(section)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return base | Qt.ItemFlag.ItemIsUserCheckable if index.column() == ENABLED else base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in ANSWERED:
            return None
        row, column = index.row(), index.column()
        answer = self._rows[row] if 0 <= row < len(self._rows) else None
        if answer is None:
            return None
        if role == Role.DisplayRole:
            texts = self._texts.get(answer.id)
            if texts is None:
                texts = self._texts[answer.id] = tuple(self._text(answer, c) for c in range(len(COLUMNS)))
            return texts[column]
        if role == Role.CheckStateRole:
            if column != ENABLED:
                return None
            return Qt.CheckState.Checked if self.shown_enabled(answer) else Qt.CheckState.Unchecked
        if role == Role.ForegroundRole:
            if self.shown_enabled(answer):
                return None
            return QApplication.palette().brush(QPalette.ColorRole.PlaceholderText)
        if role == Role.ToolTipRole:
            if column == TEXT:
                return answer.text
            if column == EXAMPLES and answer.links:
                shown = "\n".join(f"· {e}" for e in self.examples(answer.id)[:10])
                return f"{ORIGINS.get(answer.origin, answer.origin)} · 예시 문장 {answer.links}개\n{shown}".strip()
            return HEADER_TIPS.get(column)
        if role == Role.TextAlignmentRole:
            return (
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter) if column == WEIGHT else None
            )
        return answer.id  # UserRole

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        answer = self.answer_at(index.row()) if index.isValid() else None
        if answer is None or index.column() != ENABLED or role != Qt.ItemDataRole.CheckStateRole:
            return False
        wanted = Qt.CheckState(value) == Qt.CheckState.Checked
        if wanted == self.shown_enabled(answer):
            return True
        self._wanted[answer.id] = wanted
        self.dataChanged.emit(index, self.index(index.row(), len(COLUMNS) - 1))
        self.toggled.emit(answer.id, wanted)
        return True

    def _text(self, answer: Answer, column: int) -> str:
        if column == KIND:
            return KINDS.get(answer.kind, answer.kind)
        if column == INTENT:
            return (
                self.label_names.get("intent", {}).get(answer.intent, answer.intent) if answer.intent else "—"
            )
        if column == EMOTION:
            names = self.label_names.get("emotion", {})
            return names.get(answer.emotion, answer.emotion) if answer.emotion else "상관없음"
        if column == LEVEL:
            return LEVEL_NAMES.get(answer.level or "", "—")
        if column == TEXT:
            return renderable(" ".join(answer.text.split()))
        if column == EXAMPLES:
            if not answer.links:
                return ""
            examples = self.examples(answer.id)
            first = renderable(" ".join(examples[0].split())) if examples else f"{answer.links}개"
            more = f" 외 {answer.links - 1}개" if examples and answer.links > 1 else ""
            return f"“{first}”{more}" if examples else first
        if column == WEIGHT:
            return f"{answer.weight:g}"
        return ""
