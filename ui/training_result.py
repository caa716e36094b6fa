"""The end of a training run, said in words first: how many exam sentences each model got right, and
whether switching is worth it. The score table and the "which label was taken for which" chart are
behind 자세히, so the user can decide whether to promote without reading statistics.

The numbers come from the run's exam (kobert_chat/exam.py: texts no fit ever saw, both models scored
the same way), per head and per label ("감정: 71% → 78% 맞힘"); a run without one (an older child) falls
back to the new model's validation scores. Under them, the regression guard (kobert_chat/regressions.py):
the user's own labeled messages that the new model now gets wrong, and the ones it now gets right."""

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
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from kobert_chat import progress
from kobert_chat.exam import HeadScore, in_words
from kobert_chat.labels import HEAD_DISPLAY
from kobert_chat.regressions import Flip

from .charts import ConfusionMatrixChart
from .details import DetailsToggle
from .fonts import renderable

# (report key, row name): both are shown as points out of 100
METRICS = (("accuracy", "맞힌 비율"), ("macro_f1", "골고루 맞힌 점수"))
METRIC_TIPS = {
    "accuracy": "시험 문장 100개 중 몇 개를 맞혔는지예요.",
    "macro_f1": "의도(감정)마다 따로 잘 맞혔는지를 평균 낸 점수예요. 드문 것도 잘 맞혀야 높아요.",
}
BETTER, WORSE = "#1f9d55", "#d64545"
HEAD_ORDER = ("intent", "emotion")
SAME_WITHIN = 0.005  # mean score differences below this are noise on a few hundred check sentences


def ordered_heads(metrics: dict) -> list[str]:
    """Intent first, then emotion, then any head the user added: the order used everywhere in the app."""
    return sorted(metrics, key=lambda h: (HEAD_ORDER.index(h) if h in HEAD_ORDER else len(HEAD_ORDER), h))


def points(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}점"


def metric_rows(current: dict | None, new: dict) -> list[tuple[str, str, float | None, float | None]]:
    """[(row title, report key, current value or None, new value or None)] for every head of the new model."""
    rows = []
    for head in ordered_heads(new):
        for key, name in METRICS:
            old = (current or {}).get(head, {}).get(key)
            rows.append((f"{HEAD_DISPLAY.get(head, head)} {name}", key, old, new[head].get(key)))
    return rows


def scores(done: progress.Done) -> tuple[dict | None, dict, str]:
    """(current model's scores or None, the new model's, which sentences): per head
    {"accuracy", "macro_f1", "n", "correct"}, from the exam when the run has one."""

    def table(raw) -> dict:
        return {
            h: {"accuracy": v.accuracy, "macro_f1": v.macro_f1, "n": v.n, "correct": v.correct}
            for h, v in raw.items()
        }

    if done.exam is not None and done.exam.new:
        return (table(done.exam.old) if done.exam.old else None), table(done.exam.new), "시험 문장"
    new = {
        h: {**r, "correct": round(float(r.get("accuracy", 0.0)) * int(r.get("n") or 0))}
        for h, r in (done.metrics or {}).items()
    }
    return None, new, "확인용 문장"


def verdict(done: progress.Done, current: dict | None, new: dict) -> str:
    """Promote or not, in one or two sentences."""
    if done.exam is not None:
        v = done.exam.verdict
        if v.old_score is None:
            return v.reason
        if not v.promote:
            advice = "버리고 지금 모델을 쓰는 편이 나아요."
        elif v.new_score - v.old_score > SAME_WITHIN:
            advice = "새 모델로 바꾸는 걸 권해요."
        else:
            advice = "두 모델이 거의 같아서, 바꿔도 괜찮아요."
        return f"{v.reason} {advice}"
    if not current:
        return "비교할 지금 모델의 점수가 없어요. 새 모델의 결과만 보고 골라 주세요."
    shared = [h for h in new if h in current]
    gain = sum(new[h]["macro_f1"] - current[h]["macro_f1"] for h in shared) / max(1, len(shared))
    if gain > SAME_WITHIN:
        return "새 모델이 더 잘 맞혀요. 새 모델로 바꾸는 걸 권해요."
    if gain < -SAME_WITHIN:
        return "새 모델이 지금 모델보다 덜 맞혀요. 버리는 편이 나아요."
    return "두 모델이 거의 똑같이 맞혀요. 어느 쪽을 써도 괜찮아요."


