"""Speech level (존댓말/반말): every answer has one, the reply prefers the level the user talks in (or the
one the setting fixes), and answers are tagged on seeding, import, editing and upgrade."""

from __future__ import annotations

import csv
import json
import random
import sqlite3
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from kobert_chat import paths
from kobert_chat.answer_choice import choose
from kobert_chat.data.bundled import default_root, load_answers
from kobert_chat.engine import ChatEngine
from kobert_chat.errors import InputError
from kobert_chat.settings import load_settings_checked
from kobert_chat.speech_level import detect, level_of_answer
from kobert_chat.store import MIGRATIONS, Answer, Store
from kobert_chat.store.answers import DETECT

LINES = Path(__file__).resolve().parent / "data" / "speech_levels.csv"


def bundled_rows() -> list[dict]:
    with (default_root() / "answers.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_every_bundled_answer_is_tagged_as_its_writers_tagged_it():
    rows = bundled_rows()
    wrong = [(r["text"], r["level"]) for r in rows if level_of_answer(r["text"]) != r["level"]]
    assert len(rows) > 800 and wrong == []


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("뭐가 제일 신경 쓰여?", "casual"),
        ("다 보여", "casual"),
        ("그건 아니다", "casual"),
        ("감사해여", "polite"),
    ],
)
def test_endings_tightened_on_the_bundled_answers(text, level):
    assert detect(text) == level


def test_the_store_tags_answers_and_keeps_a_level_set_by_hand(tmp_path: Path):
    with Store.open(tmp_path / "db.sqlite") as store:
        casual = store.add_answer("괜찮아, 천천히 해도 돼.", intent="worry")
        polite = store.add_answer("괜찮아요, 천천히 하셔도 돼요.", intent="worry")
        none = store.add_answer("👍", intent="praise", level=DETECT)
        assert [store.answer(i).level for i in (casual, polite, none)] == ["casual", "polite", None]
        assert (
            store.update_answer(casual, text="괜찮아요, 천천히 해도 돼요.").level == "polite"
        )  # follows the text
        hand = store.update_answer(polite, level="casual")  # the user says otherwise
        assert store.update_answer(hand.id, text="괜찮아요, 천천히 하세요!").level == "casual"
        with pytest.raises(InputError, match="level"):
            store.add_answer("안녕", intent="greeting", level="formal")


def test_a_fresh_home_is_seeded_with_the_bundles_levels(home: Path):
    engine = ChatEngine.open(home, load_model=False)
    try:
        stored = {(a.kind, a.text): a.level for a in engine.answers()}
        assert stored == {(r["kind"], r["text"]): r["level"] for r in bundled_rows()}
    finally:
        engine.close()


def test_an_older_home_gets_levels_and_the_new_bundle_keeping_ids_and_history(home: Path):
    db = paths.database_path(home)
    bundle = load_answers()
    Store.open(db, migrations=MIGRATIONS[:4]).close()  # a home as the previous version left it
    conn = sqlite3.connect(db)
    with conn:  # written as that version wrote them (its answers had no level)
        conn.executemany(
            "INSERT INTO answers (kind, intent, emotion, text, weight, enabled, bundled) VALUES (?, ?, ?, ?, ?, 1, 1)",
            [
                (a.kind, a.intent, a.emotion, a.text, a.weight) for a in bundle[::2]
            ],  # an older, smaller bundle
        )
        conn.execute(
            "INSERT INTO answers (kind, intent, text) VALUES ('answer', 'worry', '힘내요, 응원할게요!')"
        )
        kept_id, kept_text = conn.execute(
            "SELECT id, text FROM answers WHERE kind = 'answer' ORDER BY id"
        ).fetchone()
        conn.execute(
            "INSERT INTO conversations VALUES (1, '예전 대화', '2024-01-01T00:00:00', '2024-01-01T00:00:00')"
        )
        conn.execute(
            "INSERT INTO messages (conversation_id, role, text, created_at, answer_id) VALUES (1, 'bot', ?, '2024', ?)",
            [kept_text, kept_id],
        )
        bot_id = conn.execute("SELECT max(id) FROM messages").fetchone()[0]
    conn.close()
    engine = ChatEngine.open(home, load_model=False)
    try:
        assert engine.store.schema_version == len(MIGRATIONS)
        answers = engine.answers()
        assert {(a.kind, a.text) for a in answers if a.origin == "bundled"} == {
            (a.kind, a.text) for a in bundle
        }
        expected = {(a.kind, a.text): a.level for a in bundle}
        assert all(a.level == expected[(a.kind, a.text)] for a in answers if a.origin == "bundled")
        [own] = [a for a in answers if a.origin == "user"]
        assert (own.text, own.level) == ("힘내요, 응원할게요!", "polite")
        assert engine.answer(kept_id).text == kept_text  # the same row, so history still points at it
        assert engine.store.message(bot_id).answer_id == kept_id
    finally:
        engine.close()
    again = ChatEngine.open(home, load_model=False)  # up to date: opening writes nothing
    try:
        assert len(again.answers()) == len(answers)
    finally:
        again.close()


