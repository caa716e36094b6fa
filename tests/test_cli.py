"""The CLI as users and scripts run it: `python main.py ...` in a child process on an isolated home.

Covers predict, chat, models, import/export, bad usage and a corrupt database. Training and
evaluation are in test_cli_train.py.
"""

from __future__ import annotations

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from kobert_chat import paths
from kobert_chat.labels import EMOTIONS, INTENTS
from kobert_chat.store import Store
from tests.helpers import install_model
from tests.helpers.cli import ROOT, assert_bad_input, cli_env, run, run_side_by_side, write_jsonl, write_table

INTENT_IDS = {i for i, _ in INTENTS}
EMOTION_IDS = {e for e, _ in EMOTIONS}


def open_store(home: Path) -> Store:
    return Store.open(paths.database_path(home))


def active_version(home: Path) -> str | None:
    with open_store(home) as store:
        active = store.active_model_version()
        return active.id if active else None


# -- predict and chat ------------------------------------------------------------------------------


def test_predict_prints_a_line_per_text_and_json_for_scripts(model_home: Path):
    texts = ["안녕하세요 반가워요", "오늘 하루 너무 우울했어"]
    plain, as_json = run_side_by_side(model_home, ("predict", *texts), ("predict", *texts, "--json"))

    assert plain.code == 0, plain
    lines = plain.out.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == texts
    assert all("intent=" in line and "emotion=" in line for line in lines)

    assert as_json.code == 0, as_json
    report = json.loads(as_json.out)
    assert report["model_version"] == active_version(model_home)
    assert [p["text"] for p in report["predictions"]] == texts
    for prediction in report["predictions"]:
        assert prediction["intent"]["label"] in INTENT_IDS
        assert prediction["emotion"]["label"] in EMOTION_IDS
        for head in ("intent", "emotion"):
            assert 0.0 <= prediction[head]["confidence"] <= 1.0


@pytest.mark.parametrize("text", ["", "   "])
def test_predict_with_empty_text_is_bad_input(model_home: Path, text: str):
    assert_bad_input(run(model_home, "predict", "좋은 아침", text), "empty")


def test_chat_replies_to_each_line_and_logs_the_conversation(model_home: Path):
    result = run(model_home, "chat", stdin="안녕! 오늘 기분 좋아\n도와줘서 고마워\n")

    assert result.code == 0, result
    assert result.out.count("봇> ") == 2
    assert "Traceback" not in result.err
    with open_store(model_home) as store:
        [conversation] = store.conversations()
        messages = store.messages(conversation.id)
    assert [(m.role, m.text) for m in messages if m.role == "user"] == [
        ("user", "안녕! 오늘 기분 좋아"),
        ("user", "도와줘서 고마워"),
    ]
    assert [m.role for m in messages] == ["user", "bot", "user", "bot"]
    bot_texts = [m.text for m in messages if m.role == "bot"]
    assert all(text in result.out for text in bot_texts)  # what was printed is what was logged
    assert all(m.predictions["intent"]["label"] in INTENT_IDS for m in messages if m.role == "user")


# -- models ----------------------------------------------------------------------------------------


def test_models_list_activate_and_rollback(model_home: Path, tiny_model_dir: Path):
    first = active_version(model_home)
    second = install_model(model_home, tiny_model_dir)  # a newer version, now active

    listing = run(model_home, "models", "list")
    assert listing.code == 0, listing
    marked = {line[2:].split()[0]: line.startswith("*") for line in listing.out.strip().splitlines()}
    assert marked == {first: False, second: True}

    unknown, rolled = run_side_by_side(model_home, ("models", "activate", "v9999"), ("models", "rollback"))
    assert_bad_input(unknown, "v9999")
    assert rolled.code == 0, rolled
    assert first in rolled.out and active_version(model_home) == first

    activated = run(model_home, "models", "activate", second)
    assert activated.code == 0, activated
    assert active_version(model_home) == second


# -- bad usage and a corrupt database --------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("dance",), "'dance'"),
        (("train", "--mode", "nope"), "'nope'"),
        (("train", "--epochs", "0"), "at least 1"),
        (("train", "--epochs", "many"), "whole number"),
        (("train", "--out", "somewhere", "--activate"), "not allowed with"),
        (("predict",), "TEXT"),
        (("evaluate",), "--data"),
        (("models",), "list|activate|rollback"),
        (("models", "delete", "v1"), "'delete'"),
    ],
)
def test_bad_usage_is_one_line_and_exit_2(home: Path, args: tuple, says: str):
    assert_bad_input(run(home, *args), "error", says)
    assert not paths.database_path(home).exists()  # refused before touching anything


