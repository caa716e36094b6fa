"""The end of a training run: the current and the new model side by side, and the new model's
confusion matrix, so the user can decide whether to promote it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kobert_chat import progress
from kobert_chat.labels import HEAD_DISPLAY

from .charts import ConfusionMatrixChart

METRICS = (("macro_f1", "macro-F1"), ("accuracy", "정확도"))
BETTER, WORSE = "#1f9d55", "#d64545"
HEAD_ORDER = ("intent", "emotion")
SAME_WITHIN = 0.005  # mean macro-F1 differences below this are validation noise


def ordered_heads(metrics: dict) -> list[str]:
    """Intent first, then emotion, then any head the user added: the order used everywhere in the app."""
    return sorted(metrics, key=lambda h: (HEAD_ORDER.index(h) if h in HEAD_ORDER else len(HEAD_ORDER), h))


def metric_rows(current: dict | None, new: dict) -> list[tuple[str, float | None, float | None]]:
    """[(row title, current value or None, new value or None)] for every head the new model has."""
    rows = []
    for head in ordered_heads(new):
        for key, name in METRICS:
            old = (current or {}).get(head, {}).get(key)
            rows.append((f"{HEAD_DISPLAY.get(head, head)} {name}", old, new[head].get(key)))
    return rows


class TrainingResultView(QWidget):
    def __init__(self, label_names: dict[str, dict[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label_names = label_names
        self.metrics: dict = {}
        self.headline = QLabel("")
        self.headline.setObjectName("DialogHeadline")
        self.verdict = QLabel("")
        self.verdict.setWordWrap(True)
        self.verdict.setFixedWidth(380)
        self.table = QTableWidget(0, 3)
        self.table.setObjectName("MetricsTable")
        self.table.setHorizontalHeaderLabels(["지금 모델", "새 모델", "차이"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setFixedWidth(380)
        self.table.verticalHeader().setDefaultSectionSize(34)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.matrix = ConfusionMatrixChart()
        self.head_buttons = QButtonGroup(self)
        self.head_row = QHBoxLayout()
        self.head_row.setSpacing(4)
        self.head_buttons.idClicked.connect(self._show_head)
        matrix_title = QLabel("새 모델의 혼동 행렬 (검증 세트)")
        matrix_title.setObjectName("SectionTitle")

        left = QVBoxLayout()
        title = QLabel("검증 세트 성능")
        title.setObjectName("SectionTitle")
        left.addWidget(title)
        left.addWidget(self.table)
        left.addWidget(self.verdict)
        left.addStretch(1)
        right = QVBoxLayout()
        top = QHBoxLayout()
        top.addWidget(matrix_title)
        top.addStretch(1)
        top.addLayout(self.head_row)
        right.addLayout(top)
        right.addWidget(self.matrix, 1)
        body = QHBoxLayout()
        body.addLayout(left)
        body.addSpacing(12)
        body.addLayout(right, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.headline)
        layout.addSpacing(10)
        layout.addLayout(body, 1)

    def show_result(self, done: progress.Done) -> None:
        self.metrics = done.metrics or {}
        current = done.current_metrics
        self.headline.setText(f"새 모델 {done.version or ''} 학습이 끝났어요")
        rows = metric_rows(current, self.metrics)
        self.table.setRowCount(len(rows))
        self.table.setVerticalHeaderLabels([r[0] for r in rows])
        for i, (_name, old, new) in enumerate(rows):
            cells = [self._number(old), self._number(new)]
            delta = QTableWidgetItem("—")
            if old is not None and new is not None:
                diff = new - old
                delta.setText(f"{diff:+.3f}")
                if abs(diff) >= 0.001:
                    delta.setForeground(QColor(BETTER if diff > 0 else WORSE))
            for j, item in enumerate([*cells, delta]):
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(i, j, item)
        self.verdict.setText(self._verdict(current))
        header_h = self.table.horizontalHeader().sizeHint().height()
        self.table.setFixedHeight(header_h + sum(self.table.rowHeight(r) for r in range(len(rows))) + 4)
        for button in self.head_buttons.buttons():
            self.head_buttons.removeButton(button)
            button.deleteLater()
        for i, head in enumerate(ordered_heads(self.metrics)):
            button = QPushButton(HEAD_DISPLAY.get(head, head))
            button.setObjectName("SegmentButton")
            button.setCheckable(True)
            button.setChecked(i == 0)
            self.head_buttons.addButton(button, i)
            self.head_row.addWidget(button)
        self._show_head(0)

    def _verdict(self, current: dict | None) -> str:
        if not current:
            return "비교할 지금 모델의 점수가 없어요. 새 모델의 점수만 보고 결정해 주세요."
        shared = [h for h in self.metrics if h in current]
        if not shared:
            return ""
        gain = sum(self.metrics[h]["macro_f1"] - current[h]["macro_f1"] for h in shared) / len(shared)
        if gain > SAME_WITHIN:
            return f"새 모델이 평균 macro-F1 기준 {gain * 100:.1f}%p 더 좋아요. 승격을 권해요."
        if gain < -SAME_WITHIN:
            return f"새 모델이 평균 macro-F1 기준 {-gain * 100:.1f}%p 낮아요. 버리는 편이 나을 수 있어요."
        return "두 모델의 성능이 거의 같아요."

    def _show_head(self, position: int) -> None:
        heads = ordered_heads(self.metrics)
        if not 0 <= position < len(heads):
            self.matrix.set_matrix([], [])
            return
        report = self.metrics[heads[position]]
        names = self.label_names.get(heads[position], {})
        labels = [names.get(label, label) for label in report.get("labels", [])]
        self.matrix.set_matrix(labels, report.get("confusion", []))

    @staticmethod
    def _number(value: float | None) -> QTableWidgetItem:
        return QTableWidgetItem("—" if value is None else f"{value:.3f}")
