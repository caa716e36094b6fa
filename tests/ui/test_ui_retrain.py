"""Retraining through a real child process (`main.py train --progress jsonl`) on the tiny model."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel

from kobert_chat import paths
from kobert_chat.store import Store
from tests.helpers.ui import WAIT

TRAIN_WAIT = 240_000  # ms: a real child process on a shared 2-core machine


def registry_state(home):
    store = Store.open(paths.database_path(home))
    try:
        return [v.id for v in store.model_versions()], store.active_model_version().id
    finally:
        store.close()


def test_quick_retrain_shows_progress_and_metrics_then_promote(qtbot, window, model_home):
    old = window.engine.model_version
    dialog = window.open_retrain(extra_args=("--epochs", "1"))  # quick mode, kept short for the test
    assert dialog.page() == "choose" and dialog.chosen_mode() == "quick"
    dialog.start(dialog.chosen_mode())
    assert dialog.page() == "progress"
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=TRAIN_WAIT)
    assert dialog.outcome == "done", dialog.process.stderr
    kinds = [e.kind for e in dialog.process.events]
    assert kinds[0] == "start" and "step" in kinds and kinds.count("epoch") == 1 and kinds[-1] == "done"
    assert dialog.chart.loss and set(dialog.chart.f1) == {"intent", "emotion"}  # the live chart got data
    assert dialog.page() == "result"
    view = dialog.result_view
    # said in words first: how many exam sentences each model got right, and a recommendation
    assert view.headline.text() == "새 모델이 준비됐어요"
    intent, emotion = view.summary.text().split("\n")
    assert (
        intent.startswith("의도: ")
        and " → " in intent
        and intent.endswith("개)")
        and "맞힘 (시험 문장 " in intent
    )
    assert emotion.startswith("감정: ") and " → " in emotion
    assert view.verdict.text()
    # the numbers are behind 자세히, as points out of 100, in Korean
    assert view.details.isHidden()
    view.details_toggle.click()
    assert view.details.isVisible()
    table = view.table
    rows = [table.verticalHeaderItem(r).text() for r in range(table.rowCount())]
    assert rows == ["의도 맞힌 비율", "의도 골고루 맞힌 점수", "감정 맞힌 비율", "감정 골고루 맞힌 점수"]
    for r in range(table.rowCount()):  # old and new side by side
        for c in (0, 1):
            assert table.item(r, c).text().endswith("점") and 0 <= int(table.item(r, c).text()[:-1]) <= 100
    assert "인사" in view.matrix.labels  # confusion chart with Korean label names
    for label in view.findChildren(QLabel):  # no English statistics words on the result page
        assert not any(word in label.text() for word in ("macro", "F1", "loss", "epoch", "혼동 행렬"))
    new = dialog.new_version()
    versions, active = registry_state(model_home)
    assert new in versions and active == old  # registered, not yet active

    assert not dialog.needs_second_confirmation()  # no labels of the user's own: nothing got worse
    dialog.promote_button.click()
    qtbot.waitUntil(lambda: dialog.page() == "message", timeout=WAIT)
    assert window.engine.model_version == new
    assert registry_state(model_home)[1] == new
    qtbot.waitUntil(lambda: new in window.model_label.toolTip(), timeout=WAIT)


def test_cancel_mid_training_keeps_the_old_model(qtbot, window, model_home):
    before = registry_state(model_home)
    dialog = window.open_retrain()  # quick mode, default epochs: long enough to cancel
    dialog.start("quick")
    qtbot.waitUntil(
        lambda: dialog.process is not None and any(e.kind == "step" for e in dialog.process.events),
        timeout=TRAIN_WAIT,
    )
    dialog.cancel_button.click()
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=WAIT)
    assert dialog.outcome == "cancelled"
    assert dialog.page() == "message" and dialog.message.text() == "학습을 취소했어요."
    assert registry_state(model_home) == before  # no new version, same active one
    assert window.engine.model_version == before[1]