def test_every_command_refuses_a_damaged_database_and_leaves_it_alone(home: Path, tmp_path: Path):
    db = paths.database_path(home)
    garbage = b"SQLite format 3\x00" + b"\x10\x00\x01\x01 damaged pages \xff\xfe" * 300
    db.write_bytes(garbage)
    good = write_table(tmp_path / "in.csv", ["text", "intent"], [("안녕", "greeting")])

    results = run_side_by_side(
        home,
        ("predict", "안녕"),
        ("train", "--mode", "quick", "--epochs", "1", "--progress", "jsonl"),
        ("models", "list"),
        ("import", good),
        ("export", tmp_path / "out.csv"),
    )

    for result in results:
        assert_bad_input(result, "database", "damaged")
    assert results[1].events() == [
        {"event": "error", "message": results[1].err.strip().removeprefix("error: ")}
    ]
    assert db.read_bytes() == garbage
    assert not (tmp_path / "out.csv").exists()


def test_a_file_that_is_not_a_database_is_refused_untouched(home: Path, tmp_path: Path):
    db = paths.database_path(home)
    garbage = b"this is not sqlite \x00\xff\xfe" * 200
    db.write_bytes(garbage)
    good = write_table(tmp_path / "in.csv", ["text", "intent"], [("안녕", "greeting")])

    for result in run_side_by_side(home, ("models", "list"), ("import", good), ("models", "rollback")):
        assert_bad_input(result, "not a sqlite database")
    assert db.read_bytes() == garbage
    assert not list(home.glob("kobert-chat.db?*"))  # no -wal, -shm or journal created beside it


# -- import and export -----------------------------------------------------------------------------


def utterances(home: Path) -> set[tuple[str, tuple]]:
    with open_store(home) as store:
        return {(e.text, tuple(sorted(e.labels.items()))) for e in store.examples()}


def answers(home: Path) -> set[tuple]:
    """The answers a command added: every home also holds the bundled ones, synced when it opens."""
    with open_store(home) as store:
        return {
            (a.kind, a.intent, a.emotion, a.text, a.weight)
            for a in store.answers(enabled_only=False)
            if a.origin != "bundled"
        }


def accepted_rejected(result) -> tuple[int, int]:
    found = re.search(r"accepted (\d+) .*rejected (\d+)", result.out)
    assert found, result
    return int(found[1]), int(found[2])


def test_import_utf8_csv_accepts_good_rows_and_explains_rejected_ones(home: Path, tmp_path: Path):
    rows = [
        ("안녕! 오랜만이야", "greeting", "happiness"),
        ("정말 큰 도움이 됐어 고마워", "thanks", "happiness"),
        ("내일 날씨 알려줘", "weather", "neutral"),  # line 4: not an intent we know
        ("늦어서 미안해", "apology", "sadness"),
        ("잘 자 내일 보자", "farewell", ""),  # intent only is fine
        ("", "greeting", "neutral"),  # line 7: no text
        ("왜 이렇게 답답하지", "complaint", "furious"),  # line 8: not an emotion we know
    ]
    result = run(home, "import", write_table(tmp_path / "utf8.csv", ["text", "intent", "emotion"], rows))

    assert result.code == 0, result
    assert accepted_rejected(result) == (4, 3)
    reasons = dict(line.strip().split(": ", 1) for line in result.err.strip().splitlines())
    assert "weather" in reasons["line 4"]
    assert "text" in reasons["line 7"]
    assert "furious" in reasons["line 8"]
    assert utterances(home) == {
        ("안녕! 오랜만이야", (("emotion", "happiness"), ("intent", "greeting"))),
        ("정말 큰 도움이 됐어 고마워", (("emotion", "happiness"), ("intent", "thanks"))),
        ("늦어서 미안해", (("emotion", "sadness"), ("intent", "apology"))),
        ("잘 자 내일 보자", (("intent", "farewell"),)),
    }


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp949"])
def test_import_excel_csv_with_korean_label_names(home: Path, tmp_path: Path, encoding: str):
    rows = [
        ("반가워요 처음 뵙겠습니다", "인사", "행복"),
        ("그동안 정말 감사했어요", "감사", "슬픔"),
        ("요즘 진로 때문에 잠이 안 와", "고민상담", "공포"),
        ("좋아하는 사람이 생겼어", "사랑/연애", "놀람"),
    ]
    path = write_table(tmp_path / f"{encoding}.csv", ["text", "intent", "emotion"], rows, encoding=encoding)

    result = run(home, "import", path)

    assert result.code == 0, result
    assert accepted_rejected(result) == (4, 0)
    assert utterances(home) == {
        ("반가워요 처음 뵙겠습니다", (("emotion", "happiness"), ("intent", "greeting"))),
        ("그동안 정말 감사했어요", (("emotion", "sadness"), ("intent", "thanks"))),
        ("요즘 진로 때문에 잠이 안 와", (("emotion", "fear"), ("intent", "worry"))),
        ("좋아하는 사람이 생겼어", (("emotion", "surprise"), ("intent", "love"))),
    }


