"""The teaching loop through the engine: the inbox ranked by the current model, the outlook after
retrains, the label doctor's fixes reaching what a retrain learns from, `doctor --fix` in the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kobert_chat import paths, teaching, training_data
from kobert_chat.doctor import Finding, normalized
from kobert_chat.engine import ChatEngine
from kobert_chat.nlu.examples import Example
from kobert_chat.store import Store
from kobert_chat.training_job import TrainRequest, run_training
from tests.helpers import sample_examples
from tests.helpers.cli import run


def test_inbox_items_are_ranked_by_the_current_model(engine: ChatEngine):
    cid = None
    for text in ["ㅋㅋ 고마워", "ㅋㅋㅋ 고마워", "헤어졌어…", "내일 면접이야 떨려", "너 누구야", "배고프다"]:
        cid = engine.send(cid, text).conversation_id
    items = engine.inbox_items()
    assert len(items) == 6 and all(set(i.predictions) == {"intent", "emotion"} for i in items)
    distinct = [i for i in items if i.item.text != "ㅋㅋㅋ 고마워" and i.item.text != "ㅋㅋ 고마워"]
    assert [i.uncertainty for i in distinct] == sorted((i.uncertainty for i in distinct), reverse=True)
    assert [m.id for m in engine.inbox()] == [i.item.id for i in items]
    engine.label(items[0].item.id, "intent", "thanks")
    assert items[0].item.id not in [m.id for m in engine.inbox()]  # labeled: out of the inbox


def test_outlook_follows_the_inbox_change_of_the_last_retrains(model_home: Path):
    engine = ChatEngine.open(model_home, device="cpu")
    assert engine.inbox_outlook().change is None  # no retrain measured yet
    cid = None
    for text in ["오늘 진짜 힘들다", "고마워 덕분이야", "너 뭐 할 줄 알아?", "헤어지자는 말을 들었어"]:
        cid = engine.send(cid, text).conversation_id
    engine.close()
    first = run_training(TrainRequest(mode="quick", epochs=1, activate=True, device="cpu"), home=model_home)
    assert first.inbox_change is not None and 0.0 <= first.inbox_change <= 1.0
    engine = ChatEngine.open(model_home, device="cpu")
    outlook = engine.inbox_outlook()
    engine.close()
    assert first.activated  # all bundled lines beat the tiny model's 600 on the exam
    assert outlook.change == first.inbox_change and outlook.message
    assert outlook.enough is False  # one measurement is never "enough"


@pytest.fixture
def small_bundle(monkeypatch: pytest.MonkeyPatch) -> list[Example]:
    """The doctor over 800 bundled lines instead of all of them (seconds instead of minutes)."""
    sample = sample_examples(800, seed=9)
    monkeypatch.setattr(teaching, "bundled_examples", lambda split="all": list(sample))
    return sample


def test_doctor_fixes_reach_what_a_retrain_learns_from(engine: ChatEngine, small_bundle: list[Example]):
    reply = engine.send(None, "고마워 정말 고마워 덕분이야")
    engine.label(reply.user.id, "intent", "breakup")  # a slip of the finger
    findings = engine.doctor()
    mine = next(f for f in findings if f.ref == f"message:{reply.user.id}" and f.head == "intent")
    assert mine.suggested == "thanks" and mine.evidence
    engine.apply_doctor_fix(mine, "relabel")
    assert engine.store.message(reply.user.id).labels["intent"] == "thanks"

    bundled = next(f for f in findings if f.ref == "bundled")
    engine.apply_doctor_fix(bundled, "remove")
    line = next(
        ex for ex in training_data.bundled_examples("all") if normalized(ex.text) == normalized(bundled.text)
    )
    data = training_data.training_data(engine.store)
    everything = data.train + data.exam
    assert all(ex.labels.get(bundled.head) != bundled.label for ex in everything if ex.text == line.text)

    again = engine.doctor()
    assert not any(f.ref == f"message:{reply.user.id}" and f.head == "intent" for f in again)


def test_keep_hides_a_finding_for_good(engine: ChatEngine, small_bundle: list[Example]):
    findings = engine.doctor()
    assert findings
    engine.apply_doctor_fix(findings[0], "keep")
    assert all(
        (f.head, f.text, f.label) != (findings[0].head, findings[0].text, findings[0].label)
        for f in engine.doctor()
    )


def test_relabel_of_a_bundled_line_changes_its_training_label(engine: ChatEngine):
    line = training_data.bundled_examples("train")[0]
    finding = Finding("disagreement", "intent", "bundled", line.text, line.labels["intent"], "smalltalk", 0.9)
    engine.apply_doctor_fix(finding, "relabel", "love" if line.labels["intent"] != "love" else "smalltalk")
    new = "love" if line.labels["intent"] != "love" else "smalltalk"
    trained = [ex for ex in training_data.training_data(engine.store).train if ex.text == line.text]
    assert trained and trained[0].labels["intent"] == new


def test_cli_fixes_a_finding_of_the_last_run(model_home: Path):
    engine = ChatEngine.open(model_home, device="cpu")
    reply = engine.send(None, "고마워 정말 고마워 덕분이야")
    engine.label(reply.user.id, "intent", "breakup")
    engine.close()
    finding = Finding(
        "disagreement", "intent", f"message:{reply.user.id}", reply.user.text, "breakup", "thanks", 0.97
    )
    (model_home / "doctor.json").write_text(
        json.dumps([finding.to_dict()], ensure_ascii=False), encoding="utf-8"
    )
    result = run(model_home, "doctor", "--fix", "1", "relabel")
    assert result.code == 0, result
    with Store.open(paths.database_path(model_home)) as store:
        assert store.message(reply.user.id).labels["intent"] == "thanks"
    bad = run(model_home, "doctor", "--fix", "7", "keep")
    assert bad.code == 2 and "no finding 7" in bad.err
