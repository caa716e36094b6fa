"""Example-linked answers: Q/A pair files become answers tied to their questions, and a message close
enough to a question (within the predicted intent, or the very same text anywhere) gets its answer."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from kobert_chat import paths
from kobert_chat.engine import ChatEngine
from kobert_chat.errors import InputError
from kobert_chat.import_export import import_file
from kobert_chat.linked_answers import LinkIndex, grams
from kobert_chat.settings import Settings
from kobert_chat.store import AnswerLink, Store
from kobert_chat.store.links import NewLink
from tests.helpers.cli import run

QA = Path(__file__).resolve().parent / "data" / "qa_pairs.csv"
# (question in qa_pairs.csv, how a user might ask it instead)
PARAPHRASES = [
    ("너 이름이 뭐야?", "네 이름은 뭐야"),
    ("너는 어디에 살아?", "너 어디 살아?"),
    ("답변은 어떻게 고쳐요?", "답변 어떻게 고쳐?"),
    ("오늘 저녁 뭐 먹지?", "저녁 뭐 먹지"),
    ("주말에 뭐 하면 좋을까?", "이번 주말에 뭐 하면 좋을까"),
    ("면접이 내일인데 너무 떨려요", "내일 면접이라 너무 떨려"),
    ("고양이가 밥을 안 먹어요", "우리 고양이가 밥을 안 먹어"),
    ("비 오는 날 듣기 좋은 노래 추천해 줘", "비 오는 날 듣기 좋은 노래 추천해줘요"),
]
UNRELATED = ["오늘 회사에서 칭찬받았어", "배터리가 다 됐네", "고마워 정말", "시험 끝나서 너무 좋다"]


def links(*rows: tuple[str, str]) -> list[AnswerLink]:
    return [
        AnswerLink(i, 100 + i, text, intent, "label", None, None, "test", "")
        for i, (text, intent) in enumerate(rows, 1)
    ]


# -- the similarity index (no model) -----------------------------------------------------------------


def test_paraphrases_are_near_and_unrelated_lines_are_not():
    index = LinkIndex(links(*[(q, "x") for q, _ in PARAPHRASES]))
    threshold = Settings().link_threshold
    for question, paraphrase in PARAPHRASES:
        [best] = index.search(paraphrase, ["x"], limit=1)
        assert best.link.text == question and best.similarity >= threshold, (paraphrase, best)
    for line in UNRELATED:
        best = index.search(line, ["x"], limit=1)
        assert not best or best[0].similarity < threshold, (line, best)


def test_only_the_given_intents_are_searched_except_for_the_same_text():
    index = LinkIndex(links(("너 이름이 뭐야?", "about_bot"), ("점심 뭐 먹지?", "smalltalk")))
    assert [m.link.intent for m in index.search("네 이름은 뭐야", ["smalltalk"])] == ["smalltalk"]
    assert [m.link.text for m in index.search("네 이름은 뭐야", ["about_bot"])] == ["너 이름이 뭐야?"]
    nearest = index.search("네 이름은 뭐야")  # no intents given: all of them
    assert [m.link.text for m in nearest] == ["너 이름이 뭐야?", "점심 뭐 먹지?"]
    assert nearest[0].similarity > 2 * nearest[1].similarity
    [same] = index.search(" 너 이름이 뭐야?", ["greeting"])  # the same text (up to spacing) in any intent
    assert same.link.text == "너 이름이 뭐야?" and same.similarity == 1.0


def test_spacing_laughter_and_punctuation_do_not_change_what_is_compared():
    assert set(grams("다크모드 있어?ㅋㅋ")) & set(grams("다크 모드 있어")) >= {"j다크", "j크모", "j모드"}
    assert grams("안녕!!!") == grams("안녕")


# -- importing Q/A files --------------------------------------------------------------------------------


def test_a_qa_file_becomes_linked_answers_and_says_how_its_labels_were_mapped(engine: ChatEngine):
    result = engine.import_file(QA)
    assert result.rejected == [] and result.pairs == 8 and result.pair_answers == 8
    assert result.mapped_labels == {
        "about_bot": "about_bot",
        "챗봇 질문": "about_bot",
        "help": "help",
        "고민상담": "worry",
    }
    assert dict(result.predicted_labels) == {"0": 2, "": 1, "1": 1}  # no intent: the model files them
    assert sum(result.predicted_intents.values()) == 4 and result.model_version == engine.model_version
    assert result.pair_examples == 4  # the labeled questions also train the next model
    imported = engine.answers(origin="import")
    assert len(imported) == 8 and all(a.links == 1 and not a.in_pool and a.kind == "answer" for a in imported)
    by_text = {a.text: a for a in imported}
    assert by_text["내 이름은 코버트챗이야. 편하게 불러 줘!"].level == "casual"
    assert by_text["하루 넘게 안 먹으면 동물병원에 꼭 데려가 보세요."].level == "polite"
    [link] = engine.answer_links(by_text["답변 창에서 고칠 답을 골라 바꾸면 바로 적용돼요."].id)
    assert (link.text, link.intent, link.intent_from, link.source) == (
        "답변은 어떻게 고쳐요?",
        "help",
        "label",
        "import:qa_pairs.csv",
    )
    [guessed] = engine.answer_links(by_text["오늘은 뜨끈한 김치찌개 어때?"].id)
    predicted = engine.classifier.predict("오늘 저녁 뭐 먹지?")["intent"].label
    assert (guessed.intent, guessed.intent_from, guessed.model_version) == (
        predicted,
        "model",
        engine.model_version,
    )
    again = engine.import_file(QA)  # nothing twice
    assert (again.pairs, again.pair_answers, again.duplicates) == (0, 0, 8)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("pairs.tsv", "질문\t답변\n너 이름이 뭐야?\t코버트챗이라고 해요.\n"),
        (
            "pairs.jsonl",
            '{"question": "너 이름이 뭐야?", "answer": "코버트챗이라고 해요.", "intent": "about_bot"}\n',
        ),
        ("pairs.csv", "q,a,level\n너 이름이 뭐야?,코버트챗이라고 해요.,존댓말\n"),
    ],
)
def test_pair_files_in_every_format_and_column_naming(
    engine: ChatEngine, tmp_path: Path, name: str, content: str
):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    result = engine.import_file(path)
    assert result.pairs == 1 and result.rejected == []
    [answer] = engine.answers(origin="import")
    assert answer.text == "코버트챗이라고 해요." and answer.level == "polite"
    assert engine.send(None, "너 이름이 뭐야?").bot.text == "코버트챗이라고 해요."  # same text: any intent


def test_bad_pair_rows_are_rejected_with_their_line_and_the_rest_kept(engine: ChatEngine, tmp_path: Path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "Q,A,label,level\n,빈 질문,,\n좋은 질문,좋은 답이에요,,\n질문,답,,격식체\n", encoding="utf-8"
    )
    result = engine.import_file(path)
    assert result.pairs == 1
    assert [line for line, _ in result.rejected] == [2, 4] and "unknown level" in result.rejected[1][1]


def test_without_a_model_unlabeled_pairs_are_refused_one_by_one(home: Path):
    with Store.open(paths.database_path(home)) as store:
        result = import_file(QA, store)  # no way to predict an intent here
        assert result.pairs == 4 and len(result.rejected) == 4
        assert all("no model to predict" in reason for _, reason in result.rejected)


# -- replying ---------------------------------------------------------------------------------------------


def test_a_paraphrased_question_gets_its_linked_answer_and_an_unrelated_one_does_not(engine: ChatEngine):
    engine.import_file(QA)
    answers = {
        link.text: a.text for a in engine.answers(origin="import") for link in engine.answer_links(a.id)
    }
    filed = {
        link.text: link.intent for a in engine.answers(origin="import") for link in engine.answer_links(a.id)
    }
    # replies search the intent the model predicts; the tiny test model must agree on most paraphrases
    same_intent = [(q, p) for q, p in PARAPHRASES if engine.classifier.predict(p)["intent"].label == filed[q]]
    assert len(same_intent) >= 3, same_intent
    for question, paraphrase in same_intent:
        reply = engine.send(None, paraphrase)
        assert reply.path == "linked" and reply.bot.text == answers[question], (paraphrase, reply.bot.text)
        assert reply.link.example == question and reply.link.similarity >= engine.settings.link_threshold
        assert reply.bot.details["path"] == "linked" and reply.bot.details["link"]["example"] == question
    for line in UNRELATED:
        reply = engine.send(None, line)
        assert reply.path != "linked" and reply.bot.text not in answers.values(), line


def test_linked_answers_never_join_the_intent_pool(engine: ChatEngine):
    engine.import_file(QA)
    imported = {a.text for a in engine.answers(origin="import")}
    cid = engine.new_conversation()
    texts = [engine.reply(cid, line).bot.text for line in ["너 진짜 똑똑하다", "고마워", "안녕하세요"] * 4]
    assert not imported & set(texts)


def test_the_threshold_setting_decides_and_the_same_text_always_matches(engine: ChatEngine):
    engine.import_file(QA)
    engine.save_settings(replace(engine.settings, link_threshold=1.0))
    reply = engine.send(None, "저녁 뭐 먹지")
    assert reply.path != "linked"
    exact = engine.send(None, "오늘 저녁 뭐 먹지?")
    assert exact.path == "linked" and exact.link.similarity == 1.0
    with pytest.raises(InputError, match="link_threshold"):
        engine.save_settings(replace(engine.settings, link_threshold=1.5))


def test_a_disabled_or_deleted_linked_answer_is_not_given(engine: ChatEngine):
    engine.import_file(QA)
    [answer] = [a for a in engine.answers(origin="import") if a.text.startswith("오늘은 뜨끈한")]
    engine.update_answer(answer.id, enabled=False)
    assert engine.send(None, "오늘 저녁 뭐 먹지?").path != "linked"
    engine.update_answer(answer.id, enabled=True)
    assert engine.send(None, "오늘 저녁 뭐 먹지?").path == "linked"
    engine.delete_answer(answer.id)  # its links go with it, and the index notices
    assert engine.send(None, "오늘 저녁 뭐 먹지?").path != "linked"
    assert engine.store.links(answer_id=answer.id) == []


def test_examples_filed_by_another_model_follow_the_model_in_use(engine: ChatEngine):
    answer_id = engine.store.add_answer("아무 답", intent="greeting", origin="import", in_pool=False)
    [link_id] = engine.store.add_links(
        [NewLink(answer_id, "오늘 저녁 뭐 먹지?", "greeting", "model", "import:x.csv", model_version="gone")]
    )
    engine.load_active_model()
    link = engine.store.link(link_id)
    assert link.model_version == engine.model_version
    assert link.intent == engine.classifier.predict("오늘 저녁 뭐 먹지?")["intent"].label


def test_predict_json_says_which_path_each_text_takes(model_home: Path):
    imported = run(model_home, "import", QA)
    assert imported.code == 0, imported
    assert "label '챗봇 질문' -> intent about_bot" in imported.out and "question/answer pairs" in imported.out
    result = run(model_home, "predict", "--json", "너 이름이 뭐야?", "요즘 죽고 싶어")
    assert result.code == 0, result
    linked, crisis = json.loads(result.out)["predictions"]
    assert linked["reply"]["path"] == "linked" and linked["reply"]["link"]["similarity"] == 1.0
    assert linked["reply"]["link"]["example"] == "너 이름이 뭐야?" and linked["reply"]["answer"].startswith(
        "내 이름은"
    )
    assert crisis["reply"]["path"] == "crisis" and "109" in crisis["reply"]["answer"]
    assert linked["intent"]["label"] and crisis["reply"]["link"] is None