def test_import_jsonl_utterances_and_answers(home: Path, tmp_path: Path):
    path = write_jsonl(
        tmp_path / "mixed.jsonl",
        [
            {"text": "너 진짜 똑똑하다", "intent": "칭찬", "emotion": "happiness"},
            {"text": "그냥 심심해서 말 걸어봤어", "intent": "smalltalk"},
            {"text": "이건 뭐지", "intent": "smalltalk", "emotion": "기쁨"},  # line 3: not an emotion name
            {"type": "answer", "kind": "answer", "intent": "praise", "text": "칭찬해 줘서 고마워요!"},
        ],
    )
    result = run(home, "import", path)

    assert result.code == 0, result
    assert accepted_rejected(result) == (3, 1)
    assert "line 3" in result.err and "기쁨" in result.err
    assert utterances(home) == {
        ("너 진짜 똑똑하다", (("emotion", "happiness"), ("intent", "praise"))),
        ("그냥 심심해서 말 걸어봤어", (("intent", "smalltalk"),)),
    }
    assert answers(home) == {("answer", "praise", None, "칭찬해 줘서 고마워요!", 1.0)}


def test_import_answers_file_with_kind_column(home: Path, tmp_path: Path):
    rows = [
        ("answer", "greeting", "happiness", "안녕하세요! 오늘도 반가워요", "2"),
        ("answer", "인사", "", "어서 오세요, 기다리고 있었어요", ""),
        ("fallback", "", "", "무슨 뜻인지 조금만 더 설명해 줄래요?", ""),
        ("crisis", "", "", "많이 힘들면 자살예방상담전화 109에 바로 전화해 주세요.", ""),
        ("answer", "weather", "", "오늘은 맑아요", ""),  # line 6: unknown intent
        ("answer", "", "", "누구에게 하는 답일까요", ""),
    ]  # line 7: an answer needs an intent
    path = write_table(tmp_path / "answers.csv", ["kind", "intent", "emotion", "text", "weight"], rows)

    result = run(home, "import", path)

    assert result.code == 0, result
    assert accepted_rejected(result) == (4, 2)
    assert "line 6" in result.err and "weather" in result.err
    assert "line 7" in result.err and "intent" in result.err
    assert answers(home) == {
        ("answer", "greeting", "happiness", "안녕하세요! 오늘도 반가워요", 2.0),
        ("answer", "greeting", None, "어서 오세요, 기다리고 있었어요", 1.0),
        ("fallback", None, None, "무슨 뜻인지 조금만 더 설명해 줄래요?", 1.0),
        ("crisis", None, None, "많이 힘들면 자살예방상담전화 109에 바로 전화해 주세요.", 1.0),
    }


def test_importing_the_same_file_twice_adds_nothing_and_says_so(home: Path, tmp_path: Path):
    path = write_table(
        tmp_path / "twice.csv", ["text", "intent"], [("또 만났네", "greeting"), ("고마워요", "thanks")]
    )
    first, second = run(home, "import", path), run(home, "import", path)

    assert accepted_rejected(first) == (2, 0)
    assert second.code == 0, second
    assert accepted_rejected(second) == (0, 0)
    assert "skipped 2 duplicates" in second.out
    assert len(utterances(home)) == 2


def test_nonexistent_or_unreadable_import_file_is_bad_input(home: Path, tmp_path: Path):
    no_text = write_table(tmp_path / "no_text.csv", ["sentence", "intent"], [("안녕", "greeting")])
    binary = tmp_path / "photo.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    missing, wrong_columns, garbage = run_side_by_side(
        home, ("import", tmp_path / "nope.csv"), ("import", no_text), ("import", binary)
    )

    assert_bad_input(missing, "nope.csv")
    assert_bad_input(wrong_columns, "text")
    assert_bad_input(garbage, "photo.csv")


FORMULA_UTTERANCES = [
    ("=SUM(A1:A3) 이거 뭐야", "smalltalk"),
    ("+82 번호로 연락해도 돼?", "help"),
    ("-_- 진짜 짜증나", "complaint"),
    ("@봇 고마워", "thanks"),
]


