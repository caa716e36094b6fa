"""The teaching loop, judged fairly: an exam no fit ever sees, promote on it, the user's own cases as a
regression guard, an inbox that puts the least certain and distinct messages first, and the label doctor.

Real trainings on tiny models; the pure pieces also on constructed cases whose answer is known."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from kobert_chat import exam, paths
from kobert_chat.data.bundled import is_test_text
from kobert_chat.doctor import Case, examine, normalized
from kobert_chat.engine import ChatEngine
from kobert_chat.inbox_ranking import rank
from kobert_chat.labels import EMOTIONS, INTENTS
from kobert_chat.nlu import training as nlu_training
from kobert_chat.nlu.examples import Example
from kobert_chat.nlu.starter import TINY_RECIPE, StarterRecipe, build_starter
from kobert_chat.predictions import HeadPrediction
from kobert_chat.regressions import compare_predictions
from kobert_chat.store import Store
from kobert_chat.training_data import is_user_exam_text, training_data
from kobert_chat.training_job import TrainRequest, run_training
from tests.helpers import install_model, sample_examples

INTENT_IDS = [i for i, _ in INTENTS]
EMOTION_IDS = [e for e, _ in EMOTIONS]
# user messages a person might label; a fixed list, so which of them the hash holds back is fixed too
USER_LINES = [
    f"{i}번째로 하는 말인데 오늘 {topic}"
    for i, topic in enumerate(
        [
            "회사에서 칭찬받았어",
            "시험 망쳤어 ㅠㅠ",
            "남친이랑 싸웠어",
            "그냥 심심해",
            "고마워 진짜",
            "헤어졌어…",
            "너 누가 만들었어?",
            "재학습은 어떻게 해?",
            "배고프다",
            "내일 면접이야 떨려",
        ]
        * 4
    )
]


def label_user_lines(home: Path) -> list[int]:
    """Chat USER_LINES through the engine and label each as a user would; returns message ids."""
    engine = ChatEngine.open(home, device="cpu")
    try:
        ids, cid = [], None
        for i, text in enumerate(USER_LINES):
            reply = engine.send(cid, text)
            cid = reply.conversation_id
            engine.label(reply.user.id, "intent", INTENT_IDS[i % len(INTENT_IDS)])
            ids.append(reply.user.id)
        return ids
    finally:
        engine.close()


# -- the exam ---------------------------------------------------------------------------------------


def test_user_exam_rule_is_a_stable_share_independent_of_the_bundled_split():
    texts = [f"문장 {i}" for i in range(4000)]
    share = sum(map(is_user_exam_text, texts)) / len(texts)
    assert 0.17 <= share <= 0.23
    assert [is_user_exam_text(t) for t in texts] == [is_user_exam_text(t) for t in texts]  # never moves
    both = sum(is_user_exam_text(t) and is_test_text(t) for t in texts) / len(texts)
    assert both == pytest.approx(share * 0.15, abs=0.02)  # independent rules


def test_exam_is_disjoint_from_every_fit(model_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    label_user_lines(model_home)
    imported = tmp_path / "mine.csv"
    with imported.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "intent", "emotion"])
        for i in range(30):
            w.writerow([f"가져온 문장 {i}번 오늘은 날씨가 좋네", "smalltalk", "happiness"])
    engine = ChatEngine.open(model_home, device="cpu")
    engine.import_file(imported)
    engine.close()

    seen: list[list[Example]] = []
    real_train = nlu_training.train

    def spy(model, tokenizer, examples, config, **kw):  # the real training, with its input recorded
        seen.append(list(examples))
        return real_train(model, tokenizer, examples, config, **kw)

    monkeypatch.setattr(nlu_training, "train", spy)
    done = run_training(TrainRequest(mode="quick", epochs=1, device="cpu"), home=model_home)

    with Store.open(paths.database_path(model_home)) as store:
        data = training_data(store)
    fitted = {ex.text for ex in seen[0]}
    assert fitted == {
        ex.text for ex in data.train
    }  # encoder, heads, validation and expert all come from these
    exam_refs = {ex.ref for ex in data.exam}
    assert {r.split(":")[0] for r in exam_refs} == {"bundled", "message", "example"}
    assert not fitted & {ex.text for ex in data.exam}
    assert not {ex.ref for ex in seen[0] if ex.ref != "bundled:train"} & exam_refs
    held = [ex for ex in data.user if ex.ref in {e.ref for e in data.user_exam}]
    assert held and all(is_user_exam_text(ex.text) or is_test_text(ex.text) for ex in held)
    assert len(data.user) == len(USER_LINES) + 30
    assert done.exam is not None and done.n_exam == len(data.exam)
    assert sum(s.n for s in done.exam.user_new.values()) == sum(len(ex.labels) for ex in data.user_exam)


@pytest.fixture(scope="module")
def weak_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real but weak model: 60 lines, one epoch, no TF-IDF expert."""
    folder = tmp_path_factory.mktemp("weak") / "model"
    recipe = StarterRecipe(**{**TINY_RECIPE.__dict__, "epochs": 1, "tfidf": False})
    build_starter(folder, sample_examples(60, seed=3), recipe=recipe, seed=0)
    return folder


