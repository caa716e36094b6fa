"""Export -> import into a fresh home gives back every text byte for byte, with every label set
(issue 10, case 6). The texts are the awkward ones users really type: outer spaces, TAB, CR, NBSP,
decomposed Hangul, quotes, formula starts."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from kobert_chat import paths
from kobert_chat.store import Store
from tests.helpers.cli import run, run_side_by_side, start, write_table
from tests.helpers.history import assert_nothing_lost, snapshot

NFD = lambda text: unicodedata.normalize("NFD", text)  # noqa: E731

TEXTS = [
    " 앞에 공백",
    "뒤에 공백 ",
    "  양쪽에 두 칸  ",
    "\t탭으로 시작",
    "탭이\t가운데",
    "끝에 탭\t",
    "CR이\r가운데",
    "CRLF\r\n줄바꿈",
    "끝에 CR\r",
    "NBSP\u00a0가운데",
    "\u00a0NBSP로 시작",
    "끝에 NBSP\u00a0",
    NFD("분해된 한글 문장"),
    NFD(" 분해에 공백까지 "),
    "줄바꿈\n있는 문장",
    '"따옴표" 안의 말',
    "쉼표, 도 있어요",
    "'=작은따옴표 다음 수식",
    "=SUM(A1:A3) 이거 뭐야",
    "-_- 진짜",
    "+82 번호로 연락해",
    "@봇 고마워",
    "😭 이모지만",
    "\u200b보이지 않는 공백",
    "\ufeffBOM 글자로 시작",
    "\u3000전각 공백\u3000",
]
TOPICS = ["food", "work", "study"]


def utterances(home: Path) -> set[tuple[str, tuple]]:
    """Labeled messages and imported examples: what an export writes."""
    with Store.open(paths.database_path(home)) as store:
        found = {(m.text, tuple(sorted(m.labels.items()))) for m in store.labeled_messages()}
        return found | {(e.text, tuple(sorted(e.labels.items()))) for e in store.examples()}


def answers(home: Path) -> set[tuple]:
    with Store.open(paths.database_path(home)) as store:
        return {  # the answers the user added: every home also holds the bundled ones, synced on open
            (a.kind, a.intent, a.emotion, a.text, a.weight)
            for a in store.answers(enabled_only=False)
            if a.origin != "bundled"
        }


@pytest.fixture
def awkward_home(home: Path) -> Path:
    """Half the texts as labeled chat messages, half as imported examples, some with a custom head."""
    with Store.open(paths.database_path(home)) as store:
        store.ensure_labels("topic", [(t, t) for t in TOPICS])
        conversation = store.create_conversation("어색한 글자들")
        for i, text in enumerate(TEXTS[::2]):
            user, _ = store.log_turn(conversation.id, text, {}, None, "네", None)
            store.set_label(user.id, "intent", "smalltalk")
            if i % 3 == 0:
                store.set_label(user.id, "topic", TOPICS[i % 3])
        store.add_examples(
            [
                (text, {"intent": "help", **({"topic": "work"} if i % 2 else {})})
                for i, text in enumerate(TEXTS[1::2])
            ],
            "import:earlier.csv",
        )
        store.add_answer(" 공백으로 시작하는 답 ", intent="smalltalk")
        store.add_answer(NFD("분해된 답이에요\t"), intent="help", emotion="neutral", weight=2.5)
        store.add_answer("'=답도 수식처럼", kind="fallback")
    return home


def test_export_then_import_into_a_fresh_home_is_byte_exact(awkward_home: Path, tmp_path: Path):
    before = snapshot(awkward_home)
    assert {text for text, _ in utterances(awkward_home)} == set(TEXTS)
    targets = [tmp_path / f"export{suffix}" for suffix in (".csv", ".tsv", ".jsonl")]
    for exported in run_side_by_side(awkward_home, *[("export", t) for t in targets]):
        assert exported.code == 0 and f"{len(TEXTS)} labeled utterances and 3 answers" in exported.out, (
            exported
        )

    fresh = [tmp_path / f"fresh-{t.suffix[1:]}" / "home" for t in targets]
    for folder in fresh:
        folder.mkdir(parents=True)
    waits = [start(folder, "import", target) for folder, target in zip(fresh, targets, strict=True)]
    used_topics = {
        label for _, labels in utterances(awkward_home) for head, label in labels if head == "topic"
    }
    for folder, wait in zip(fresh, waits, strict=True):
        result = wait()
        assert result.code == 0, result
        assert f"accepted {len(TEXTS) + 3} rows" in result.out and "rejected 0" in result.out, result
        assert "new label sets from the file: topic" in result.out  # the fresh home had no such head
        assert utterances(folder) == utterances(awkward_home)  # every text byte for byte, every label
        assert answers(folder) == answers(awkward_home)
        with Store.open(paths.database_path(folder)) as store:
            assert {label for label, _ in store.label_sets()["topic"]} == used_topics
    assert_nothing_lost(awkward_home, before)


def test_import_keeps_the_users_spelling_and_finds_duplicates_by_meaning(home: Path, tmp_path: Path):
    first = write_table(
        tmp_path / "first.csv",
        ["text", "intent"],
        [("  앞뒤 공백  ", "greeting"), (NFD("분해된 인사"), "greeting"), ("NBSP\u00a0끝\u00a0", "thanks")],
    )
    again = write_table(
        tmp_path / "again.csv",
        ["text", "intent"],
        [
            ("앞뒤 공백", "greeting"),
            ("분해된 인사", "greeting"),
            ("NBSP\u00a0끝", "thanks"),
            ("새 문장", "thanks"),
        ],
    )
    assert "accepted 3 rows" in run(home, "import", first).out
    second = run(home, "import", again)
    assert second.code == 0, second
    assert "accepted 1 rows" in second.out and "skipped 3 duplicates" in second.out, second
    with Store.open(paths.database_path(home)) as store:
        assert [e.text for e in store.examples()] == [
            "  앞뒤 공백  ",
            NFD("분해된 인사"),
            "NBSP\u00a0끝\u00a0",
            "새 문장",
        ]