def test_export_then_import_into_a_fresh_home_round_trips(home: Path, tmp_path: Path):
    source = write_table(
        tmp_path / "source.csv",
        ["type", "text", "intent", "emotion", "kind", "weight"],
        [
            ("utterance", "오늘 점심 뭐 먹지", "smalltalk", "neutral", "", ""),
            ("utterance", "헤어지자는 말을 들었어", "이별", "슬픔", "", ""),
            ("utterance", "줄바꿈이\n있는 문장, 쉼표도", "smalltalk", "", "", ""),
            *[("utterance", text, intent, "", "", "") for text, intent in FORMULA_UTTERANCES],
            ("answer", "=1+1은 2예요", "smalltalk", "", "answer", "1.5"),
            ("answer", "@_@ 저도 놀랐어요", "smalltalk", "surprise", "answer", ""),
            ("answer", "잘 모르겠어요, 다시 말해 줄래요?", "", "", "fallback", ""),
        ],
    )
    imported = run(home, "import", source)
    assert accepted_rejected(imported) == (10, 0), imported

    csv_file, jsonl_file = tmp_path / "export.csv", tmp_path / "export.jsonl"
    for target in (csv_file, jsonl_file):
        exported = run(home, "export", target)
        assert exported.code == 0, exported
        with open_store(home) as store:  # the 3 imported answers and the bundled ones the home holds
            enabled = len(store.answers(enabled_only=True))
        assert enabled > 3 and f"7 labeled utterances and {enabled} answers" in exported.out

    for target in (csv_file, jsonl_file):
        fresh = tmp_path / f"fresh-{target.suffix[1:]}" / "home"
        fresh.mkdir(parents=True)
        again = run(fresh, "import", target)
        assert again.code == 0, again
        assert accepted_rejected(again) == (10, 0)
        assert utterances(fresh) == utterances(home)
        assert answers(fresh) == answers(home)


def test_exported_csv_cannot_run_as_a_spreadsheet_formula(home: Path, tmp_path: Path):
    source = write_table(tmp_path / "formulas.csv", ["text", "intent"], FORMULA_UTTERANCES)
    assert accepted_rejected(run(home, "import", source)) == (4, 0)
    target = tmp_path / "export.csv"
    assert run(home, "export", target).code == 0

    raw = target.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
    cells = [cell for row in csv.reader(raw.decode("utf-8-sig").splitlines()) for cell in row]
    assert not [cell for cell in cells if cell[:1] in ("=", "+", "-", "@")]
    for text, _ in FORMULA_UTTERANCES:
        assert "'" + text in cells


def test_export_keeps_labels_of_a_head_trained_from_a_file(home: Path, tmp_path: Path):
    """After `train --data ... --head sentiment` the store has a sentiment label set; its labels export too."""
    homes = [home, tmp_path / "other" / "home"]
    for h in homes:
        h.mkdir(parents=True, exist_ok=True)
        with open_store(h) as store:
            store.ensure_labels("sentiment", [("positive", "긍정"), ("negative", "부정")])
    source = write_table(
        tmp_path / "sentiment.csv",
        ["text", "intent", "sentiment"],
        [("이 영화 정말 좋았어", "smalltalk", "긍정"), ("서비스가 너무 별로였어", "", "negative")],
    )
    assert accepted_rejected(run(home, "import", source)) == (2, 0)

    target = tmp_path / "export.csv"
    exported = run(home, "export", target)
    assert exported.code == 0, exported
    header = target.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert "sentiment" in header
    assert accepted_rejected(run(homes[1], "import", target)) == (2, 0)
    assert (
        utterances(homes[1])
        == utterances(home)
        == {
            ("이 영화 정말 좋았어", (("intent", "smalltalk"), ("sentiment", "positive"))),
            ("서비스가 너무 별로였어", (("sentiment", "negative"),)),
        }
    )


def test_export_to_an_unknown_format_is_bad_input(home: Path, tmp_path: Path):
    assert_bad_input(run(home, "export", tmp_path / "labels.xlsx"), "xlsx")


def test_commands_run_from_another_folder(model_home: Path, tmp_path: Path):
    """Scripts call main.py by path from their own folder; relative file names are theirs."""
    write_table(tmp_path / "mine.csv", ["text", "intent"], [("다른 폴더에서 왔어요", "greeting")])
    result = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "import", "mine.csv"],
        cwd=tmp_path,
        env=cli_env(model_home),
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert ("다른 폴더에서 왔어요", (("intent", "greeting"),)) in utterances(model_home)
