"""Charts painted with QPainter (PySide6-Essentials has no QtCharts): the live training curve and a
confusion-matrix heat map ("which label was taken for which"). Their words are plain Korean: they are
what 자세히 shows to someone who never heard of loss or F1."""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from . import theme

SECOND_F1 = "#1f9d74"  # emotion F1: distinct from loss (orange) and intent F1 (blue)
SMOOTHING = 0.3
HEAD_ORDER = ("intent", "emotion")


class TrainingChart(QWidget):
    """How wrong the model still is, per step (training loss, left axis), and its score on the check
    sentences after each pass over the data (validation macro-F1 as points, right axis, 0 to 100)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(190)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.head_names = {"intent": "의도", "emotion": "감정"}
        self.clear()

    def clear(self) -> None:
        self.loss: list[tuple[float, float]] = []
        self.f1: dict[str, list[tuple[float, float]]] = {}
        self.update()

    def add_loss(self, x: float, loss: float) -> None:
        """Plotted as a moving average: per-batch loss is noisy and the trend is what matters."""
        if math.isfinite(loss):
            smoothed = loss if not self.loss else self.loss[-1][1] + SMOOTHING * (loss - self.loss[-1][1])
            self.loss.append((x, smoothed))
            self.update()

    def add_validation(self, epoch: float, f1_by_head: dict[str, float]) -> None:
        for head in sorted(
            f1_by_head, key=lambda h: HEAD_ORDER.index(h) if h in HEAD_ORDER else len(HEAD_ORDER)
        ):
            value = f1_by_head[head]
            self.f1.setdefault(head, []).append((epoch, value))
        self.update()

    def sizeHint(self) -> QSize:
        return QSize(520, 220)

    def _series_colors(self) -> dict[str, QColor]:
        c = theme.colors()
        colors = {"loss": QColor(c.loss_line)}
        for i, head in enumerate(self.f1):
            colors[head] = QColor(c.f1_line if i == 0 else SECOND_F1)
        return colors

    def paintEvent(self, _event) -> None:
        c = theme.colors()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, self.font().pointSizeF() - 1.5))
        painter.setFont(small)
        fm = QFontMetrics(small)
        area = QRectF(self.rect()).adjusted(44, 30, -42, -40)
        if area.width() < 40 or area.height() < 40:
            return
        xs = [x for x, _ in self.loss] + [x for series in self.f1.values() for x, _ in series]
        x_max = max(2.0, math.ceil(max(xs, default=1.0)))
        loss_max = max((y for _, y in self.loss), default=1.0) * 1.1 or 1.0

        def px(x: float) -> float:
            return area.left() + area.width() * x / x_max

        def py_loss(y: float) -> float:
            return area.bottom() - area.height() * y / loss_max

        def py_f1(y: float) -> float:
            return area.bottom() - area.height() * max(0.0, min(1.0, y))

        grid = QPen(QColor(c.border), 1)
        painter.setPen(grid)
        for i in range(5):
            y = area.top() + area.height() * i / 4
            painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
            painter.setPen(QColor(c.muted))
            painter.drawText(
                QRectF(0, y - 8, area.left() - 6, 16),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                f"{loss_max * (4 - i) / 4:.2f}",
            )
            painter.drawText(
                QRectF(area.right() + 6, y - 8, 40, 16),
                int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter),
                f"{(4 - i) * 25}",
            )
            painter.setPen(grid)
        step = max(1, math.ceil(x_max / 8))
        painter.setPen(QColor(c.muted))
        for epoch in range(0, int(x_max) + 1, step):
            painter.drawText(
                QRectF(px(epoch) - 20, area.bottom() + 4, 40, 16),
                int(Qt.AlignmentFlag.AlignHCenter),
                str(epoch),
            )
        painter.drawText(
            QRectF(area.left(), area.bottom() + 20, area.width(), 18),
            int(Qt.AlignmentFlag.AlignHCenter),
            "데이터를 다 읽은 횟수",
        )

        colors = self._series_colors()
        self._draw_line(painter, [(px(x), py_loss(y)) for x, y in self.loss], colors["loss"], markers=False)
        for head, series in self.f1.items():
            self._draw_line(painter, [(px(x), py_f1(y)) for x, y in series], colors[head], markers=True)

        # legend, top left
        x = area.left()
        entries = [("틀린 정도 (낮을수록 좋아요 · 왼쪽 눈금)", colors["loss"])] + [
            (f"{self.head_names.get(h, h)} 점수 (오른쪽 눈금)", colors[h]) for h in self.f1
        ]
        for text, color in entries:
            painter.setPen(QPen(color, 2.5))
            painter.drawLine(QPointF(x, 14), QPointF(x + 16, 14))
            painter.setPen(QColor(c.text))
            painter.drawText(QPointF(x + 21, 14 + fm.ascent() / 2 - 1), text)
            x += 21 + fm.horizontalAdvance(text) + 16
        if not self.loss and not self.f1:
            painter.setPen(QColor(c.muted))
            painter.drawText(area, int(Qt.AlignmentFlag.AlignCenter), "학습이 시작되면 그래프가 그려져요")
        painter.end()

    @staticmethod
    def _draw_line(
        painter: QPainter, points: list[tuple[float, float]], color: QColor, markers: bool
    ) -> None:
        if not points:
            return
        path = QPainterPath(QPointF(*points[0]))
        for p in points[1:]:
            path.lineTo(QPointF(*p))
        pen = QPen(color, 2)
        pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(path)
        if markers:
            painter.setBrush(color)
            for p in points:
                painter.drawEllipse(QPointF(*p), 3, 3)


class ConfusionMatrixChart(QWidget):
    """Rows: what the sentence really was; columns: what the model said. Colour = share of the row;
    number = how many sentences."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.labels: list[str] = []
        self.matrix: list[list[int]] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(300, 260)

    def set_matrix(self, labels: list[str], matrix: list[list[int]]) -> None:
        self.labels, self.matrix = list(labels), [list(row) for row in matrix]
        self.updateGeometry()
        self.update()

    def sizeHint(self) -> QSize:
        n = max(1, len(self.labels))
        return QSize(150 + 34 * n, 110 + 30 * n)

    def paintEvent(self, _event) -> None:
        c = theme.colors()
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        n = len(self.labels)
        if not n:
            painter.setPen(QColor(c.muted))
            painter.drawText(self.rect(), int(Qt.AlignmentFlag.AlignCenter), "보여 줄 결과가 없어요")
            return
        small = QFont(self.font())
        small.setPointSizeF(max(7.0, self.font().pointSizeF() - 1.5))
        painter.setFont(small)
        fm = QFontMetrics(small)
        label_w = max(fm.horizontalAdvance(t) for t in self.labels) + 12
        top_h = int(label_w * 0.72) + 22  # column labels are drawn at 45 degrees
        left = label_w + 22
        cell = max(12.0, min((self.width() - left - 12) / n, (self.height() - top_h - 12) / n, 46.0))
        grid = QRectF(left, top_h, cell * n, cell * n)
        painter.setPen(QColor(c.muted))
        painter.drawText(
            QRectF(grid.left(), 2, grid.width(), 16), int(Qt.AlignmentFlag.AlignLeft), "모델이 고른 것 →"
        )
        painter.save()
        painter.translate(10, grid.top() + grid.height() / 2)
        painter.rotate(-90)
        painter.drawText(
            QRectF(-grid.height() / 2, -8, grid.height(), 16),
            int(Qt.AlignmentFlag.AlignCenter),
            "실제 →",
        )
        painter.restore()
        for i, row in enumerate(self.matrix[:n]):
            total = sum(row) or 1
            for j, count in enumerate(row[:n]):
                share = count / total
                rect = QRectF(grid.left() + j * cell, grid.top() + i * cell, cell, cell)
                painter.fillRect(
                    rect.adjusted(0.5, 0.5, -0.5, -0.5), theme.mix(c.heat_low, c.heat_high, share)
                )
                if count and cell >= 18:
                    painter.setPen(QColor("#ffffff") if share > 0.55 else QColor(c.text))
                    painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), str(count))
            painter.setPen(QColor(c.text))
            painter.drawText(
                QRectF(22, grid.top() + i * cell, label_w - 6, cell),
                int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter),
                self.labels[i],
            )
        painter.setPen(QPen(QColor(c.border), 1))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRect(grid)
        painter.setPen(QColor(c.text))
        for j, text in enumerate(self.labels):
            painter.save()
            painter.translate(grid.left() + (j + 0.5) * cell + 3, grid.top() - 6)
            painter.rotate(-45)
            painter.drawText(QPointF(0, 0), text)
            painter.restore()
        painter.end()