def comparison_lines(current: dict | None, new: dict, what: str) -> list[str]:
    """'의도: 시험 문장 422개 중 지금 모델은 345개, 새 모델은 352개를 맞혔어요.'"""
    lines = []
    for head in ordered_heads(new):
        n, right = int(new[head].get("n") or 0), int(new[head].get("correct") or 0)
        name = HEAD_DISPLAY.get(head, head)
        old = (current or {}).get(head)
        if old is not None:
            lines.append(
                f"{name}: {what} {n:,}개 중 지금 모델은 {int(old['correct']):,}개, "
                f"새 모델은 {right:,}개를 맞혔어요."
            )
        else:
            lines.append(f"{name}: {what} {n:,}개 중 {right:,}개를 맞혔어요.")
    return lines


def head_lines(done: progress.Done) -> list[str]:
    """'감정: 71% → 78% 맞힘 (시험 문장 420개)' per head, from the exam (empty without one)."""
    if done.exam is None or not done.exam.new:
        return []
    old = done.exam.old or {}
    return [
        in_words(HEAD_DISPLAY.get(h, h), done.exam.new[h], old.get(h)) for h in ordered_heads(done.exam.new)
    ]


def label_lines(new: HeadScore, old: HeadScore | None, names: dict[str, str]) -> list[str]:
    """Per label, of the exam sentences that carry it, how many each model got right (its recall):
    '인사: 80% → 85% 맞힘 (20개)'. Labels with no exam sentence are left out: nothing to count."""
    lines = []
    for label, m in new.per_label.items():
        support = int(m.get("support") or 0)
        if not support:
            continue
        before = (old.per_label.get(label) if old else None) or None
        name = names.get(label, label)
        if before is not None and int(before.get("support") or 0):
            lines.append(f"{name}: {before['recall']:.0%} → {m['recall']:.0%} 맞힘 ({support:,}개)")
        else:
            lines.append(f"{name}: {m['recall']:.0%} 맞힘 ({support:,}개)")
    return lines


def flip_cells(flip: Flip, names: dict[str, dict[str, str]]) -> tuple[str, str, str]:
    """(message, '의도: 인사' = what the user said, '인사 → 작별' = old → new prediction)."""
    head = names.get(flip.head, {})

    def name(label: str) -> str:
        return head.get(label, label) if label else "없음"

    return (
        renderable(" ".join(flip.text.split())),
        f"{HEAD_DISPLAY.get(flip.head, flip.head)}: {name(flip.label)}",
        f"{name(flip.old)} → {name(flip.new)}",
    )


def own_labels_line(done: progress.Done) -> str:
    """The regression guard in one sentence: the user's own labels, wrong before and after."""
    r = done.regressions
    if r is None or not r.cases:
        return ""
    line = (
        f"내가 단 라벨 {r.cases:,}개 중 틀리는 것: 지금 모델 {r.old_wrong:,}개 → 새 모델 {r.new_wrong:,}개."
    )
    if r.worse:
        line += " 새 모델이 내가 가르친 것을 더 많이 틀려요."
    return line


