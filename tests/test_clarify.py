"""The clarifying question: an uncertain intent makes the bot ask which of its top two it is; the
user's pick labels their message (as a correction would) and gets an answer for that intent."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from kobert_chat import clarify, paths
from kobert_chat.engine import ChatEngine
from kobert_chat.errors import InputError
from kobert_chat.store import Store
from tests.helpers.cli import run


@pytest.fixture
def unsure_engine(engine: ChatEngine) -> ChatEngine:
    """The tiny model with a confidence bar nothing clears: every message is uncertain."""
    engine.save_settings(replace(engine.settings, threshold=0.99, margin=0.99))
    return engine


def test_an_uncertain_intent_is_asked_about_with_its_top_two(unsure_engine: ChatEngine):
    reply = unsure_engine.send(None, "요즘 좀 그래")
    top = [label for label, _ in reply.predictions["intent"].top[:2]]
    assert reply.reason == "clarify" and list(reply.clarify_options) == top
    assert reply.bot.text.startswith("혹시 ") and reply.bot.text.endswith(
        "얘기야?"
    )  # asked in 반말, as the user
    polite = unsure_engine.send(None, "요즘 좀 그래요")
    assert polite.reason == "clarify" and polite.bot.text.endswith("얘기예요?")
    assert reply.bot.answer_id is None and reply.bot.details["clarify"] == {"options": top, "chosen": None}


def test_a_pick_records_the_label_and_answers_for_that_intent(unsure_engine: ChatEngine):
    reply = unsure_engine.send(None, "요즘 좀 그래")
    pick = reply.clarify_options[1]
    done = unsure_engine.answer_clarification(reply.bot.id, pick)
    with Store.open(paths.database_path(unsure_engine.home)) as fresh:  # really on disk
        user = fresh.message(reply.user.id)
        answer = fresh.message(done.bot.id)
        question = fresh.message(reply.bot.id)
    assert user.labels == {"intent": pick} and user.label_sources == {"intent": "user"}
    assert question.details["clarify"]["chosen"] == pick
    assert answer.role == "bot" and answer.answer_id is not None
    assert unsure_engine.store.answer(answer.answer_id).intent == pick  # answered for the chosen intent
    assert unsure_engine.new_label_count() == 1
    with pytest.raises(InputError, match="already answered"):
        unsure_engine.answer_clarification(reply.bot.id, pick)


def test_picks_outside_the_choices_and_plain_replies_are_refused(unsure_engine: ChatEngine):
    reply = unsure_engine.send(None, "요즘 좀 그래")
    other = next(i for i, _ in unsure_engine.label_sets()["intent"] if i not in reply.clarify_options)
    with pytest.raises(InputError, match="not one of the choices"):
        unsure_engine.answer_clarification(reply.bot.id, other)
    with pytest.raises(InputError, match="not a clarifying question"):
        unsure_engine.answer_clarification(reply.user.id, reply.clarify_options[0])


def test_no_second_question_while_one_is_open_and_the_setting_turns_it_off(unsure_engine: ChatEngine):
    first = unsure_engine.send(None, "요즘 좀 그래")
    second = unsure_engine.send(first.conversation_id, "음 모르겠다")  # not an answer to the question
    assert second.reason == "low_confidence" and not second.clarify_options
    unsure_engine.save_settings(replace(unsure_engine.settings, clarify=False))
    third = unsure_engine.send(None, "요즘 좀 그래")
    assert third.reason == "low_confidence" and third.bot.answer_id is not None


def test_question_wording_in_both_speech_levels():
    assert clarify.question(["love", "breakup"]) == "혹시 연애 얘기예요, 아니면 이별 얘기예요?"
    assert (
        clarify.question(["worry", "about_bot"], level="casual")
        == "혹시 고민 얘기야, 아니면 나에 대한 얘기야?"
    )


def test_terminal_chat_answers_a_question_by_its_number(model_home: Path):
    (model_home / "settings.json").write_text(
        json.dumps({"threshold": 0.99, "margin": 0.99}), encoding="utf-8"
    )
    result = run(model_home, "chat", stdin="요즘 좀 그래\n2\n/quit\n")
    assert result.code == 0, result
    assert "혹시 " in result.out and "1) " in result.out and "2) " in result.out
    with Store.open(paths.database_path(model_home)) as store:
        [conversation] = store.conversations()
        user, question, answer = store.messages(conversation.id)
    assert user.labels["intent"] == question.details["clarify"]["options"][1]
    assert question.details["clarify"]["chosen"] == user.labels["intent"] and answer.answer_id is not None