def test_activate_promotes_a_model_that_is_better_on_the_exam(home: Path, weak_model_dir: Path):
    before = install_model(home, weak_model_dir)
    done = run_training(TrainRequest(mode="quick", epochs=3, activate=True, device="cpu"), home=home)
    assert done.exam is not None and done.exam.old is not None
    new, old = exam.mean_macro_f1(done.exam.new), exam.mean_macro_f1(done.exam.old)
    assert new > old + 0.05  # all bundled lines and an expert beat 60 lines and one epoch
    assert done.exam.verdict.promote and done.activated
    with Store.open(paths.database_path(home)) as store:
        assert store.active_model_version().id == done.version != before


@pytest.fixture(scope="module")
def exam_seen_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model whose fit saw the exam (trained on the bundled test split too): it does better on the exam
    than any fair retrain can, which is what a worse new model looks like from the decision's side.
    The whole test split and a sample of the training lines: all 16,874 lines cost minutes of expert fits."""
    from kobert_chat.training_data import bundled_examples

    folder = tmp_path_factory.mktemp("seen") / "model"
    build_starter(folder, bundled_examples("test") + sample_examples(1500), recipe=TINY_RECIPE, seed=0)
    return folder


def test_activate_keeps_the_current_model_when_the_new_one_is_worse_on_the_exam(
    home: Path, exam_seen_model_dir: Path
):
    before = install_model(home, exam_seen_model_dir)
    done = run_training(TrainRequest(mode="quick", epochs=2, activate=True, device="cpu"), home=home)
    assert done.exam is not None and done.exam.old is not None
    assert exam.mean_macro_f1(done.exam.new) < exam.mean_macro_f1(done.exam.old) - exam.TOLERANCE
    assert not done.exam.verdict.promote and not done.activated
    assert "below the current model" in (done.not_activated_reason or "")
    with Store.open(paths.database_path(home)) as store:
        assert store.active_model_version().id == before  # the user's model stays
        assert {v.id for v in store.model_versions()} == {before, done.version}  # kept, inactive


def test_decide_is_not_worse_within_tolerance():
    def scores(f1: float) -> exam.Scores:
        return {"intent": exam.HeadScore(100, 80, f1, {})}

    assert exam.decide(scores(0.80), scores(0.80)).promote
    assert exam.decide(scores(0.798), scores(0.80)).promote  # within TOLERANCE
    assert not exam.decide(scores(0.79), scores(0.80)).promote
    assert exam.decide(scores(0.5), None).promote  # nothing to compare with
    assert exam.in_words("감정", exam.HeadScore(100, 78, 0.7, {}), exam.HeadScore(100, 71, 0.6, {})) == (
        "감정: 71% → 78% 맞힘 (시험 문장 100개)"
    )


# -- the regression guard ---------------------------------------------------------------------------


def test_flips_on_a_constructed_case():
    cases = [
        Example("a", {"intent": "greeting"}, ref="message:1"),  # right -> wrong
        Example("b", {"intent": "thanks", "emotion": "happiness"}, ref="message:2"),  # intent wrong -> right
        Example("c", {"intent": "love"}, ref="example:7"),  # wrong -> wrong (other label): no flip
        Example("d", {"intent": "worry"}, ref="message:4"),  # right -> right
    ]
    old = [
        {"intent": "greeting"},
        {"intent": "praise", "emotion": "happiness"},
        {"intent": "breakup"},
        {"intent": "worry"},
    ]
    new = [
        {"intent": "farewell"},
        {"intent": "thanks", "emotion": "neutral"},
        {"intent": "smalltalk"},
        {"intent": "worry"},
    ]
    r = compare_predictions(cases, old, new, exam_refs={"message:2"})
    assert r.cases == 5 and (r.old_wrong, r.new_wrong) == (2, 3)
    assert [(f.ref, f.head, f.old, f.new) for f in r.broke] == [
        ("message:1", "intent", "greeting", "farewell"),
        ("message:2", "emotion", "happiness", "neutral"),
    ]
    assert [(f.ref, f.head, f.exam) for f in r.fixed] == [("message:2", "intent", True)]
    assert r.broke[0].message_id == 1 and r.worse
    assert type(r).from_dict(r.to_dict()) == r


def test_regressions_of_a_real_retrain_match_both_models_predictions(model_home: Path):
    from kobert_chat.nlu.inference import Classifier

    label_user_lines(model_home)
    with Store.open(paths.database_path(model_home)) as store:
        old_folder = store.active_model_version().path
        user = training_data(store).user
    done = run_training(TrainRequest(mode="quick", epochs=2, device="cpu"), home=model_home)
    r = done.regressions
    assert r is not None and r.cases == len(user)  # one intent label each
    old = [p["intent"].label for p in Classifier.load(old_folder, "cpu").predict_many([e.text for e in user])]
    new = [p["intent"].label for p in Classifier.load(done.path, "cpu").predict_many([e.text for e in user])]
    truth = [e.labels["intent"] for e in user]
    assert r.old_wrong == sum(o != t for o, t in zip(old, truth, strict=True))
    assert r.new_wrong == sum(n != t for n, t in zip(new, truth, strict=True))
    broke = {e.ref for e, o, n, t in zip(user, old, new, truth, strict=True) if o == t != n}
    fixed = {e.ref for e, o, n, t in zip(user, old, new, truth, strict=True) if n == t != o}
    assert {f.ref for f in r.broke} == broke and {f.ref for f in r.fixed} == fixed


# -- the inbox ----------------------------------------------------------------------------------------


def _pred(p1: float, p2: float) -> dict[str, HeadPrediction]:
    return {"intent": HeadPrediction("greeting", p1, [("greeting", p1), ("thanks", p2)])}


def test_inbox_puts_the_least_certain_first_and_breaks_up_near_duplicates():
    texts = ["ㅋㅋ 고마워", "ㅋㅋㅋ 고마워", "ㅋㅋ 고마워!", "배고프다", "헤어졌어", "오늘 뭐 하지"]
    preds = [
        _pred(0.40, 0.38),
        _pred(0.41, 0.38),
        _pred(0.42, 0.38),
        _pred(0.50, 0.30),
        _pred(0.9, 0.05),
        _pred(0.6, 0.3),
    ]
    order = [r.item for r in rank(texts, texts, preds)]
    assert order[0] == "ㅋㅋ 고마워"  # the least certain
    assert order[:4] == [
        "ㅋㅋ 고마워",
        "배고프다",
        "오늘 뭐 하지",
        "헤어졌어",
    ]  # distinct ones before the near-copies
    assert set(order[4:]) == {"ㅋㅋㅋ 고마워", "ㅋㅋ 고마워!"}
    assert rank(texts, texts, preds)[0].suggested == {"intent": "greeting"}


# -- the label doctor ---------------------------------------------------------------------------------


def test_doctor_finds_a_planted_conflict_and_a_planted_mislabel():
    cases = [Case("bundled", ex.text, dict(ex.labels)) for ex in sample_examples(1500, seed=5)]
    thanks = [c for c in cases if c.labels["intent"] == "thanks"]
    assert len(thanks) >= 20
    planted_conflict = [
        Case("message:1", "오늘 진짜 고마웠어 너 덕분이야", {"intent": "thanks", "emotion": "happiness"}),
        Case(
            "message:2", "오늘 진짜 고마웠어!! 너 덕분이야", {"intent": "complaint", "emotion": "happiness"}
        ),
    ]
    mislabel = Case(
        "message:3", thanks[0].text + " 정말 감사합니다", {"intent": "breakup", "emotion": "neutral"}
    )
    heads = {"intent": INTENT_IDS, "emotion": EMOTION_IDS}
    findings = examine(cases + planted_conflict + [mislabel], heads)

    conflict = [f for f in findings if f.kind == "conflict" and f.ref in ("message:1", "message:2")]
    assert {f.ref for f in conflict} == {"message:1", "message:2"}
    assert {(f.label, f.suggested) for f in conflict} == {("thanks", "complaint"), ("complaint", "thanks")}
    planted = [f for f in findings if f.ref == "message:3" and f.head == "intent"]
    assert planted and planted[0].kind == "disagreement" and planted[0].suggested == "thanks"
    assert len(planted[0].evidence) == 3 and planted[0].evidence[0].label == "thanks"
    assert normalized("ㅋㅋㅋㅋ 고마워!!") == normalized("ㅋㅋ고마워!")