class TrainingResultView(QWidget):
    def __init__(self, label_names: dict[str, dict[str, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.label_names = label_names
        self.metrics: dict = {}
        self.headline = QLabel("")
        self.headline.setObjectName("DialogHeadline")
        self.verdict = QLabel("")
        self.verdict.setObjectName("Verdict")
        self.verdict.setWordWrap(True)
        self.summary = QLabel("")
        self.summary.setWordWrap(True)
        self.own = QLabel("")
        self.own.setWordWrap(True)
        self.own.hide()
        self.per_label_title = QLabel("라벨별로 맞힌 비율 (시험 문장)")
        self.per_label_title.setObjectName("SectionTitle")
        self.per_label = QTreeWidget()
        self.per_label.setObjectName("PerLabelScores")
        self.per_label.setHeaderHidden(True)
        self.per_label.setRootIsDecorated(False)
        self.per_label.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.flips_title = QLabel("내가 단 라벨 중 새 모델에서 달라진 것")
        self.flips_title.setObjectName("SectionTitle")
        self.flips = QTreeWidget()
        self.flips.setObjectName("FlipsList")
        self.flips.setColumnCount(3)
        self.flips.setHeaderLabels(["메시지", "내가 단 라벨", "지금 모델 → 새 모델"])
        self.flips.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.flips.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 2):
            self.flips.header().setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.flips.header().setStretchLastSection(False)
        self.broke_group: QTreeWidgetItem | None = None
        self.fixed_group: QTreeWidgetItem | None = None
        self.note = QLabel(
            "시험 문장은 어느 학습에도 쓰지 않고 따로 떼어 둔 문장이에요. 새 모델로 바꾸기 전까지는 "
            "지금 모델이 그대로 대답해요."
        )
        self.note.setObjectName("Muted")
        self.note.setWordWrap(True)

        self.table = QTableWidget(0, 3)
        self.table.setObjectName("MetricsTable")
        self.table.setHorizontalHeaderLabels(["지금 모델", "새 모델", "차이"])
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setFixedWidth(400)
        self.table.verticalHeader().setDefaultSectionSize(34)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.version_label = QLabel("")
        self.version_label.setObjectName("Muted")
        self.version_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.matrix = ConfusionMatrixChart()
        self.head_buttons = QButtonGroup(self)
        self.head_row = QHBoxLayout()
        self.head_row.setSpacing(4)
        self.head_buttons.idClicked.connect(self._show_head)
        matrix_title = QLabel("새 모델이 무엇을 무엇으로 헷갈렸는지 (확인용 문장)")
        matrix_title.setObjectName("SectionTitle")

        self.details = QWidget()
        left = QVBoxLayout()
        self.table_title = QLabel("점수 (100점 만점)")
        title = self.table_title
        title.setObjectName("SectionTitle")
        left.addWidget(title)
        left.addWidget(self.table)
        left.addWidget(self.version_label)
        left.addStretch(1)
        right = QVBoxLayout()
        top = QHBoxLayout()
        top.addWidget(matrix_title)
        top.addStretch(1)
        top.addLayout(self.head_row)
        right.addLayout(top)
        right.addWidget(self.matrix, 1)
        body = QHBoxLayout(self.details)
        body.setContentsMargins(0, 6, 0, 0)
        body.addLayout(left)
        body.addSpacing(12)
        body.addLayout(right, 1)
        self.details_toggle = DetailsToggle(self.details)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.headline)
        layout.addSpacing(6)
        layout.addWidget(self.verdict)
        layout.addWidget(self.summary)
        layout.addWidget(self.own)
        lists = QHBoxLayout()
        scores_column = QVBoxLayout()
        scores_column.addWidget(self.per_label_title)
        scores_column.addWidget(self.per_label, 1)
        flips_column = QVBoxLayout()
        flips_column.addWidget(self.flips_title)
        flips_column.addWidget(self.flips, 1)
        lists.addLayout(scores_column, 2)
        lists.addSpacing(12)
        lists.addLayout(flips_column, 3)
        self.lists = QWidget()
        self.lists.setLayout(lists)
        lists.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.lists, 2)
        layout.addWidget(self.note)
        layout.addWidget(self.details_toggle, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.details, 1)
        layout.addStretch(0)

    def show_result(self, done: progress.Done) -> None:
        self.metrics = done.metrics or {}  # validation reports: the confusion charts
        current, new, what = scores(done)
        self.headline.setText("새 모델이 준비됐어요")
        self.verdict.setText(verdict(done, current, new))
        self.summary.setText("\n".join(head_lines(done) or comparison_lines(current, new, what)))
        self.own.setText(own_labels_line(done))
        self.own.setVisible(bool(self.own.text()))
        self._fill_per_label(done)
        self._fill_flips(done)
        self.lists.setVisible(self.per_label.isVisibleTo(self) or self.flips.isVisibleTo(self))
        self.table_title.setText(f"점수 (100점 만점, {what} 기준)")
        self.version_label.setText(f"새 모델의 버전 이름: {done.version}" if done.version else "")
        rows = metric_rows(current, new)
        self.table.setRowCount(len(rows))
        self.table.setVerticalHeaderLabels([r[0] for r in rows])
        for i, (_name, key, old, new) in enumerate(rows):
            self.table.verticalHeaderItem(i).setToolTip(METRIC_TIPS[key])
            cells = [QTableWidgetItem(points(old)), QTableWidgetItem(points(new))]
            delta = QTableWidgetItem("—")
            if old is not None and new is not None:
                diff = (new - old) * 100
                delta.setText(f"{diff:+.1f}점")
                if abs(diff) >= 0.1:
                    delta.setForeground(QColor(BETTER if diff > 0 else WORSE))
            for j, item in enumerate([*cells, delta]):
                item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.table.setItem(i, j, item)
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

    def _fill_per_label(self, done: progress.Done) -> None:
        self.per_label.clear()
        exam = done.exam
        shown = exam is not None and bool(exam.new)
        for widget in (self.per_label, self.per_label_title):
            widget.setVisible(shown)
        if not shown:
            return
        assert exam is not None
        for head in ordered_heads(exam.new):
            lines = label_lines(exam.new[head], (exam.old or {}).get(head), self.label_names.get(head, {}))
            group = QTreeWidgetItem(self.per_label, [HEAD_DISPLAY.get(head, head)])
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            for line in lines:
                QTreeWidgetItem(group, [line])
            group.setExpanded(True)

    def _fill_flips(self, done: progress.Done) -> None:
        """Both lists of the regression guard, broke first: what the user would lose by switching."""
        self.flips.clear()
        r = done.regressions
        shown = r is not None and r.cases > 0
        for widget in (self.flips, self.flips_title):
            widget.setVisible(shown)
        self.broke_group = self.fixed_group = None
        if not shown:
            return
        assert r is not None
        groups = (
            ("broke", r.broke, f"새 모델이 틀리게 된 것 {len(r.broke):,}개", WORSE),
            ("fixed", r.fixed, f"새 모델이 맞히게 된 것 {len(r.fixed):,}개", BETTER),
        )
        for kind, flips, title, color in groups:
            group = QTreeWidgetItem(self.flips, [title])
            group.setFirstColumnSpanned(True)
            group.setForeground(0, QColor(color))
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            for flip in flips:
                item = QTreeWidgetItem(group, list(flip_cells(flip, self.label_names)))
                item.setToolTip(0, flip.text)
                item.setData(0, Qt.ItemDataRole.UserRole, flip)  # (the placeholder row has none)
            if not flips:
                QTreeWidgetItem(group, ["없어요"])
            group.setExpanded(True)
            setattr(self, f"{kind}_group", group)

    def flip_rows(self, kind: str) -> list[tuple[str, str, str]]:
        """The rows shown under 'broke' or 'fixed' (for tests and screen readers)."""
        group = self.broke_group if kind == "broke" else self.fixed_group
        if group is None:
            return []
        rows = [group.child(i) for i in range(group.childCount())]
        return [
            (c.text(0), c.text(1), c.text(2)) for c in rows if c.data(0, Qt.ItemDataRole.UserRole) is not None
        ]

    def _show_head(self, position: int) -> None:
        heads = ordered_heads(self.metrics)
        if not 0 <= position < len(heads):
            self.matrix.set_matrix([], [])
            return
        report = self.metrics[heads[position]]
        names = self.label_names.get(heads[position], {})
        labels = [names.get(label, label) for label in report.get("labels", [])]
        self.matrix.set_matrix(labels, report.get("confusion", []))
