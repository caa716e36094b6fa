"""Teaching an answer from the chat ("이렇게 답해 줘") and stopping one ("이 답변 그만"): both apply from the
next message on, without retraining, and both can be undone through the answer CRUD."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from kobert_chat import paths
from kobert_chat.engine import ChatEngine
from kobert_chat.errors import InputError
from kobert_chat.store import Store
from tests.helpers.cli import run

TAUGHT = "시험 끝났으면 오늘은 푹 쉬어! 결과는 그다음에 생각하자."


def test_a_taught_answer_is_the_reply_to_the_same_message_next_time(engine: ChatEngine):
    first = engine.send(None, "드디어 기말고사 끝났다")
    assert first.bot.text != TAUGHT
    answer = engine.teach_answer(first.user.id, TAUGHT)
    assert (answer.origin, answer.in_pool, answer.level, answer.links) == ("taught", False, "casual", 1)
    again = engine.reply(first.conversation_id, "드디어 기말고사 끝났다")
    assert again.bot.text == TAUGHT and again.path == "linked" and again.answer_id == answer.id
    assert again.link.source == "taught" and again.link.similarity == 1.0
    elsewhere = engine.send(None, "드디어 기말고사 끝났다")  # a new conversation too
    assert elsewhere.bot.text == TAUGHT
    with Store.open(paths.database_path(engine.home)) as fresh:  # really on disk
        [link] = fresh.links(answer_id=answer.id)
    assert (link.text, link.message_id, link.source) == ("드디어 기말고사 끝났다", first.user.id, "taught")


def test_it_is_filed_under_the_users_labels_else_the_prediction(engine: ChatEngine):
    unlabeled = engine.send(None, "비 와서 우울하다")
    predicted = unlabeled.predictions["intent"].label
    taught = engine.teach_answer(unlabeled.user.id, "비 오는 날은 따뜻한 차 한잔 어때?")
    [link] = engine.answer_links(taught.id)
    assert (taught.intent, link.intent, link.intent_from) == (predicted, predicted, "model")
    assert taught.emotion == unlabeled.predictions["emotion"].label
    labeled = engine.send(None, "오늘 발표 망쳤어")
    engine.label(labeled.user.id, "intent", "worry")
    engine.label(labeled.user.id, "emotion", "sadness")
    answer = engine.teach_answer(labeled.user.id, "많이 속상했겠다. 그래도 끝까지 해낸 거 대단해.")
    [link] = engine.answer_links(answer.id)
    assert (answer.intent, answer.emotion, link.intent, link.intent_from) == (
        "worry",
        "sadness",
        "worry",
        "label",
    )
    engine.label(labeled.user.id, "intent", "complaint")  # a later correction moves the link with it
    assert engine.answer_links(answer.id)[0].intent == "complaint"


def test_taught_answers_are_listed_and_undone_through_the_answer_crud(engine: ChatEngine):
    first = engine.send(None, "드디어 기말고사 끝났다")
    answer = engine.teach_answer(first.user.id, TAUGHT)
    assert [a.id for a in engine.answers(origin="taught")] == [answer.id]
    engine.update_answer(answer.id, enabled=False)
    assert engine.send(None, "드디어 기말고사 끝났다").bot.text != TAUGHT
    engine.update_answer(answer.id, enabled=True)
    assert engine.send(None, "드디어 기말고사 끝났다").bot.text == TAUGHT
    engine.delete_answer(answer.id)
    assert engine.send(None, "드디어 기말고사 끝났다").bot.text != TAUGHT
    assert engine.answers(origin="taught") == []


def test_a_taught_answer_does_not_answer_other_messages_of_its_intent(engine: ChatEngine):
    first = engine.send(None, "드디어 기말고사 끝났다")
    engine.teach_answer(first.user.id, TAUGHT)
    engine.save_settings(replace(engine.settings, threshold=0.0, margin=0.0, clarify=False))
    intent = first.predictions["intent"].label
    others = [r for r in (engine.send(None, t) for t in ["안녕", "고마워", "배고파", "심심해", "너 누구야"])]
    assert all(r.bot.text != TAUGHT for r in others if r.predictions["intent"].label == intent)


def test_a_stopped_answer_is_not_chosen_again(engine: ChatEngine):
    engine.save_settings(replace(engine.settings, threshold=0.0, margin=0.0, clarify=False))
    cid = engine.new_conversation()
    first = engine.reply(cid, "안녕하세요")
    stopped = engine.stop_answer(first.answer_id)
    assert not stopped.enabled
    texts = [engine.reply(cid, "안녕하세요").bot.text for _ in range(40)]
    assert stopped.text not in texts
    engine.update_answer(stopped.id, enabled=True)  # undo from the answer editor
    assert engine.answer(stopped.id).enabled


def test_teaching_refuses_what_it_cannot_do(engine: ChatEngine):
    reply = engine.send(None, "드디어 기말고사 끝났다")
    with pytest.raises(InputError, match="your own messages"):
        engine.teach_answer(reply.bot.id, TAUGHT)
    with pytest.raises(InputError, match="needs some text"):
        engine.teach_answer(reply.user.id, "   ")
    crisis = engine.send(None, "그냥 죽고 싶어")
    with pytest.raises(InputError, match="109"):
        engine.teach_answer(crisis.user.id, "힘내!")
    assert engine.answers(origin="taught") == []
    assert engine.send(None, "그냥 죽고 싶어").crisis  # and the crisis line stays


def test_the_bubble_a_reply_is_on_tells_which_message_to_teach_for(engine: ChatEngine):
    reply = engine.send(None, "드디어 기말고사 끝났다")
    assert engine.taught_for(reply.bot.id).id == reply.user.id
    engine.save_settings(replace(engine.settings, threshold=0.99, margin=0.99))
    asked = engine.send(None, "요즘 좀 그래")
    assert asked.path == "clarify"
    done = engine.answer_clarification(asked.bot.id, asked.clarify_options[0])
    assert engine.taught_for(done.bot.id).id == asked.user.id  # the answer after the question too
    with pytest.raises(InputError):
        engine.taught_for(reply.user.id)


def test_the_last_crisis_line_cannot_be_lost_to_stopping(engine: ChatEngine):
    for answer in engine.answers(enabled_only=True):
        if answer.kind == "crisis":
            engine.stop_answer(answer.id)
    reply = engine.send(None, "그냥 죽고 싶어")
    assert reply.crisis and "109" in reply.bot.text and reply.path == "crisis"


def test_the_terminal_chat_teaches_and_stops_too(model_home: Path):
    lines = (
        "드디어 기말고사 끝났다\n/teach "
        + TAUGHT
        + "\n드디어 기말고사 끝났다\n/stop\n드디어 기말고사 끝났다\n/quit\n"
    )
    result = run(model_home, "chat", stdin=lines)
    assert result.code == 0, result
    assert "배웠어요" in result.out and "이 답변은 이제 쓰지 않을게요" in result.out
    with Store.open(paths.database_path(model_home)) as store:
        [conversation] = store.conversations()
        bots = [m.text for m in store.messages(conversation.id) if m.role == "bot"]
        [taught] = store.answers(origin="taught", enabled_only=False)
    assert bots[1] == TAUGHT and bots[2] != TAUGHT and not taught.enabled
