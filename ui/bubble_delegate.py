"""Paints one chat message: a bubble (user right, bot left), its time, under user messages the
intent and emotion badges, and under bot messages how the answer was found (path badges), the
clarifying question's choices, and the "이렇게 답해 줘" / "이 답변 그만" actions. `geometry()` is the
single source of where things are, so painting, row heights and clicks always agree.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from PySide6.QtCore import QModelIndex, QPointF, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPainterPath, QPen, QTextLayout, QTextOption
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from kobert_chat.store import Message

from . import theme
from .chat_model import DayRole, MessageRole, clock_text
from .fonts import renderable

SIDE = 20  # outer margin left and right
GAP = 5  # space above and below each row
PAD_X, PAD_Y = 13, 9  # inside a bubble
RADIUS = 15
AVATAR, AVATAR_GAP = 34, 9
DAY_H = 44
BADGE_H, BADGE_TOP, BADGE_GAP, BADGE_PAD = 22, 6, 6, 9
CHECK_W, CARET_W = 13, 11
MAX_BUBBLE = 560
HEAD_ORDER = ("intent", "emotion")
LINE_BREAK = "\u2028"
ROW_GAP = 4  # between wrapped rows of bot items
TEACH_TEXT, STOP_TEXT = "이렇게 답해 줘", "이 답변 그만"
# Plain words for how an answer was found (ChatEngine's bot message details "path"); pool: no badge
PATH_BADGES = {
    "linked": "예시 답변",
    "clarify": "헷갈려서 물어봄",
    "fallback": "잘 모르겠음",
    "crisis": "도움 안내",
}
TAUGHT_BADGE = "가르쳐 준 답"
LEVEL_NAMES = {
    "polite": "존댓말",
    "casual": "반말",
}  # QTextLayout breaks lines only at U+2028; a typed "\n" would be drawn as nothing


def bubble_text(text: str) -> str:
    """What a bubble draws: emoji as words where no font has them, Shift+Enter breaks as real lines."""
    shown = renderable(text).replace("\r\n", "\n").replace("\r", "\n")
    return shown.replace("\n", LINE_BREAK) if shown.strip() else " "


@dataclass
class Badge:
    head: str
    rect: QRect
    text: str
    label: str
    state: str  # "predicted" | "confirmed" | "user"
    low: bool = False  # the model was unsure: a hint to look at it


@dataclass
class BotItem:
    """Something under a bot bubble: a path badge, a clarify choice, or an action."""

    kind: str  # "path" | "choice" | "teach" | "stop"
    rect: QRect
    text: str
    value: str = ""  # the intent of a choice; the path of a path badge
    state: str = ""  # choices: "open" | "chosen" | "other"


def path_tooltip(message: Message) -> str:
    """The longer story behind a bot bubble's badges, in plain words (level included)."""
    details = message.details
    path = details.get("path")
    lines = []
    if path == "linked":
        link = details.get("link") or {}
        similar = round(float(link.get("similarity", 0.0)) * 100)
        taught = link.get("source") == "taught"
        lines.append(
            f"{'가르쳐 준' if taught else '예시'} 문장 “{link.get('example', '')}”과(와) {similar}% 비슷해서 "
            "그 문장에 딸린 답을 골랐어요."
        )
    elif path == "clarify":
        lines.append("무슨 얘기인지 헷갈려서 되물었어요. 아래에서 골라 주면 그 얘기로 대답해요.")
    elif path == "fallback":
        lines.append("무슨 얘기인지 확신이 없어서 넘겨짚지 않고 잘 모르겠다고 했어요.")
    elif path == "crisis":
        lines.append("위험한 말이 들려서 언제나 같은 도움 안내로 답했어요.")
    elif path == "pool":
        lines.append("메시지의 의도와 감정에 맞는 답변 중에서 골랐어요.")
    level = LEVEL_NAMES.get(details.get("level") or "")
    if level:
        user_level = LEVEL_NAMES.get(details.get("user_level") or "")
        lines.append(f"말투: {level}" + (f" (내 메시지가 {user_level}이라서)" if user_level == level else ""))
    if details.get("classifier") == "expert":
        lines.append("모델을 불러오는 동안이라 빠른 방식으로 알아듣고 대답했어요.")
    return "\n".join(lines)


@dataclass
class RowGeometry:
    height: int
    bubble: QRect
    text_origin: QPointF
    time: QRect
    text_width: int = 0
    day: QRect | None = None
    avatar: QRect | None = None
    badges: list[Badge] = field(default_factory=list)
    items: list[BotItem] = field(default_factory=list)  # bot messages: under the bubble


