"""ChatEngine: one call per turn, both messages logged together, labels recorded, any text survives."""

from __future__ import annotations

import shutil

import pytest

from kobert_chat import paths
from kobert_chat.engine import ChatEngine
from kobert_chat.errors import InputError, ModelError
from kobert_chat.store import Store
from tests.helpers import install_model


def test_reply_classifies_answers_and_logs_both_messages(engine):
    cid = engine.new_conversation()
    reply = engine.reply(cid, "안녕하세요! 오늘 처음 와 봤어요")
    assert reply.user.role == "user" and reply.bot.role == "bot"
    assert set(reply.user.predictions) == {"intent", "emotion"}
    assert 0 < reply.user.predictions["intent"]["confidence"] <= 1
    assert reply.bot.text and reply.user.model_version == engine.model_version
    with Store.open(paths.database_path(engine.home)) as fresh:  # really on disk
        texts = [m.text for m in fresh.messages(cid)]
    assert texts == ["안녕하세요! 오늘 처음 와 봤어요", reply.bot.text]


@pytest.mark.parametrize("text", ["", "   ", "\n\t  \n"])
def test_empty_text_is_refused_and_nothing_is_logged(engine, text):
    cid = engine.new_conversation()
    with pytest.raises(InputError, match="empty"):
        engine.reply(cid, text)
    assert engine.store.message_count(cid) == 0


def test_unknown_conversation_is_a_clear_error(engine):
    with pytest.raises(InputError):
        engine.reply(987654, "안녕")


def test_huge_text_is_truncated_for_the_model_but_stored_whole(engine):
    cid = engine.new_conversation()
    text = "오늘 너무 힘들었어 " * 1000  # 10,000+ characters
    reply = engine.reply(cid, text)
    assert engine.store.message(reply.user.id).text == text


@pytest.mark.parametrize(
    "text",
    [
        "😭😭😭",
        "漢字로 쓴 文章",
        "ㅋㅋㅋㅋㅋ",
        "ㅎ",
        "제어\x00문자\x07",
        "mixed 한국어 and English 123",
        "\u200b\ufeff안녕",
        "👨‍👩‍👧 가족 여행 🏖️",
    ],
)
def test_any_unicode_works(engine, text):
    cid = engine.new_conversation()
    reply = engine.reply(cid, text)
    assert engine.store.message(reply.user.id).text == text


def test_crisis_statement_always_gets_the_crisis_line(engine):
    cid = engine.new_conversation()
    reply = engine.reply(cid, "요즘 그냥 다 끝내고 싶어… 죽고 싶다는 생각만 들어")
    assert reply.crisis and "109" in reply.bot.text


def test_never_the_same_answer_twice_in_a_row(engine):
    cid = engine.new_conversation()
    previous = None
    for _ in range(12):
        reply = engine.reply(cid, "음")
        assert reply.bot.text != previous
        previous = reply.bot.text


def test_low_confidence_threshold_gives_a_fallback(engine):
    engine.settings.threshold = 1.0  # nothing is that sure
    engine.settings.clarify = False  # otherwise it asks which intent it is (tests/test_clarify.py)
    cid = engine.new_conversation()
    reply = engine.reply(cid, "오늘 점심 뭐 먹지")
    assert reply.fallback
    fallbacks = {a.text for a in engine.store.answers(kind="fallback")}
    assert reply.bot.text in fallbacks


def test_answers_edits_apply_without_retraining(engine):
    for a in engine.store.answers(kind="fallback"):
        engine.store.update_answer(a.id, enabled=False)
    engine.store.add_answer("새로 쓴 대답이에요", kind="fallback")
    engine.settings.threshold = 1.0
    engine.settings.clarify = False  # a fallback, not a clarifying question
    cid = engine.new_conversation()
    assert engine.reply(cid, "흠").bot.text == "새로 쓴 대답이에요"


def test_label_and_confirm_are_recorded_and_counted(engine):
    cid = engine.new_conversation()
    reply = engine.reply(cid, "시험 망쳤어ㅠㅠ")
    assert engine.new_label_count() == 0
    engine.label(reply.user.id, "intent", "worry")
    engine.confirm(reply.user.id, "emotion")
    msg = engine.store.message(reply.user.id)
    assert msg.labels["intent"] == "worry" and msg.label_sources == {"intent": "user", "emotion": "confirmed"}
    assert msg.labels["emotion"] == reply.user.predictions["emotion"]["label"]
    assert engine.new_label_count() == 1  # one message, however many of its badges were set


@pytest.mark.parametrize(
    "head,value,match", [("intent", "nope", "unknown intent label"), ("topic", "x", "unknown label head")]
)
def test_bad_labels_are_refused(engine, head, value, match):
    cid = engine.new_conversation()
    reply = engine.reply(cid, "안녕")
    with pytest.raises(InputError, match=match):
        engine.label(reply.user.id, head, value)
    with pytest.raises(InputError, match="only user messages"):
        engine.label(reply.bot.id, "intent", "greeting")


def test_a_broken_active_model_falls_back_to_the_previous_version(model_home, tiny_model_dir):
    older = install_model(model_home, tiny_model_dir)
    newer = install_model(model_home, tiny_model_dir)
    with Store.open(paths.database_path(model_home)) as store:
        broken = store.model_version(newer).path
    data = (broken / "model.safetensors").read_bytes()
    (broken / "model.safetensors").write_bytes(data[:100])  # truncated by a crash or a full disk
    eng = ChatEngine.open(model_home, device="cpu")
    try:
        assert eng.model_version == older
        assert eng.model_warning and newer in eng.model_warning
        assert eng.registry.active().id == older
    finally:
        eng.close()


def test_no_loadable_model_is_a_clear_error(model_home):
    for folder in paths.models_dir(model_home).iterdir():
        shutil.rmtree(folder)
    with pytest.raises(ModelError, match="no model version could be loaded"):
        ChatEngine.open(model_home, device="cpu")


def test_activate_and_rollback_switch_the_live_model(model_home, tiny_model_dir):
    first = ChatEngine.open(model_home, device="cpu")
    try:
        old = first.model_version
        new = install_model(model_home, tiny_model_dir, activate=False)
        assert first.activate(new).active and first.model_version == new
        assert first.rollback().id == old and first.model_version == old
    finally:
        first.close()
