"""Store API against real SQLite files: conversations, messages, labels, answers, models, runs, examples."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

from kobert_chat.errors import InputError
from kobert_chat.labels import DEFAULT_HEADS
from kobert_chat.paths import database_path
from kobert_chat.store import MIGRATIONS, Store


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("KOBERT_CHAT_HOME", str(tmp_path / "home"))
    s = Store.open(database_path())
    yield s
    s.close()


def prediction(intent: str, confidence: float) -> dict:
    return {
        "intent": {"label": intent, "confidence": confidence, "top": [[intent, confidence]]},
        "emotion": {"label": "neutral", "confidence": 0.5, "top": [["neutral", 0.5]]},
    }


def turn(store: Store, cid: int, text: str, confidence: float = 0.9, intent: str = "greeting"):
    return store.log_turn(cid, text, prediction(intent, confidence), "v0001", f"답: {text}", None)


# -- label sets -----------------------------------------------------------------------------------


def test_fresh_database_knows_the_default_labels_and_its_schema_version(store):
    assert store.label_sets() == DEFAULT_HEADS
    assert store.schema_version == len(MIGRATIONS)
    assert store.path == database_path()


def test_ensure_labels_appends_new_labels_after_existing_ones(store):
    added = store.ensure_labels("intent", [("weather", "날씨"), ("greeting", "다른 이름"), ("food", "음식")])
    assert added == 2
    intents = store.label_sets()["intent"]
    assert intents[: len(DEFAULT_HEADS["intent"])] == DEFAULT_HEADS["intent"]  # order and names kept
    assert intents[-2:] == [("weather", "날씨"), ("food", "음식")]
    assert store.ensure_labels("intent", [("weather", "날씨")]) == 0

    store.ensure_labels("topic", [("school", "학교"), ("work", "직장")])
    assert list(store.label_sets()) == ["intent", "emotion", "topic"]
    with pytest.raises(InputError):
        store.ensure_labels("topic", [("", "빈 이름")])


# -- conversations --------------------------------------------------------------------------------


def test_conversations_are_listed_by_latest_activity(store):
    first = store.create_conversation()
    second = store.create_conversation("주말 계획")
    assert first.title == "새 대화" and first.message_count == 0
    assert [c.id for c in store.conversations()] == [second.id, first.id]

    turn(store, first.id, "안녕")
    listed = store.conversations()
    assert [c.id for c in listed] == [first.id, second.id]
    assert listed[0].message_count == 2
    assert listed[0].updated_at > first.updated_at


def test_rename_and_missing_conversations(store):
    conv = store.create_conversation()
    renamed = store.rename_conversation(conv.id, "  고민 상담  ")
    assert renamed.title == "고민 상담" == store.conversation(conv.id).title
    with pytest.raises(InputError):
        store.rename_conversation(conv.id, "   ")
    with pytest.raises(InputError):
        store.conversation(999)
    with pytest.raises(InputError):
        store.delete_conversation(999)
    with pytest.raises(InputError):
        store.log_turn(999, "안녕", {}, None, "네", None)


def test_search_matches_titles_and_message_text_ignoring_case(store):
    trip = store.create_conversation("Jeju Trip 계획")
    cat = store.create_conversation()
    plain = store.create_conversation()
    turn(store, cat.id, "우리 고양이가 아파요")
    turn(store, plain.id, "할인 50% 받았어")
    turn(store, plain.id, "file_name 말고")

    assert [c.id for c in store.conversations("jeju trip")] == [trip.id]
    assert [c.id for c in store.conversations("고양이")] == [cat.id]
    assert [c.id for c in store.conversations("답: 우리")] == [cat.id]  # bot replies count too
    # LIKE wildcards are plain characters here
    assert [c.id for c in store.conversations("50%")] == [plain.id]
    assert [c.id for c in store.conversations("e_n")] == [plain.id]
    assert store.conversations("%") == [store.conversation(plain.id)]
    assert store.conversations("없는 말") == []
    assert len(store.conversations("")) == 3


def test_delete_conversation_removes_its_messages_and_labels(store):
    doomed = store.create_conversation()
    kept = store.create_conversation()
    user, _ = turn(store, doomed.id, "지울 대화")
    other, _ = turn(store, kept.id, "남길 대화")
    store.set_label(user.id, "intent", "smalltalk")
    store.set_label(other.id, "intent", "greeting")

    store.delete_conversation(doomed.id)
    assert [c.id for c in store.conversations()] == [kept.id]
    assert store.messages(doomed.id) == []
    with pytest.raises(InputError):
        store.message(user.id)
    assert [m.id for m in store.labeled_messages()] == [other.id]
    assert store.labels_since(None) == 1


# -- messages -------------------------------------------------------------------------------------


def test_log_turn_stores_both_messages_with_their_details(store):
    conv = store.create_conversation()
    answer_id = store.add_answer("안녕하세요!", intent="greeting")
    user, bot = store.log_turn(
        conv.id, "안녕", prediction("greeting", 0.93), "v0002", "안녕하세요!", answer_id
    )

    assert (user.role, user.text, user.model_version) == ("user", "안녕", "v0002")
    assert user.predictions == prediction("greeting", 0.93)
    assert (bot.role, bot.text, bot.answer_id) == ("bot", "안녕하세요!", answer_id)
    assert bot.id > user.id and bot.created_at > user.created_at
    assert store.messages(conv.id) == [user, bot]
    assert store.message(user.id) == user
    assert store.message_count(conv.id) == 2
    assert store.conversation(conv.id).updated_at == bot.created_at


def test_a_failed_turn_leaves_nothing_behind(store):
    conv = store.create_conversation()
    with pytest.raises(InputError):
        store.log_turn(conv.id, "안녕", {}, None, "답", answer_id=12345)  # no such answer
    with pytest.raises(RuntimeError), store.transaction():
        turn(store, conv.id, "저장되면 안 되는 말")
        raise RuntimeError("crash between steps")
    assert store.message_count(conv.id) == 0
    assert store.conversation(conv.id).updated_at == conv.updated_at


def test_paging_through_ten_thousand_messages(store):
    conv = store.create_conversation()
    with store.transaction():
        for i in range(5000):
            store.log_turn(conv.id, f"질문 {i}", {}, None, f"대답 {i}", None)
    assert store.message_count(conv.id) == 10_000
    first = store.messages(conv.id, limit=3)
    assert [m.text for m in first] == ["질문 0", "대답 0", "질문 1"]
    page = store.messages(conv.id, offset=9_900, limit=200)
    assert len(page) == 100 and page[-1].text == "대답 4999"
    ids = [m.id for m in page]
    assert ids == sorted(ids)
    assert store.conversations()[0].message_count == 10_000
    with pytest.raises(InputError):
        store.messages(conv.id, offset=-1)


def test_timestamps_are_utc_iso_with_microseconds(store):
    conv = store.create_conversation()
    user, bot = turn(store, conv.id, "몇 시야")
    for ts in (conv.created_at, user.created_at, bot.created_at):
        parsed = datetime.fromisoformat(ts)
        assert parsed.utcoffset() == timezone.utc.utcoffset(None)
        assert len(ts.split(".")[1].split("+")[0]) == 6


# -- labels on messages ---------------------------------------------------------------------------


def test_set_label_records_value_source_and_time(store):
    conv = store.create_conversation()
    user, bot = turn(store, conv.id, "고마워", intent="greeting")

    corrected = store.set_label(user.id, "intent", "thanks")
    assert corrected.labels == {"intent": "thanks"} and corrected.label_sources == {"intent": "user"}
    confirmed = store.set_label(user.id, "emotion", "neutral", source="confirmed")
    assert confirmed.labels == {"intent": "thanks", "emotion": "neutral"}
    assert confirmed.label_sources == {"intent": "user", "emotion": "confirmed"}
    assert confirmed.labeled_at["emotion"] > confirmed.labeled_at["intent"]

    relabeled = store.set_label(user.id, "intent", "praise", source="confirmed")
    assert relabeled.labels["intent"] == "praise" and relabeled.label_sources["intent"] == "confirmed"
    cleared = store.clear_label(user.id, "intent")
    assert cleared.labels == {"emotion": "neutral"} and "intent" not in cleared.labeled_at
    assert store.message(user.id) == cleared


def test_set_label_rejects_what_cannot_be_a_label(store):
    conv = store.create_conversation()
    user, bot = turn(store, conv.id, "안녕")
    for args, kwargs in [
        ((user.id, "intent", "no_such_label"), {}),
        ((user.id, "mood", "happy"), {}),
        ((user.id, "intent", "thanks"), {"source": "guess"}),
        ((bot.id, "intent", "thanks"), {}),  # the bot's own replies are not training data
        ((98765, "intent", "thanks"), {}),
    ]:
        with pytest.raises(InputError):
            store.set_label(*args, **kwargs)
    assert store.labels_since(None) == 0
    store.ensure_labels("mood", [("happy", "좋음")])
    assert store.set_label(user.id, "mood", "happy").labels == {"mood": "happy"}


def test_labeled_messages_and_labels_since(store):
    conv = store.create_conversation()
    a, _ = turn(store, conv.id, "첫째")
    b, _ = turn(store, conv.id, "둘째")
    turn(store, conv.id, "셋째")
    store.set_label(b.id, "intent", "smalltalk")
    checkpoint = store.set_label(a.id, "intent", "greeting").labeled_at["intent"]
    store.set_label(b.id, "emotion", "happiness", source="confirmed")

    assert [m.id for m in store.labeled_messages()] == [a.id, b.id]  # oldest first
    assert [m.id for m in store.labeled_messages(since=checkpoint)] == [b.id]
    assert store.labels_since(None) == 3
    assert store.labels_since(checkpoint) == 1
    # the same instant written another way counts the same
    as_z = datetime.fromisoformat(checkpoint).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert store.labels_since(as_z) == 1
    with pytest.raises(InputError):
        store.labels_since("어제")


def test_inbox_lists_unlabeled_user_messages_least_confident_first(store):
    conv = store.create_conversation()
    sure, _ = turn(store, conv.id, "확실", 0.95)
    unsure, _ = turn(store, conv.id, "애매", 0.21)
    middle, _ = turn(store, conv.id, "중간", 0.5)
    labeled, _ = turn(store, conv.id, "이미 고침", 0.05)
    tie, _ = turn(store, conv.id, "동점", 0.5)
    store.set_label(labeled.id, "intent", "worry")

    inbox = store.unlabeled_messages()
    assert [m.id for m in inbox] == [unsure.id, middle.id, tie.id, sure.id]
    assert all(m.role == "user" for m in inbox)
    assert [m.id for m in store.unlabeled_messages(limit=2)] == [unsure.id, middle.id]


# -- answers --------------------------------------------------------------------------------------


def test_answers_can_be_added_filtered_edited_and_deleted(store):
    hello = store.add_answer("반가워요!", intent="greeting")
    sad = store.add_answer("많이 속상했겠어요.", intent="worry", emotion="sadness", weight=2.5)
    unsure = store.add_answer("잘 이해하지 못했어요.", kind="fallback")
    crisis = store.add_answer("자살예방상담전화 109에 전화해 주세요.", kind="crisis")

    assert store.answer_count() == 4
    assert [a.id for a in store.answers(intent="worry")] == [sad]
    assert [a.id for a in store.answers(intent="worry", emotion="happiness")] == []
    assert [a.id for a in store.answers(kind="fallback")] == [unsure]
    assert store.answers(kind="crisis")[0].text.endswith("전화해 주세요.")
    assert store.answer(sad).weight == 2.5 and store.answer(sad).emotion == "sadness"

    edited = store.update_answer(hello, text="어서 오세요!", emotion="happiness", weight=3)
    assert (edited.text, edited.intent, edited.emotion, edited.weight) == (
        "어서 오세요!",
        "greeting",
        "happiness",
        3.0,
    )
    assert store.update_answer(hello, emotion=None).emotion is None

    store.update_answer(sad, enabled=False)
    assert sad not in [a.id for a in store.answers()]
    assert store.answer(sad).enabled is False
    assert sad in [a.id for a in store.answers(enabled_only=False)]

    store.delete_answer(crisis)
    assert store.answer_count() == 3
    with pytest.raises(InputError):
        store.delete_answer(crisis)


def test_bad_answers_are_refused(store):
    hello = store.add_answer("안녕!", intent="greeting")
    for kwargs in [
        {"text": "   ", "intent": "greeting"},
        {"text": "의도 없음"},  # kind 'answer' needs an intent
        {"text": "x", "intent": "no_such_intent"},
        {"text": "x", "intent": "greeting", "emotion": "bored"},
        {"text": "x", "kind": "joke"},
        {"text": "x", "intent": "greeting", "weight": 0},
        {"text": "x", "intent": "greeting", "weight": float("nan")},
    ]:
        with pytest.raises(InputError):
            store.add_answer(**kwargs)
    with pytest.raises(InputError):
        store.update_answer(hello, intent=None)
    with pytest.raises(InputError):
        store.update_answer(4242, text="없는 답")
    assert [a.text for a in store.answers(enabled_only=False)] == ["안녕!"]


def test_deleting_an_answer_keeps_the_conversation_that_showed_it(store):
    conv = store.create_conversation()
    answer = store.add_answer("좋은 하루!", intent="greeting")
    _, bot = store.log_turn(conv.id, "안녕", {}, None, "좋은 하루!", answer)
    store.delete_answer(answer)
    kept = store.message(bot.id)
    assert kept.text == "좋은 하루!" and kept.answer_id is None


BUNDLE = [
    {"kind": "answer", "intent": "greeting", "emotion": "", "text": "안녕하세요.", "weight": "1"},
    {"kind": "answer", "intent": "thanks", "emotion": "happiness", "text": "천만에요!", "weight": "2"},
    {"kind": "fallback", "intent": "", "emotion": "", "text": "다시 말해 줄래요?", "weight": ""},
]


def test_seed_answers_only_fills_an_empty_table(store):
    assert store.seed_answers(BUNDLE) == 3
    assert store.seed_answers(BUNDLE) == 0
    answers = store.answers(enabled_only=False)
    assert [(a.kind, a.intent, a.emotion, a.weight) for a in answers] == [
        ("answer", "greeting", None, 1.0),
        ("answer", "thanks", "happiness", 2.0),
        ("fallback", None, None, 1.0),
    ]
    with pytest.raises(InputError):
        store.replace_bundled_answers([{"kind": "answer", "intent": "", "text": "의도 빠짐"}])
    assert store.answer_count() == 3  # a bad bundle changes nothing


def test_replacing_the_bundle_keeps_the_users_own_answers(store):
    store.seed_answers(BUNDLE)
    mine = store.add_answer("내가 쓴 답", intent="greeting")
    greeting = store.answers(intent="greeting")[0]
    fallback = store.answers(kind="fallback")[0]
    store.update_answer(fallback.id, enabled=False)  # the user switched this one off

    new_bundle = [{"kind": "answer", "intent": "greeting", "emotion": "", "text": "새 인사"}, *BUNDLE[2:]]
    assert store.replace_bundled_answers(new_bundle) == 1
    texts = {a.text: a.enabled for a in store.answers(enabled_only=False)}
    assert texts == {"내가 쓴 답": True, "새 인사": True, "다시 말해 줄래요?": False}
    assert greeting.text not in texts
    assert store.answer(mine).text == "내가 쓴 답"


# -- model versions and training runs -------------------------------------------------------------


def test_model_versions_register_activate_and_delete(store, tmp_path):
    metrics = {"intent": {"macro_f1": 0.81, "labels": ["greeting", "thanks"]}}
    v1 = store.add_model_version("v0001", tmp_path / "v0001", "starter", None, metrics, 3200, {"epochs": 3})
    assert (v1.id, v1.path, v1.backbone, v1.parent, v1.active) == (
        "v0001",
        tmp_path / "v0001",
        "starter",
        None,
        False,
    )
    assert v1.metrics == metrics and v1.params == {"epochs": 3} and v1.n_train == 3200
    assert store.active_model_version() is None

    store.add_model_version("v0002", tmp_path / "v0002", "kobert", "v0001", {}, 3300, {})
    assert [v.id for v in store.model_versions()] == ["v0002", "v0001"]
    assert store.set_active_model("v0001").active
    assert store.set_active_model("v0002").active
    assert store.active_model_version().id == "v0002"
    assert [v.id for v in store.model_versions() if v.active] == ["v0002"]

    with pytest.raises(InputError):
        store.set_active_model("v9999")
    assert store.active_model_version().id == "v0002"
    with pytest.raises(InputError):
        store.add_model_version("v0001", tmp_path, "starter", None, {}, 0, {})
    with pytest.raises(InputError):
        store.delete_model_version("v0002")  # in use
    store.delete_model_version("v0001")
    assert store.model_version("v0001") is None
    with pytest.raises(InputError):
        store.delete_model_version("v0001")


def test_training_runs_remember_how_they_ended(store):
    assert store.last_training_run() is None
    first = store.start_training_run("quick", {"epochs": 3})
    store.finish_training_run(first, "succeeded", version_id="v0001")
    second = store.start_training_run("full", {"epochs": 2})
    failed = store.finish_training_run(second, "failed", error="메모리 부족")
    third = store.start_training_run("quick", {})

    done = store.last_training_run()
    assert (done.id, done.status, done.version_id, done.params) == (
        first,
        "succeeded",
        "v0001",
        {"epochs": 3},
    )
    assert done.finished_at >= done.started_at
    assert failed.error == "메모리 부족" and store.last_training_run("failed").id == second
    running = store.last_training_run(None)
    assert (running.id, running.status, running.finished_at) == (third, "running", None)
    store.finish_training_run(third, "cancelled")
    assert store.last_training_run("cancelled").id == third
    with pytest.raises(InputError):
        store.finish_training_run(third, "exploded")
    with pytest.raises(InputError):
        store.finish_training_run(777, "failed")


# -- examples -------------------------------------------------------------------------------------


def test_examples_skip_exact_duplicates_and_delete_by_source(store):
    rows = [
        ("안녕하세요", {"intent": "greeting", "emotion": "neutral"}),
        ("고마워요", {"intent": "thanks"}),
        ("안녕하세요", {"emotion": "neutral", "intent": "greeting"}),  # same labels, other order
    ]
    assert store.add_examples(rows, "a.csv") == 2
    assert store.add_examples([("안녕하세요", {"intent": "farewell"}), rows[1]], "b.csv") == 1
    assert store.example_count() == 3

    examples = store.examples()
    assert [(e.text, e.labels, e.source) for e in examples] == [
        ("안녕하세요", {"intent": "greeting", "emotion": "neutral"}, "a.csv"),
        ("고마워요", {"intent": "thanks"}, "a.csv"),
        ("안녕하세요", {"intent": "farewell"}, "b.csv"),
    ]
    datetime.fromisoformat(examples[0].added_at)
    assert store.example_count("b.csv") == 1 and len(store.examples("a.csv")) == 2

    assert store.delete_examples("a.csv") == 2
    assert [e.source for e in store.examples()] == ["b.csv"]
    assert store.delete_examples() == 1 and store.example_count() == 0


def test_a_bad_example_row_adds_none_of_the_batch(store):
    for rows, source in [
        ([("좋아", {"intent": "praise"}), ("", {"intent": "praise"})], "x.csv"),
        ([("좋아", {"intent": "praise"}), ("싫어", {"intent": 3})], "x.csv"),
        ([("좋아", {"intent": "praise"})], "  "),
    ]:
        with pytest.raises(InputError):
            store.add_examples(rows, source)
    assert store.example_count() == 0


def test_messages_and_examples_are_kept_apart(store):
    conv = store.create_conversation()
    turn(store, conv.id, "대화 속 문장")
    store.add_examples([("파일 속 문장", {"intent": "smalltalk"})], "file.csv")
    assert [e.text for e in store.examples()] == ["파일 속 문장"]
    assert store.unlabeled_messages()[0].text == "대화 속 문장"
    assert store.conversations("파일 속") == []


def test_store_closes_cleanly_as_a_context_manager(tmp_path: Path):
    with Store.open(tmp_path / "ctx.db") as s:
        s.create_conversation("닫기 전")
    s.close()  # closing twice is harmless
    with Store.open(tmp_path / "ctx.db") as again:
        assert [c.title for c in again.conversations()] == ["닫기 전"]


@pytest.mark.parametrize("name", ["topic", "sentiment_2", "주제", "mood-ko"])
def test_label_set_names_that_read_back_as_columns_are_accepted(store, name):
    store.ensure_labels(name, [("a", "가")])
    assert name in store.label_sets()


@pytest.mark.parametrize("name", ["kind", "type", "TEXT", "weight", "Topic", "my topic", "", "a" * 41, "x,y"])
def test_label_set_names_an_export_cannot_hold_are_refused(store, name):
    with pytest.raises(InputError, match="label"):
        store.ensure_labels(name, [("a", "a")])
    assert name not in store.label_sets()


def test_examples_keep_their_text_and_find_duplicates_up_to_spacing_and_nfc(store):
    import unicodedata

    nfd = unicodedata.normalize("NFD", " 한글 ")
    assert store.add_examples([(nfd, {"intent": "greeting"})], "a.csv") == 1
    assert (
        store.add_examples([("한글", {"intent": "greeting"}), ("한글\u00a0", {"intent": "greeting"})], "b")
        == 0
    )
    assert store.add_examples([("한글", {"intent": "thanks"})], "b") == 1  # other labels: not a duplicate
    assert [e.text for e in store.examples()] == [nfd, "한글"]
