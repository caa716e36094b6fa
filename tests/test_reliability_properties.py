"""Properties over generated input: any text in the chat, any text through the tokenizer, any bytes or
rows through `import` (tests/test_formats.py fuzzes the readers alone; these go through the store)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kobert_chat.data.formats import AnswerRow, LabeledRow, Rejected, read_answers, read_import, read_labeled
from kobert_chat.errors import InputError
from kobert_chat.import_export import import_file
from kobert_chat.labels import EMOTIONS, INTENTS
from kobert_chat.nlu.tokenizer import CLS_ID, SEP_ID, KoBertTokenizer
from kobert_chat.store import Store
from kobert_chat.store.core import dedupe_key

# One engine / store serves every generated example (that is the point: nothing earlier may get lost).
SHARED = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

_SURROGATE = re.compile("[\ud800-\udfff]")
_any_char = st.one_of(
    st.characters(),
    st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),  # Hangul syllables
    st.characters(min_codepoint=0x1100, max_codepoint=0x11FF),  # conjoining jamo (decomposed Hangul)
    st.sampled_from(" \t\n\r\x00\x07\u200b\ufeff\u3000\u2028=+-@'\",;😭👨‍👩‍👧\ud800\udfff"),
)


# -- the chat --------------------------------------------------------------------------------------


@SHARED
@given(text=st.text(_any_char, max_size=300))
def test_reply_to_any_text_is_stored_exactly_or_refused_clearly(engine, text):
    cid = engine.new_conversation()
    if not text.strip() or _SURROGATE.search(text):
        with pytest.raises(InputError, match="empty|invalid Unicode"):
            engine.reply(cid, text)
        assert engine.store.message_count(cid) == 0
        return
    reply = engine.reply(cid, text)
    assert engine.store.message(reply.user.id).text == text
    assert [m.role for m in engine.store.messages(cid)] == ["user", "bot"]
    assert set(reply.user.predictions) == {"intent", "emotion"}


# -- the tokenizer ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tokenizer(tiny_model_dir: Path) -> KoBertTokenizer:
    return KoBertTokenizer.load(tiny_model_dir)


@settings(max_examples=100, deadline=None)
@given(text=st.text(_any_char, max_size=400), max_length=st.integers(min_value=2, max_value=64))
def test_any_text_becomes_cls_pieces_sep_within_max_length(tokenizer, text, max_length):
    ids = tokenizer.encode(text, max_length=max_length)
    assert ids[0] == CLS_ID and ids[-1] == SEP_ID
    assert 2 <= len(ids) <= max_length
    assert all(0 <= i < tokenizer.vocab_size for i in ids)
    batch = tokenizer.batch([text, "안녕"], max_length=max_length)
    assert batch.input_ids.shape[1] <= max_length and batch.input_ids[0].tolist()[: len(ids)] == ids


# -- import: arbitrary bytes and arbitrary rows, into a store that already holds data -------------------


@pytest.fixture
def store(tmp_path: Path):
    s = Store.open(tmp_path / "import.db")
    conversation = s.create_conversation("지우면 안 되는 대화")
    user, _ = s.log_turn(conversation.id, "소중한 말", {}, None, "네", None)
    s.set_label(user.id, "intent", "worry")
    s.add_examples([("예전에 가져온 문장", {"intent": "thanks"})], "import:earlier.csv")
    s.add_answer("직접 쓴 대답", intent="greeting")
    yield s
    s.close()


def contents(store: Store) -> dict[str, set]:
    return {
        "messages": {
            (m.id, m.text, tuple(sorted(m.labels.items())))
            for c in store.conversations()
            for m in store.messages(c.id)
        },
        "examples": {(e.text, tuple(sorted(e.labels.items()))) for e in store.examples()},
        "answers": {(a.id, a.text, a.intent, a.emotion, a.kind, a.weight) for a in store.answers()},
    }


def import_and_check(store: Store, path: Path) -> None:
    """import_file either refuses the whole file with InputError or accounts for every record it read,
    and never loses what the store held."""
    before = contents(store)
    try:
        expected = list(read_import(path, heads=list(store.label_sets())))
    except InputError:
        with pytest.raises(InputError):
            import_file(path, store)
        assert contents(store) == before
        return
    result = import_file(path, store)
    after = contents(store)
    assert result.utterances + result.answers + result.duplicates + len(result.rejected) == len(expected)
    unreadable = [(i.line, i.reason) for i in expected if isinstance(i, Rejected)]
    assert [r for r in result.rejected if r in unreadable] == unreadable  # reported with line and reason
    for part in before:
        assert before[part] <= after[part], f"{part} lost rows"
    assert len(after["examples"] - before["examples"]) == result.utterances
    assert len(after["answers"] - before["answers"]) == result.answers


_prefixes = st.sampled_from(
    [
        b"",
        b"\xef\xbb\xbf",
        b"text,intent,emotion\n",
        b"type,text,intent,emotion,kind,weight\n",
        b"kind,intent,emotion,text,weight\r\n",
        b'{"text": "',
        b'{"type": "answer", "text": "',
    ]
)


@SHARED
@given(
    data=st.builds(bytes.__add__, _prefixes, st.binary(max_size=300)),
    suffix=st.sampled_from([".csv", ".tsv", ".txt", ".jsonl"]),
)
def test_importing_arbitrary_bytes_refuses_clearly_or_accounts_for_every_record(
    store, tmp_path, data, suffix
):
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    import_and_check(store, path)


_cell_text = st.text(_any_char.filter(lambda c: not _SURROGATE.match(c)), max_size=40)
_intent = st.sampled_from(
    [i for i, _ in INTENTS[:4]] + [d for _, d in INTENTS[4:7]] + ["GREETING", "없는라벨", "x" * 201]
)
_emotion = st.sampled_from([e for e, _ in EMOTIONS[:3]] + [d for _, d in EMOTIONS[3:5]] + ["", " ", "nope"])
VALID_INTENTS = {i for i, _ in INTENTS[:4]}
VALID_EMOTIONS = {e for e, _ in EMOTIONS[:3]}
_rows = st.lists(st.tuples(_cell_text, _intent, _emotion), min_size=1, max_size=25)


def write_rows(path: Path, rows: list[tuple[str, str, str]]) -> None:
    if path.suffix == ".jsonl":
        text = "".join(
            json.dumps({"text": t, "intent": i, "emotion": e}, ensure_ascii=False) + "\n" for t, i, e in rows
        )
    else:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter="\t" if path.suffix == ".tsv" else ",")
        writer.writerow(["text", "intent", "emotion"])
        writer.writerows(rows)
        text = buffer.getvalue()
    path.write_text(text, encoding="utf-8", newline="")


@SHARED
@given(rows=_rows, suffix=st.sampled_from([".csv", ".tsv", ".jsonl"]))
def test_every_written_row_is_accepted_a_duplicate_or_rejected_with_a_reason(store, tmp_path, rows, suffix):
    path = tmp_path / f"rows{suffix}"
    write_rows(path, rows)
    for reader in (read_labeled, read_answers, read_import):  # one item per record, in every reader
        items = list(reader(path))
        assert len(items) == len(rows)
        assert all(isinstance(i, (LabeledRow, AnswerRow, Rejected)) for i in items)
        assert all(i.reason for i in items if isinstance(i, Rejected))

    before = contents(store)
    result = import_file(path, store)
    assert result.utterances + result.answers + result.duplicates + len(result.rejected) == len(rows)
    assert result.answers == 0
    for line, reason in result.rejected:
        assert 1 <= line <= len(path.read_text(encoding="utf-8").splitlines()) + 1 and reason
    stored = {text for text, _ in contents(store)["examples"]}
    known_keys = {dedupe_key(text) for text, _ in before["examples"]}
    for text, intent, emotion in rows:
        valid = intent in VALID_INTENTS and emotion.strip() in VALID_EMOTIONS | {""}
        if (
            text.strip() and valid and not text.startswith("'")
        ):  # (a leading quote marks a neutralised formula)
            assert dedupe_key(text) in {dedupe_key(t) for t in stored}
            if dedupe_key(text) not in known_keys:  # new text: stored byte for byte
                assert text in stored
        known_keys.add(dedupe_key(text))  # a later spelling of the same text may be a duplicate of this one
    for part in before:
        assert before[part] <= contents(store)[part]
