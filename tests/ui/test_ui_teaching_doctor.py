"""라벨 점검 in the window: the real label doctor on a home with a planted conflict (the same sentence
labeled 고마움 once and 불만 once), its findings in plain Korean with their evidence, and one-key fixes
(2 relabel, 3 remove, 1 keep) that change the data; 취소 stops a check."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from kobert_chat import paths, teaching
from kobert_chat.store import Store
from tests.helpers import sample_examples
from tests.helpers.ui import WAIT, send

DOCTOR_WAIT = 240_000  # ms: cross-validated fits on a shared 2-core machine
TEXT = "오늘 진짜 너무 고마웠어 덕분이야"


@pytest.fixture
def small_bundle(monkeypatch):
    """The doctor over 800 bundled lines instead of all 14,000 (seconds instead of minutes)."""
    sample = sample_examples(800, seed=9)
    monkeypatch.setattr(teaching, "bundled_examples", lambda split="all": list(sample))
    return sample


def open_store(home):
    return Store.open(paths.database_path(home))


def planted_conflict(qtbot, window):
    """Two user messages with the same text, labeled 고마움 and 불만: returns (thanks id, complaint id)."""
    send(qtbot, window, TEXT)
    send(qtbot, window, TEXT + "!!")  # the same sentence for the doctor (punctuation is ignored)
    rows = [m for m in (window.chat.model.message_at(r) for r in range(window.chat.model.rowCount()))]
    first, second = [m.id for m in rows if m.role == "user"]
    window.engine.label(first, "intent", "thanks")
    window.engine.label(second, "intent", "complaint")
    return first, second


def run_check(qtbot, window):
    inbox = window.open_inbox()
    qtbot.waitUntil(lambda: not inbox.is_loading(), timeout=WAIT)
    dialog = inbox.open_doctor()  # reachable from 검토함's 라벨 점검
    assert dialog.page() == "start"
    dialog.start_button.click()
    assert dialog.page() == "progress"
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=DOCTOR_WAIT)
    assert dialog.outcome == "done"
    assert dialog.progress.value() > 0  # the bar moved with the fits
    return dialog


def row_of(dialog, ref, head="intent"):
    return next(i for i, f in enumerate(dialog.findings) if f.ref == ref and f.head == head)


def test_planted_conflict_is_shown_with_evidence_and_fixed_by_keys(qtbot, window, model_home, small_bundle):
    thanks, complaint = planted_conflict(qtbot, window)
    dialog = run_check(qtbot, window)
    assert dialog.page() == "findings" and dialog.findings
    assert dialog.result_headline.text() == f"살펴볼 라벨이 {len(dialog.findings):,}개 있어요"

    row = row_of(dialog, f"message:{complaint}")
    finding = dialog.findings[row]
    assert finding.kind == "conflict" and finding.label == "complaint" and finding.suggested == "thanks"
    assert dialog.list.item(row).text().startswith("[의도] 같은 문장인데 라벨이 달라요\n")
    dialog.list.setCurrentRow(row)
    names = window.label_names["intent"]
    assert dialog.kind_label.text() == "같은 문장인데 라벨이 달라요"
    assert dialog.where_label.text() == f"내가 대화에서 단 라벨 · 의도: {names['complaint']}"
    assert (
        f"‘{names['complaint']}’" in dialog.why_label.text()
        and f"‘{names['thanks']}’" in dialog.why_label.text()
    )
    evidence = [dialog.evidence.item(i).text() for i in range(dialog.evidence.count())]
    assert len(evidence) == len(finding.evidence) > 0
    assert evidence[0].startswith(
        f"‘{' '.join(finding.evidence[0].text.split())}’ → {names[finding.evidence[0].label]}"
    )
    assert any(TEXT in line and names["thanks"] in line for line in evidence)  # the other half of the pair
    assert dialog.new_label.currentData() == "thanks"  # 라벨 바꾸기 starts at the suggestion

    # 2 = 라벨 바꾸기 to the picked label: the message's label changes in the database
    before = len(dialog.findings)
    qtbot.keyClick(dialog.list, Qt.Key.Key_2)
    qtbot.waitUntil(lambda: len(dialog.findings) == before - 1, timeout=WAIT)
    with open_store(model_home) as store:
        assert store.message(complaint).labels["intent"] == "thanks"
        assert store.message(complaint).label_sources["intent"] == "user"

    # 3 = 빼기 on the other message of the pair: its label comes off
    dialog.list.setCurrentRow(row_of(dialog, f"message:{thanks}"))
    qtbot.keyClick(dialog.list, Qt.Key.Key_3)
    qtbot.waitUntil(lambda: len(dialog.findings) == before - 2, timeout=WAIT)
    with open_store(model_home) as store:
        assert "intent" not in store.message(thanks).labels

    # 1 = 그대로 두기 on a bundled line: recorded, so the next check does not show it again
    bundled = next((i for i, f in enumerate(dialog.findings) if f.ref == "bundled"), None)
    assert bundled is not None
    kept = dialog.findings[bundled]
    dialog.list.setCurrentRow(bundled)
    dialog.fix_buttons["keep"].click()
    qtbot.waitUntil(lambda: len(dialog.findings) == before - 3, timeout=WAIT)
    with open_store(model_home) as store:
        decisions = store.doctor_decisions()
    assert any(d.action == "keep" and d.head == kept.head and d.label == kept.label for d in decisions)


def test_cancel_stops_the_check(qtbot, window, small_bundle):
    inbox = window.open_inbox()
    qtbot.waitUntil(lambda: not inbox.is_loading(), timeout=WAIT)
    dialog = inbox.open_doctor()
    dialog.start_button.click()
    dialog.cancel_button.click()  # before the first fit: the check stops there
    qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=DOCTOR_WAIT)
    assert dialog.outcome == "cancelled" and dialog.page() == "start"
    assert not dialog.findings
