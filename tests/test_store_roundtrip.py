"""Never lose a message: whatever text goes in comes back exactly, however long or unusual."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kobert_chat.errors import InputError
from kobert_chat.store import Store

# One Store serves every generated example; each example checks only the rows it wrote.
SHARED_STORE = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("KOBERT_CHAT_HOME", str(tmp_path / "home"))
    s = Store.open(tmp_path / "home" / "roundtrip.db")
    yield s
    s.close()


@pytest.fixture
def conv_id(store):
    return store.create_conversation().id


@SHARED_STORE
@given(user_text=st.text(), bot_text=st.text())
def test_any_text_round_trips(store, conv_id, user_text, bot_text):
    user, bot = store.log_turn(conv_id, user_text, {}, None, bot_text, None)
    assert store.message(user.id).text == user_text
    assert store.message(bot.id).text == bot_text


@SHARED_STORE
@given(
    text=st.text(min_size=1).filter(str.strip),
    labels=st.dictionaries(st.text(min_size=1), st.text(), max_size=3),
)
def test_any_example_round_trips(store, text, labels):
    source = "생성된 예문"
    before = store.example_count(source)
    added = store.add_examples([(text, labels)], source)
    stored = [(e.text, e.labels) for e in store.examples(source)]
    assert (text, labels) in stored
    assert store.example_count(source) == before + added


@pytest.mark.parametrize(
    "text",
    [
        "오늘 너무 행복해 😀👨‍👩‍👧‍👦🇰🇷",
        "學而時習之 不亦說乎 (한자 섞인 말)",
        "ㅋㅋㅋ ㅠㅠ ㄱㅏㄴㅏ",  # bare jamo
        unicodedata.normalize("NFD", "한글 자모 분해"),  # must not be re-normalized
        "줄\n바꿈\r\n탭\t끝\x00널\x01\x1b[31m\x7f",
        "\u200b\u200d\ufeff보이지 않는 문자",
        "'; DROP TABLE messages; --",
        "%_\\ 와일드카드",
    ],
)
def test_unusual_text_round_trips_and_is_searchable(store, conv_id, text):
    user, _ = store.log_turn(conv_id, text, {}, None, text, None)
    assert store.message(user.id).text == text
    assert store.messages(conv_id)[0].text == text
    assert [c.id for c in store.conversations(text)] == [conv_id]


def test_very_long_messages_are_stored_whole(store, conv_id):
    long_text = ("가나다라마바사 아자차카타파하 " * 4000) + "끝"  # 60,001 characters
    user, bot = store.log_turn(conv_id, long_text, {}, None, long_text[::-1], None)
    assert len(store.message(user.id).text) == len(long_text)
    assert store.message(user.id).text == long_text
    assert store.message(bot.id).text == long_text[::-1]


def test_predictions_round_trip_with_korean_and_nested_values(store, conv_id):
    predictions = {
        "intent": {"label": "worry", "confidence": 0.4125, "top": [["worry", 0.4125], ["smalltalk", 0.3]]},
        "emotion": {"label": "sadness", "confidence": 1e-9, "top": [["sadness", 1e-9]]},
        "메모": {"설명": "한국어 키도 그대로", "없음": None},
    }
    user, _ = store.log_turn(conv_id, "괜찮을까", predictions, "v0007", "그럼요", None)
    assert store.message(user.id).predictions == predictions
    assert store.message(user.id).model_version == "v0007"


@pytest.mark.parametrize(
    ("user_text", "predictions"),
    [
        ("\ud800 외톨이 서로게이트", {}),  # cannot be encoded as UTF-8
        ("정상", {"intent": {"label": "greeting", "confidence": float("nan")}}),
        ("정상", {"intent": {"label": "greeting", "confidence": object()}}),
        ("정상", ["not", "a", "dict"]),
    ],
)
def test_unstorable_turns_are_refused_without_a_trace(store, conv_id, user_text, predictions):
    with pytest.raises(InputError):
        store.log_turn(conv_id, user_text, predictions, None, "답", None)
    assert store.message_count(conv_id) == 0
    assert store.unlabeled_messages() == []