class BubbleDelegate(QStyledItemDelegate):
    def __init__(self, view: QWidget, label_names: dict[str, dict[str, str]] | None = None) -> None:
        super().__init__(view)
        self._view = view
        self.label_names = label_names or {}
        self._layouts: OrderedDict[tuple, tuple[QTextLayout, QSize]] = OrderedDict()
        self._heights: dict[tuple, int] = {}  # row heights: a relayout of 10,000 rows is then dict lookups
        self._font_cache: tuple[str, tuple[QFont, QFont, QFont]] | None = None

    # -- fonts -----------------------------------------------------------------------------------
    def _fonts(self) -> tuple[QFont, QFont, QFont]:
        key = self._view.font().key()
        if self._font_cache is None or self._font_cache[0] != key:
            self._font_cache = (key, self._make_fonts())
            self._heights.clear()
        return self._font_cache[1]

    def _make_fonts(self) -> tuple[QFont, QFont, QFont]:
        base = QFont(self._view.font())
        text = QFont(base)
        text.setPointSizeF(base.pointSizeF() + 0.5)
        small = QFont(base)
        small.setPointSizeF(max(7.0, base.pointSizeF() - 1.5))
        badge = QFont(small)
        badge.setPointSizeF(small.pointSizeF() + 0.3)
        return text, small, badge

    # -- layout ----------------------------------------------------------------------------------
    def _text_layout(self, text: str, font: QFont, width: int) -> tuple[QTextLayout, QSize]:
        """Wrapped text, cached: row heights are asked for often and text layout is the costly part."""
        key = (text, font.key(), width)
        cached = self._layouts.get(key)
        if cached is not None:
            self._layouts.move_to_end(key)
            return cached
        layout = QTextLayout(text, font)
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)  # long words without spaces too
        layout.setTextOption(option)
        layout.beginLayout()
        y, natural = 0.0, 0.0
        while True:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(width)
            line.setPosition(QPointF(0, y))
            y += line.height()
            natural = max(natural, line.naturalTextWidth())
        layout.endLayout()
        result = (layout, QSize(int(natural + 0.999), int(y + 0.999)))
        self._layouts[key] = result
        if len(self._layouts) > 3000:
            self._layouts.popitem(last=False)
        return result

    def geometry(self, rect: QRect, message: Message, day: str) -> RowGeometry:
        text_font, small_font, badge_font = self._fonts()
        small = QFontMetrics(small_font)
        width = rect.width()
        top = rect.top() + GAP
        day_rect = None
        if day:
            day_rect = QRect(rect.left(), top, width, DAY_H)
            top += DAY_H
        user = message.role == "user"
        time_w = small.horizontalAdvance(self._time_text(message)) + 2
        left_reserved = 0 if user else AVATAR + AVATAR_GAP
        room = width - 2 * SIDE - left_reserved - time_w - 8
        max_text = max(80, min(int(width * 0.66), MAX_BUBBLE, room) - 2 * PAD_X)
        _layout, size = self._text_layout(bubble_text(message.text), text_font, max_text)
        bw, bh = size.width() + 2 * PAD_X, max(size.height() + 2 * PAD_Y, 34)
        if user:
            bubble = QRect(rect.right() - SIDE - bw + 1, top, bw, bh)
            time = QRect(
                bubble.left() - 6 - time_w, bubble.bottom() - small.height() + 1, time_w, small.height()
            )
            avatar = None
        else:
            avatar = QRect(rect.left() + SIDE, top, AVATAR, AVATAR)
            bubble = QRect(avatar.right() + 1 + AVATAR_GAP, top, bw, bh)
            time = QRect(bubble.right() + 7, bubble.bottom() - small.height() + 1, time_w, small.height())
        origin = QPointF(bubble.left() + PAD_X, bubble.top() + (bh - size.height()) / 2)
        bottom = bubble.bottom() + 1
        if avatar is not None:
            bottom = max(bottom, avatar.bottom() + 1)
        badges = self._badges(message, bubble, bottom + BADGE_TOP, QFontMetrics(badge_font)) if user else []
        if badges:
            bottom += BADGE_TOP + BADGE_H
        items: list[BotItem] = []
        if not user:
            right = rect.right() - SIDE
            items = self._bot_items(
                message, bubble.left(), right, bottom + BADGE_TOP, QFontMetrics(badge_font)
            )
            if items:
                bottom = max(i.rect.bottom() for i in items) + 1
        return RowGeometry(
            bottom + GAP - rect.top(), bubble, origin, time, max_text, day_rect, avatar, badges, items
        )

    def _bot_items(
        self, message: Message, left: int, right: int, top: int, fm: QFontMetrics
    ) -> list[BotItem]:
        """Laid out left to right under the bot bubble, wrapping to a new row when the window is narrow."""
        details = message.details
        path = details.get("path")
        wanted: list[tuple[str, str, str, str]] = []  # kind, text, value, state
        asked = details.get("clarify")
        if isinstance(asked, dict):
            names = self.label_names.get("intent", {})
            chosen = asked.get("chosen")
            for intent in asked.get("options", []):
                state = "open" if chosen is None else ("chosen" if intent == chosen else "other")
                wanted.append(("choice", names.get(intent, intent), intent, state))
        badge = PATH_BADGES.get(path or "")
        if path == "linked" and (details.get("link") or {}).get("source") == "taught":
            badge = TAUGHT_BADGE
        if badge:
            wanted.append(("path", badge, path or "", ""))
        if message.id > 0 and path not in ("clarify", "crisis"):
            wanted.append(("teach", TEACH_TEXT, "", ""))
            if message.answer_id is not None:
                wanted.append(("stop", STOP_TEXT, "", ""))
        items: list[BotItem] = []
        x, y = left, top
        for kind, text, value, state in wanted:
            w = fm.horizontalAdvance(text) + 2 * BADGE_PAD + (6 if kind == "choice" else 0)
            if x > left and x + w > right:
                x, y = left, y + BADGE_H + ROW_GAP
            items.append(BotItem(kind, QRect(x, y, w, BADGE_H), text, value, state))
            x += w + BADGE_GAP
        return items

    def _badges(self, message: Message, bubble: QRect, top: int, fm: QFontMetrics) -> list[Badge]:
        badges: list[Badge] = []
        heads = [h for h in HEAD_ORDER if h in message.predictions or h in message.labels]
        heads += [h for h in message.predictions if h not in heads]
        right = bubble.right() + 1
        for head in reversed(heads):  # laid out right to left under a right-aligned bubble
            prediction = message.predictions.get(head) or {}
            names = self.label_names.get(head, {})
            if head in message.labels:
                label = message.labels[head]
                state = "user" if message.label_sources.get(head) == "user" else "confirmed"
                text = names.get(label, label)
                extra = CHECK_W
                low = False
            else:
                label = prediction.get("label", "")
                confidence = float(prediction.get("confidence", 0.0))
                state = "predicted"
                text = f"{names.get(label, label)} {round(confidence * 100)}%"
                extra = CARET_W
                low = confidence < 0.5
            w = fm.horizontalAdvance(text) + 2 * BADGE_PAD + extra
            rect = QRect(right - w, top, w, BADGE_H)
            right = rect.left() - BADGE_GAP
            badges.append(Badge(head, rect, text, label, state, low))
        badges.reverse()
        return badges

    @staticmethod
    def _time_text(message: Message) -> str:
        return "보내는 중…" if message.id < 0 else clock_text(message.created_at)

    def badge_at(self, rect: QRect, index: QModelIndex, pos) -> Badge | None:
        message = index.data(MessageRole)
        if message is None:
            return None
        for badge in self.geometry(rect, message, index.data(DayRole) or "").badges:
            if badge.rect.adjusted(-2, -2, 2, 2).contains(pos):
                return badge
        return None

    def badges_for(self, rect: QRect, index: QModelIndex) -> list[Badge]:
        message = index.data(MessageRole)
        return self.geometry(rect, message, index.data(DayRole) or "").badges if message else []

    def items_for(self, rect: QRect, index: QModelIndex) -> list[BotItem]:
        message = index.data(MessageRole)
        return self.geometry(rect, message, index.data(DayRole) or "").items if message else []

    def item_at(self, rect: QRect, index: QModelIndex, pos) -> BotItem | None:
        for item in self.items_for(rect, index):
            if item.rect.adjusted(-2, -2, 2, 2).contains(pos):
                return item
        return None

    def bubble_rect(self, rect: QRect, index: QModelIndex) -> QRect:
        message = index.data(MessageRole)
        return self.geometry(rect, message, index.data(DayRole) or "").bubble if message else rect

    def _items_key(self, message: Message) -> tuple | None:
        """What the height of a bot message's item rows depends on (besides the width)."""
        if message.role == "user":
            return None
        asked = message.details.get("clarify")
        options = tuple(asked.get("options", ())) if isinstance(asked, dict) else ()
        link = message.details.get("link") or {}
        return (message.details.get("path"), options, link.get("source"), message.answer_id is not None)

    def forget_heights(self) -> None:
        """Label names changed: the clarify choices (their widths, so maybe their wrapping) may too."""
        self._heights.clear()

    # -- Qt delegate API -------------------------------------------------------------------------
    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        # Called for every loaded row on each relayout: ask the model directly, not through data().
        model, row = index.model(), index.row()
        message = model.message_at(row) if hasattr(model, "message_at") else index.data(MessageRole)
        if message is None:
            return QSize(0, 0)
        width = self._view.viewport().width()
        day = model.day_header(row) if hasattr(model, "day_header") else (index.data(DayRole) or "")
        # Height depends on the text, width, day header and whether badges show; not on which labels.
        key = (
            message.id,
            message.text if message.id < 0 else "",
            width,
            bool(day),
            bool(message.predictions),
            self._items_key(message),
        )
        height = self._heights.get(key)
        if height is None:
            height = self.geometry(QRect(0, 0, width, 10), message, day).height
            if len(self._heights) > 50_000:
                self._heights.clear()
            self._heights[key] = height
        return QSize(width, height)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        message = index.data(MessageRole)
        if message is None:
            return
        c = theme.colors()
        text_font, small_font, badge_font = self._fonts()
        g = self.geometry(option.rect, message, index.data(DayRole) or "")
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if g.day is not None:
            self._paint_day(painter, g.day, index.data(DayRole), small_font, c)
        if g.avatar is not None:
            self._paint_avatar(painter, g.avatar, c)
        user = message.role == "user"
        path = QPainterPath()
        path.addRoundedRect(QRectF(g.bubble), RADIUS, RADIUS)
        fill = QColor(c.user_bubble if user else c.bot_bubble)
        if message.id < 0:
            fill.setAlphaF(0.7)
        painter.fillPath(path, fill)
        if not user:
            painter.setPen(QPen(QColor(c.bot_border), 1))
            painter.drawPath(path)
        if option.state & QStyle.StateFlag.State_Selected:
            painter.setPen(QPen(QColor(c.selection), 2))
            painter.drawRoundedRect(QRectF(g.bubble).adjusted(-3, -3, 3, 3), RADIUS + 3, RADIUS + 3)
        painter.setPen(QColor(c.user_text if user else c.bot_text))
        layout, _size = self._text_layout(bubble_text(message.text), text_font, g.text_width)
        layout.draw(painter, g.text_origin)
        painter.setFont(small_font)
        painter.setPen(QColor(c.muted))
        align = Qt.AlignmentFlag.AlignRight if user else Qt.AlignmentFlag.AlignLeft
        painter.drawText(g.time, int(align | Qt.AlignmentFlag.AlignBottom), self._time_text(message))
        for badge in g.badges:
            self._paint_badge(painter, badge, badge_font, c)
        if g.items:
            model = index.model()
            last = index.row() == model.rowCount() - 1
            hovered = bool(
                option.state & (QStyle.StateFlag.State_MouseOver | QStyle.StateFlag.State_Selected)
            )
            for item in g.items:
                if item.kind in ("teach", "stop") and not (hovered or last):
                    continue  # actions show on the reply the mouse is over (and always on the newest one)
                self._paint_item(painter, item, badge_font, c)
        painter.restore()

    def _paint_item(self, painter: QPainter, item: BotItem, font: QFont, c: theme.Colors) -> None:
        r = QRectF(item.rect).adjusted(0.5, 0.5, -0.5, -0.5)
        accent = QColor(c.accent)
        if item.kind == "choice":
            if item.state == "open":
                bg, fg, border = theme.mix(accent, c.chat_bg, 0.88), accent, accent
            elif item.state == "chosen":
                bg, fg, border = accent, QColor(c.accent_text), accent
            else:
                bg, fg, border = QColor(c.chat_bg), QColor(c.muted), theme.mix(c.muted, c.chat_bg, 0.6)
        elif item.kind == "path":
            bg, fg, border = (
                theme.mix(c.muted, c.chat_bg, 0.85),
                QColor(c.muted),
                theme.mix(c.muted, c.chat_bg, 0.7),
            )
        else:  # actions: quiet text links
            bg, fg, border = (
                QColor(Qt.GlobalColor.transparent),
                QColor(c.muted),
                QColor(Qt.GlobalColor.transparent),
            )
        painter.setBrush(bg)
        painter.setPen(QPen(border, 1.2 if item.kind == "choice" else 1))
        painter.drawRoundedRect(r, BADGE_H / 2, BADGE_H / 2)
        painter.setFont(font)
        painter.setPen(fg)
        if item.kind in ("teach", "stop"):
            f = QFont(font)
            f.setUnderline(True)
            painter.setFont(f)
        painter.drawText(r, int(Qt.AlignmentFlag.AlignCenter), item.text)

    # -- painting pieces -------------------------------------------------------------------------
    @staticmethod
    def _paint_day(painter: QPainter, rect: QRect, text: str, font: QFont, c: theme.Colors) -> None:
        fm = QFontMetrics(font)
        w = fm.horizontalAdvance(text) + 24
        pill = QRectF(rect.center().x() - w / 2, rect.center().y() - 11, w, 22)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(c.day_pill))
        painter.drawRoundedRect(pill, 11, 11)
        painter.setFont(font)
        painter.setPen(QColor(c.muted))
        painter.drawText(pill, int(Qt.AlignmentFlag.AlignCenter), text)

    @staticmethod
    def _paint_avatar(painter: QPainter, rect: QRect, c: theme.Colors) -> None:
        """A small round bot face: calmer than an image, and it follows the theme."""
        r = QRectF(rect)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(c.accent))
        painter.drawEllipse(r)
        painter.setBrush(QColor("#ffffff"))
        eye = r.width() * 0.09
        for dx in (-0.17, 0.17):
            painter.drawEllipse(
                QPointF(r.center().x() + dx * r.width(), r.center().y() - 0.06 * r.height()), eye, eye
            )
        pen = QPen(QColor("#ffffff"), max(1.6, r.width() * 0.06))
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        smile = QRectF(
            r.center().x() - r.width() * 0.17,
            r.center().y() - r.height() * 0.02,
            r.width() * 0.34,
            r.height() * 0.24,
        )
        painter.drawArc(smile, 200 * 16, 140 * 16)

    def _paint_badge(self, painter: QPainter, badge: Badge, font: QFont, c: theme.Colors) -> None:
        tint = QColor(
            theme.EMOTION_TINTS.get(badge.label, c.muted) if badge.head == "emotion" else c.intent_tint
        )
        r = QRectF(badge.rect)
        if badge.state == "user":
            bg, fg, border = tint, QColor("#ffffff"), tint
        elif badge.state == "confirmed":
            bg, fg, border = theme.mix(tint, c.chat_bg, 0.78), tint, tint
        else:
            bg, fg, border = (
                theme.mix(tint, c.chat_bg, 0.86),
                theme.mix(tint, c.text, 0.25),
                theme.mix(tint, c.chat_bg, 0.6),
            )
        painter.setBrush(bg)
        pen = QPen(border, 1)
        if badge.low and badge.state == "predicted":
            pen.setStyle(Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.drawRoundedRect(r.adjusted(0.5, 0.5, -0.5, -0.5), BADGE_H / 2, BADGE_H / 2)
        x = r.left() + BADGE_PAD
        icon_pen = QPen(fg, 1.6)
        icon_pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        icon_pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
        if badge.state != "predicted":  # a painted check mark: no font needed for the glyph
            painter.setPen(icon_pen)
            cy = r.center().y()
            check = QPainterPath(QPointF(x, cy))
            check.lineTo(x + 3.5, cy + 3.5)
            check.lineTo(x + 9.5, cy - 3.5)
            painter.drawPath(check)
            x += CHECK_W
        painter.setFont(font)
        painter.setPen(fg)
        text_rect = QRectF(
            x, r.top(), r.right() - x - BADGE_PAD - (CARET_W if badge.state == "predicted" else 0), r.height()
        )
        painter.drawText(
            text_rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), badge.text
        )
        if badge.state == "predicted":
            cx, cy = r.right() - BADGE_PAD - 3.5, r.center().y()
            painter.setPen(icon_pen)
            caret = QPainterPath(QPointF(cx - 3, cy - 1.5))
            caret.lineTo(cx, cy + 1.5)
            caret.lineTo(cx + 3, cy - 1.5)
            painter.drawPath(caret)