def test_import_reads_a_level_column_and_detects_it_otherwise(home: Path, tmp_path: Path):
    path = tmp_path / "answers.csv"
    path.write_text(
        "kind,intent,text,level\nanswer,greeting,반가워!,\nanswer,greeting,반가워요!,\nanswer,thanks,고마워 🙏,존댓말\n",
        encoding="utf-8",
    )
    engine = ChatEngine.open(home, load_model=False)
    try:
        result = engine.import_file(path)
        assert result.answers == 3 and result.rejected == []
        mine = {a.text: a.level for a in engine.answers(origin="user")}
        assert mine == {"반가워!": "casual", "반가워요!": "polite", "고마워 🙏": "polite"}
        engine.add_answer("또 와!", intent="farewell", level="polite")  # the editor may say otherwise
        assert next(a for a in engine.answers() if a.text == "또 와!").level == "polite"
    finally:
        engine.close()


def test_the_bot_level_setting_is_checked_like_the_others(tmp_path: Path):
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps({"bot_level": "반말", "no_repeat_turns": -1, "link_threshold": "0.3"}), encoding="utf-8"
    )
    settings, warnings = load_settings_checked(path)
    assert (settings.bot_level, settings.no_repeat_turns, settings.link_threshold) == ("follow", 5, 0.30)
    assert len(warnings) == 3 and any("bot_level" in w and "follow, polite, casual" in w for w in warnings)


# -- choosing -------------------------------------------------------------------------------------


def A(i, level, intent="worry", emotion=None, kind="answer"):
    return Answer(i, kind, intent, emotion, f"answer {i}", 1.0, True, level)


def test_choice_prefers_the_wanted_level_and_falls_back_only_when_none_exists():
    pool = [
        A(1, "polite"),
        A(2, "polite"),
        A(3, "casual"),
        A(4, "casual"),
        A(5, None),
        A(6, "polite", intent="help"),
    ]

    def pick(level, intent="worry", seed=0):
        return choose(
            pool,
            intent=intent,
            emotion=None,
            intent_confidence=0.9,
            intent_margin=0.5,
            threshold=0.4,
            margin=0.05,
            rng=random.Random(seed),
            level=level,
        ).answer

    assert {pick("casual", seed=s).id for s in range(200)} == {3, 4, 5}  # 5 has no level: fits both
    assert {pick("polite", seed=s).id for s in range(200)} == {1, 2, 5}
    assert pick("casual", intent="help").id == 6  # no casual answer for help: polite rather than nothing


def test_replies_follow_the_users_level_over_a_chat(engine: ChatEngine):
    """Sends the labeled lines of tests/data/speech_levels.csv in one conversation and checks the level of
    every reply: the answer's tag, or the clarifying question's wording."""
    with LINES.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))[::4]
    cid = engine.new_conversation()
    wanted_levels, answered = Counter(), Counter()
    for row in rows:
        reply = engine.reply(cid, row["text"])
        wanted = detect(row["text"])
        assert reply.user_level == wanted and reply.level == wanted
        if reply.path == "clarify":
            got = "casual" if reply.bot.text.endswith("얘기야?") else "polite"
        else:
            got = engine.answer(reply.answer_id).level
        wanted_levels[wanted] += 1
        answered[got == wanted] += 1
    assert answered[True] == len(rows), answered  # every group has answers in both levels
    assert wanted_levels["polite"] > 50 and wanted_levels["casual"] > 50


def test_a_message_without_a_level_keeps_the_conversations_and_the_setting_wins(engine: ChatEngine):
    cid = engine.new_conversation()
    engine.reply(cid, "오늘 진짜 피곤하다")
    emoji = engine.reply(cid, "😭😭")
    assert emoji.user_level is None and emoji.level == "casual"
    assert engine.send(None, "ㅋㅋㅋ").level == "polite"  # nothing to go by: polite
    engine.save_settings(replace(engine.settings, bot_level="polite"))
    fixed = engine.reply(cid, "배고파 죽겠다")
    assert fixed.user_level == "casual" and fixed.level == "polite"
    assert fixed.path == "clarify" or engine.answer(fixed.answer_id).level in ("polite", None)
