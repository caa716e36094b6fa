"""The bot's answers: filter by intent and emotion, add, edit, enable/disable, delete, import, export.

Answers are plain data: changes apply to the next reply, no retraining involved.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from kobert_chat.store import Answer

from . import errors
from .answer_form import KINDS, AnswerForm
from .answers_model import (
    COLUMNS,
    EMOTION,
    ENABLED,
    EXAMPLES,
    INTENT,
    KIND,
    LEVEL,
    ORIGINS,
    TEXT,
    WEIGHT,
    AnswersModel,
)
from .confirm import confirm
from .worker import Worker

ALL, ANY_EMOTION = "__all__", "__any__"
FILE_FILTER = "데이터 파일 (*.csv *.tsv *.jsonl);;모든 파일 (*)"
SHOWN_REJECTS = 8
EXAMPLES_LOADED = 2000  # linked answers whose sentences the table shows (more: their count, until opened)


class AnswersDialog(QDialog):
    def __init__(
        self, engine, worker: Worker, label_names: dict[str, dict[str, str]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("답변 편집")
        self.setObjectName("AnswersDialog")
        self.resize(940, 600)
        self.engine = engine
        self._worker = worker
        self.label_names = label_names
        self.form: AnswerForm | None = None
        self.last_summary = ""  # what the last import/export reported

        headline = QLabel("챗봇의 답변")
        headline.setObjectName("DialogHeadline")
        hint = QLabel(
            "챗봇은 메시지의 의도와 감정에 맞는 답변 중 하나를 골라요. 비중이 클수록 더 자주 골라요. "
            "예시 문장이 있는 답변은 그 문장과 비슷한 메시지에 써요. 고친 내용은 바로 다음 대답부터 쓰여요."
        )
        hint.setObjectName("Muted")
        hint.setWordWrap(True)
        self.kind_filter = self._filter_combo([(ALL, "모든 종류"), *KINDS.items()])
        self.intent_filter = self._filter_combo(
            [(ALL, "모든 의도"), *self.label_names.get("intent", {}).items()]
        )
        self.emotion_filter = self._filter_combo(
            [(ALL, "모든 감정"), (ANY_EMOTION, "감정 상관없음"), *self.label_names.get("emotion", {}).items()]
        )
        self.origin_filter = self._filter_combo([(ALL, "모든 출처"), *ORIGINS.items()])
        self.origin_filter.setToolTip("‘채팅에서 가르침’: 채팅의 ‘이렇게 답해 줘’로 만든 답변이에요")
        self.count_label = QLabel("")
        self.count_label.setObjectName("Muted")
        filters = QHBoxLayout()
        for combo in (self.kind_filter, self.intent_filter, self.emotion_filter, self.origin_filter):
            filters.addWidget(combo)
        filters.addStretch(1)
        filters.addWidget(self.count_label)

        self.model = AnswersModel(self.label_names, self)
        self.model.toggled.connect(self._store_enabled)
        self.table = QTableView()
        self.table.setObjectName("AnswersTable")
        self.table.setModel(self.model)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._size_columns()
        self.table.doubleClicked.connect(lambda index: index.column() != ENABLED and self.edit_selected())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.model.modelReset.connect(self._update_count)
        self.model.rowsInserted.connect(self._update_count)
        self.model.rowsRemoved.connect(self._update_count)

        self.add_button = QPushButton("추가")
        self.add_button.setObjectName("PrimaryButton")
        self.add_button.clicked.connect(lambda: self.open_form(None))
        self.edit_button = QPushButton("편집")
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button = QPushButton("삭제")
        self.delete_button.clicked.connect(self.delete_selected)
        import_button = QPushButton("가져오기…")
        import_button.clicked.connect(self._choose_import)
        export_button = QPushButton("내보내기…")
        export_button.clicked.connect(self._choose_export)
        close = QPushButton("닫기")
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addSpacing(16)
        buttons.addWidget(import_button)
        buttons.addWidget(export_button)
        buttons.addStretch(1)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(22, 18, 22, 16)
        layout.addWidget(headline)
        layout.addWidget(hint)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.reload()

    def _filter_combo(self, items) -> QComboBox:
        combo = QComboBox()
        for key, text in items:
            combo.addItem(text, key)
        combo.currentIndexChanged.connect(lambda _i: self._apply_filter())
        return combo

    def _size_columns(self) -> None:
        """Fixed widths from the font, never from the contents: measuring 5,000 rows is what froze the app."""
        fm = self.table.fontMetrics()
        names = [*self.label_names.get("intent", {}).values(), *self.label_names.get("emotion", {}).values()]
        widest = max((fm.horizontalAdvance(n) for n in [*names, "상관없음", *KINDS.values()]), default=60)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(TEXT, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        for column in (KIND, INTENT, EMOTION):
            self.table.setColumnWidth(column, widest + 34)
        self.table.setColumnWidth(ENABLED, fm.horizontalAdvance(COLUMNS[ENABLED]) + 40)
        self.table.setColumnWidth(LEVEL, fm.horizontalAdvance("존댓말") + 34)
        self.table.setColumnWidth(EXAMPLES, fm.horizontalAdvance("가" * 12) + 24)
        self.table.setColumnWidth(WEIGHT, fm.horizontalAdvance("100.0") + 34)
        rows = self.table.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(fm.height() + 16)

    # -- loading and filtering -------------------------------------------------------------------
    @property
    def answers(self) -> list[Answer]:
        """Every answer, enabled or not (kept up to date row by row)."""
        return self.model.answers()

    def reload(self) -> None:
        engine = self.engine

        def load() -> tuple[list[Answer], dict[int, list[str]]]:
            answers = engine.answers(enabled_only=False)
            linked = [a for a in answers if a.links][:EXAMPLES_LOADED]
            return answers, {a.id: [link.text for link in engine.answer_links(a.id)] for a in linked}

        self._worker.run(load, lambda result: self._loaded(*result), owner=self)

    def is_loading(self) -> bool:
        return self._worker.busy(self)

    def _loaded(self, answers: list[Answer], examples: dict[int, list[str]] | None = None) -> None:
        keep = self.selected_answer()
        self.model.set_answers(answers, examples)
        self._apply_filter(keep)

    def _apply_filter(self, keep: int | None = None) -> None:
        keep = keep if keep is not None else self.selected_answer()
        kind, intent, emotion, origin = (
            c.currentData()
            for c in (self.kind_filter, self.intent_filter, self.emotion_filter, self.origin_filter)
        )

        def accept(a: Answer) -> bool:
            return (
                (kind == ALL or a.kind == kind)
                and (origin == ALL or a.origin == origin)
                and (intent == ALL or a.intent == intent)
                and (emotion == ALL or (emotion == ANY_EMOTION and a.emotion is None) or a.emotion == emotion)
            )

        self.model.set_filter(accept)
        if keep is not None:
            self.select_answer(keep)
        self._update_buttons()

    def visible_answers(self) -> list[Answer]:
        """The answers the filters let through."""
        return self.model.visible()

    def _update_count(self, *_args) -> None:
        self.count_label.setText(f"{self.model.rowCount()}개 / 전체 {len(self.model.answers())}개")

    def selected_answer(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        answer = self.model.answer_at(rows[0].row()) if rows else None
        return answer.id if answer else None

    def select_answer(self, answer_id: int) -> None:
        row = self.model.row_of(answer_id)
        if row >= 0:
            self.table.selectRow(row)
            self.table.scrollTo(self.model.index(row, TEXT))

    def _update_buttons(self) -> None:
        chosen = self.selected_answer() is not None
        self.edit_button.setEnabled(chosen)
        self.delete_button.setEnabled(chosen)

    # -- editing ---------------------------------------------------------------------------------
    def open_form(self, answer: Answer | None) -> AnswerForm:
        self.form = AnswerForm(self.label_names, answer, self)
        self.form.submitted.connect(lambda values, a=answer: self.save(a.id if a else None, values))
        self.form.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.form.open()
        if answer is not None and answer.links:
            engine, form = self.engine, self.form
            self._worker.run(
                lambda: [link.text for link in engine.answer_links(answer.id)], form.set_examples, owner=form
            )
        return self.form

    def edit_selected(self) -> None:
        rows = self.table.selectionModel().selectedRows()
        answer = self.model.answer_at(rows[0].row()) if rows else None
        if answer is not None:
            self.open_form(answer)

    def save(self, answer_id: int | None, values: dict) -> None:
        """Store the form's values; the table then changes that one row (or gains one)."""
        engine = self.engine

        level = {"level": values["level"]} if "level" in values else {}

        def write() -> Answer:
            if answer_id is None:
                new_id = engine.add_answer(
                    values["text"],
                    intent=values["intent"],
                    emotion=values["emotion"],
                    kind=values["kind"],
                    weight=values["weight"],
                    enabled=values["enabled"],
                    **level,
                )
                return engine.answer(new_id)  # read back as stored
            return engine.update_answer(
                answer_id,
                text=values["text"],
                intent=values["intent"],
                emotion=values["emotion"],
                weight=values["weight"],
                enabled=values["enabled"],
                **level,
            )

        self._worker.run(write, self._saved, owner=self)

    def _saved(self, answer: Answer) -> None:
        self.model.upsert(answer)
        self.select_answer(answer.id)
        self._update_count()

    def _store_enabled(self, answer_id: int, enabled: bool) -> None:
        engine = self.engine
        self._worker.run(
            lambda: engine.update_answer(answer_id, enabled=enabled),
            self.model.upsert,
            owner=self,
            on_finished=lambda ok: ok or self.model.revert(answer_id),
        )

    def set_enabled(self, answer_id: int, enabled: bool) -> None:
        """What ticking the 사용 box does (also used by tests)."""
        row = self.model.row_of(answer_id)
        if row >= 0:
            state = Qt.CheckState.Checked if enabled else Qt.CheckState.Unchecked
            self.model.setData(self.model.index(row, ENABLED), state, Qt.ItemDataRole.CheckStateRole)

    def delete_selected(self) -> None:
        answer_id = self.selected_answer()
        if answer_id is None:
            return
        if confirm(
            self,
            "답변 삭제",
            "이 답변을 삭제할까요? 되돌릴 수 없어요.\n잠시 쓰지 않으려면 ‘사용’ 체크만 풀어도 돼요.",
        ):
            engine = self.engine
            self._worker.run(
                lambda: engine.delete_answer(answer_id), lambda _r: self.model.remove(answer_id), owner=self
            )

    # -- import / export -------------------------------------------------------------------------
    def _choose_import(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "가져올 파일 고르기", str(Path.home()), FILE_FILTER)
        if path:
            self.import_from(Path(path))

    def _choose_export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self,
            "내보낼 파일",
            str(Path.home() / "kobert-chat-내보내기.csv"),
            "CSV (*.csv);;TSV (*.tsv);;JSON Lines (*.jsonl)",
        )
        if path:
            self.export_to(Path(path))

    def import_from(self, path: Path) -> None:
        engine = self.engine
        self._worker.run(
            lambda: engine.import_file(path), lambda result: self._imported(path, result), owner=self
        )

    def _imported(self, path: Path, result) -> None:
        lines = [f"문장 {result.utterances}개와 답변 {result.answers}개를 가져왔어요."]
        if result.pairs:
            lines = [
                f"질문과 답 {result.pairs}쌍을 가져왔어요 (새 답변 {result.pair_answers}개). 질문과 비슷한 "
                "메시지에는 그 답을 써요."
            ] + ([lines[0]] if result.utterances or result.answers else [])
        if result.duplicates:
            lines.append(f"이미 있는 {result.duplicates}개는 건너뛰었어요.")
        if result.rejected:
            lines.append(f"{len(result.rejected)}개 행은 받아들이지 못했어요:")
            lines += [f"  {line}번째 줄: {reason}" for line, reason in result.rejected[:8]]
            if len(result.rejected) > 8:
                lines.append(f"  … 외 {len(result.rejected) - 8}개")
        self.last_summary = "\n".join(lines)
        errors.show_notice(self, f"{path.name} 가져오기", self.last_summary)
        self.reload()

    def export_to(self, path: Path) -> None:
        engine = self.engine

        def done(counts: tuple[int, int]) -> None:
            self.last_summary = f"라벨 단 문장 {counts[0]}개와 답변 {counts[1]}개를 내보냈어요.\n{path}"
            errors.show_notice(self, "내보내기", self.last_summary)

        self._worker.run(lambda: engine.export_file(path), done, owner=self)
