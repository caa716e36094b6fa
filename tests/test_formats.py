"""Import/export file formats: what a user gets back from the files they feed `import`, `train --data`,
`evaluate --data`, and what `export` writes for them."""

from __future__ import annotations

import codecs
import json
import tracemalloc
import unicodedata
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kobert_chat.data.formats import (
    MAX_TEXT_CHARS,
    AnswerRow,
    LabeledRow,
    Rejected,
    read_answers,
    read_import,
    read_labeled,
    write_export,
)
from kobert_chat.errors import InputError

ROWS = [
    ("안녕하세요, 반가워요!", "greeting", "happiness"),
    ("오늘 너무 우울해서 아무것도 못 하겠어", "worry", "sadness"),
    ("고마워, 덕분에 살았다", "thanks", "happiness"),
]
CSV_TEXT = "text,intent,emotion\n" + "".join(f'"{t}",{i},{e}\n' for t, i, e in ROWS)


@pytest.fixture(autouse=True, scope="module")
def _home(tmp_path_factory):
    # Module scope so the hypothesis tests may use it too; nothing here should touch the real home.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KOBERT_CHAT_HOME", str(tmp_path_factory.mktemp("home")))
        yield


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("prop")


@dataclass
class Answer:  # what the store hands to export (duck-typed: kind, intent, emotion, text, weight)
    kind: str
    intent: str | None
    emotion: str | None
    text: str
    weight: float = 1.0


def accepted(items):
    return [i for i in items if not isinstance(i, Rejected)]


def rejected(items):
    return [i for i in items if isinstance(i, Rejected)]


def as_tuples(items):
    return [(r.text, r.labels["intent"], r.labels["emotion"]) for r in accepted(items)]


# --- encodings --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "encode",
    [
        lambda s: s.encode("utf-8"),
        lambda s: codecs.BOM_UTF8 + s.encode("utf-8"),
        lambda s: s.encode("cp949"),  # Korean Excel "CSV (comma delimited)"
        lambda s: s.encode("euc-kr"),
        lambda s: s.encode("utf-16"),  # Excel "Unicode text" (BOM + UTF-16LE)
        lambda s: s.replace("\n", "\r\n").encode("cp949"),  # Windows line ends
    ],
    ids=["utf-8", "utf-8-bom", "cp949", "euc-kr", "utf-16", "cp949-crlf"],
)
def test_every_supported_encoding_reads_the_same_korean_rows(tmp_path, encode):
    path = tmp_path / "data.csv"
    path.write_bytes(encode(CSV_TEXT))
    items = list(read_labeled(path))
    assert as_tuples(items) == ROWS
    assert [r.line for r in items] == [2, 3, 4]


def test_cp949_only_hangul_outside_euc_kr_reads_correctly(tmp_path):
    # 똠 and 믜 exist in CP949 (Windows extension) but not in EUC-KR: Excel writes them fine.
    path = tmp_path / "x.csv"
    path.write_bytes("text,intent,emotion\n똠얌꿍 먹고 싶다 믜,smalltalk,happiness\n".encode("cp949"))
    assert as_tuples(read_labeled(path)) == [("똠얌꿍 먹고 싶다 믜", "smalltalk", "happiness")]


def test_file_in_another_encoding_is_an_input_error(tmp_path):
    path = tmp_path / "x.csv"
    # Windows-1252 (Western European Excel) accents are neither valid UTF-8 nor valid CP949 here.
    path.write_bytes("text,intent\nCafé, très bien ü,greeting\n".encode("cp1252"))
    with pytest.raises(InputError, match="not UTF-8 or CP949"):
        read_labeled(path)


def test_bad_bytes_in_a_bom_utf8_file_reject_only_that_row(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(
        codecs.BOM_UTF8
        + b"text,intent,emotion\n\xc0\xafbad,greeting,neutral\n"
        + "좋은 아침,greeting,happiness\n".encode()
    )
    items = list(read_labeled(path))
    assert items[0] == Rejected(2, "text contains bytes that are not valid UTF-8")
    assert as_tuples(items[1:]) == [("좋은 아침", "greeting", "happiness")]


def test_text_is_kept_exactly_but_labels_are_trimmed_and_nfc(tmp_path):
    path = tmp_path / "x.csv"
    nfd = unicodedata.normalize("NFD", "  한글\t입력\u00a0 ")
    label = unicodedata.normalize("NFD", " 행복 ")
    path.write_text(f"text,intent,emotion\n{nfd},smalltalk,{label}\n", encoding="utf-8")
    (row,) = read_labeled(path)
    assert row.text == nfd and not unicodedata.is_normalized("NFC", row.text)  # the user's bytes
    assert row.labels == {"intent": "smalltalk", "emotion": "행복"}  # looked up, so normalised


# --- formats ----------------------------------------------------------------------------------------------


def test_tsv_and_tab_separated_txt(tmp_path):
    tsv = "text\tintent\temotion\n" + "".join(f"{t}\t{i}\t{e}\n" for t, i, e in ROWS)
    for name in ("data.tsv", "data.txt"):
        (tmp_path / name).write_text(tsv, encoding="utf-8")
        assert as_tuples(read_labeled(tmp_path / name)) == ROWS


def test_txt_without_tabs_is_an_input_error(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("그냥 메모입니다\n둘째 줄\n", encoding="utf-8")
    with pytest.raises(InputError, match="not tab-separated"):
        read_labeled(path)


def test_jsonl_rows_and_rejects_with_line_numbers(tmp_path):
    path = tmp_path / "data.jsonl"
    lines = [json.dumps({"text": t, "intent": i, "emotion": e}, ensure_ascii=False) for t, i, e in ROWS]
    lines[1:1] = ["{not json", "", "[1, 2]", json.dumps({"text": "숫자 라벨", "intent": 3})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items = list(read_labeled(path))
    assert as_tuples(items) == ROWS
    assert [r.line for r in accepted(items)] == [1, 6, 7]
    bad = rejected(items)
    assert [r.line for r in bad] == [2, 4, 5]
    assert bad[0].reason.startswith("invalid JSON")
    assert bad[1].reason == "not a JSON object"
    assert bad[2].reason == "intent must be text, not int"


def test_unsupported_extension_missing_and_empty_files_are_input_errors(tmp_path):
    (tmp_path / "book.xlsx").write_bytes(b"PK\x03\x04")
    with pytest.raises(InputError, match="unsupported file type"):
        read_labeled(tmp_path / "book.xlsx")
    with pytest.raises(InputError, match="Cannot read"):
        read_labeled(tmp_path / "nope.csv")
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(InputError, match="is empty"):
        read_labeled(tmp_path / "empty.csv")


def test_missing_text_column_names_the_columns_found(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("sentence,intent,emotion\n안녕,greeting,neutral\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        read_labeled(path)  # raised at once, before iterating
    assert "'text'" in str(err.value) and "'sentence', 'intent', 'emotion'" in str(err.value)


def test_custom_text_column_and_label_columns(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("Sentence,Intent,mood\n잘 자,farewell,happiness\n", encoding="utf-8")
    items = list(read_labeled(path, text_column="sentence", label_columns=["intent", "mood"]))
    assert items == [LabeledRow("잘 자", {"intent": "farewell", "mood": "happiness"}, 2)]
    with pytest.raises(InputError, match="no 'emotion' column"):
        read_labeled(path, text_column="sentence", label_columns=["emotion"])


def test_default_label_columns_are_the_head_columns_present(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("id,text,label,note\n7,이 앱 좋네요,praise,메모\n", encoding="utf-8")
    assert list(read_labeled(path)) == [LabeledRow("이 앱 좋네요", {"label": "praise"}, 2)]
    path.write_text("text,note\n안녕,메모\n", encoding="utf-8")
    with pytest.raises(InputError, match="no label column"):
        read_labeled(path)


def test_bad_records_are_rejected_with_reason_and_line(tmp_path):
    path = tmp_path / "x.csv"
    long_text = "가" * (MAX_TEXT_CHARS + 1)
    path.write_text(
        "text,intent,emotion\n"
        "정상 문장,smalltalk,neutral\n"  # 2
        "   ,greeting,neutral\n"  # 3 blank text
        "라벨 없음,,\n"  # 4
        "감정 없음,thanks\n"  # 5 short row: a cell is missing
        "\n"  # 6 blank line: skipped silently
        f"{long_text},worry,sadness\n"  # 7
        "마지막,farewell,neutral\n",  # 8
        encoding="utf-8",
    )
    items = list(read_labeled(path))
    assert as_tuples(items) == [("정상 문장", "smalltalk", "neutral"), ("마지막", "farewell", "neutral")]
    assert [r.line for r in accepted(items)] == [2, 8]
    assert rejected(items) == [
        Rejected(3, "empty text"),
        Rejected(4, "missing intent, emotion"),
        Rejected(
            5,
            "has 2 fields but the header has 3 (a missing or extra ','? text containing ',' must be in quotes)",
        ),
        Rejected(7, f"text is longer than 10,000 characters ({MAX_TEXT_CHARS + 1:,})"),
    ]


def test_quoted_newlines_stay_in_one_record_and_line_numbers_follow(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes(
        'text,intent,emotion\r\n"첫 줄\r\n둘째 줄, 쉼표와 ""따옴표""",smalltalk,neutral\r\n,x,y\r\n'.encode()
    )
    items = list(read_labeled(path))
    assert items[0] == LabeledRow(
        '첫 줄\r\n둘째 줄, 쉼표와 "따옴표"', {"intent": "smalltalk", "emotion": "neutral"}, 2
    )
    assert items[1] == Rejected(4, "empty text")


def test_giant_fields_are_rejected_and_reading_continues(tmp_path):
    path = tmp_path / "x.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("text,intent,emotion\n")
        f.write("가" * 1_500_000 + ",worry,sadness\n")  # line 2: one giant line
        f.write("괜찮은 줄,smalltalk,neutral\n")  # line 3
        f.write('"' + "나\n" * 600_000 + '",worry,sadness\n')  # lines 4..600004: giant quoted field
        f.write("다음 줄,thanks,happiness\n")  # line 600005
    assert list(read_labeled(path)) == [
        Rejected(2, "line is longer than 1,000,000 characters"),
        LabeledRow("괜찮은 줄", {"intent": "smalltalk", "emotion": "neutral"}, 3),
        Rejected(4, "a field is longer than 1,000,000 characters"),
        LabeledRow("다음 줄", {"intent": "thanks", "emotion": "happiness"}, 600_005),
    ]


def test_hundred_thousand_rows_stream_in_bounded_memory(tmp_path):
    path = tmp_path / "big.csv"
    with path.open("w", encoding="utf-8") as f:
        f.write("text,intent,emotion\n")
        for i in range(100_000):
            f.write(
                f"오늘 {i}번째 문장을 입력하고 있어요 ㅎㅎ,smalltalk,happiness\n" if i % 1000 else ",x,y\n"
            )
    tracemalloc.start()
    try:
        n_ok = n_bad = 0
        for item in read_labeled(path):
            if isinstance(item, Rejected):
                n_bad += 1
            else:
                n_ok += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (n_ok, n_bad) == (99_900, 100)
    assert peak < 50 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


# --- answers and mixed import -----------------------------------------------------------------------------


def test_answers_defaults_and_rejects(tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text(
        "kind,intent,emotion,text,weight\n"
        ",greeting,,안녕하세요! 반가워요.,\n"  # 2 kind and weight default
        "answer,worry,sadness,많이 힘들었겠어요.,2.5\n"  # 3
        "fallback,,,잘 모르겠어요. 다르게 말해 줄래요?,\n"  # 4
        "answer,,,의도 없음,1\n"  # 5
        "answer,thanks,,무게 0,0\n"  # 6
        "answer,thanks,,무게 음수,-1\n"  # 7
        "answer,thanks,,무게 글자,많이\n"  # 8
        "answer,thanks,,무게 nan,nan\n"  # 9
        "joke,thanks,,종류 이상,1\n",  # 10
        encoding="utf-8",
    )
    items = list(read_answers(path))
    assert accepted(items) == [
        AnswerRow("answer", "greeting", None, "안녕하세요! 반가워요.", 1.0, 2),
        AnswerRow("answer", "worry", "sadness", "많이 힘들었겠어요.", 2.5, 3),
        AnswerRow("fallback", None, None, "잘 모르겠어요. 다르게 말해 줄래요?", 1.0, 4),
    ]
    assert rejected(items) == [
        Rejected(5, "an answer needs an intent"),
        Rejected(6, "weight must be a positive number, not '0'"),
        Rejected(7, "weight must be a positive number, not '-1'"),
        Rejected(8, "weight must be a positive number, not '많이'"),
        Rejected(9, "weight must be a positive number, not 'nan'"),
        Rejected(10, "unknown kind 'joke' (use answer, fallback or crisis)"),
    ]


def test_answers_from_jsonl_with_numeric_weight(tmp_path):
    path = tmp_path / "answers.jsonl"
    path.write_text(
        '{"intent": "thanks", "text": "천만에요!", "weight": 3}\n{"kind": "crisis", "text": "109", "weight": true}\n',
        encoding="utf-8",
    )
    assert list(read_answers(path)) == [
        AnswerRow("answer", "thanks", None, "천만에요!", 3.0, 1),
        Rejected(2, "weight must be a positive number, not True"),
    ]


def test_import_splits_utterances_and_answers_by_type_column(tmp_path):
    path = tmp_path / "mixed.csv"
    path.write_text(
        "type,text,intent,emotion,kind,weight\n"
        "utterance,배고파,smalltalk,,,\n"
        "answer,맛있는 거 먹어요!,smalltalk,,answer,1\n"
        ",그냥 문장,smalltalk,neutral,,\n"
        "note,이상한 종류,smalltalk,,,\n"
        "utterance,라벨 없음,,,,\n",
        encoding="utf-8",
    )
    assert list(read_import(path)) == [
        LabeledRow("배고파", {"intent": "smalltalk"}, 2),
        AnswerRow("answer", "smalltalk", None, "맛있는 거 먹어요!", 1.0, 3),
        LabeledRow("그냥 문장", {"intent": "smalltalk", "emotion": "neutral"}, 4),
        Rejected(5, "unknown type 'note' (use utterance or answer)"),
        Rejected(6, "no label (intent, emotion, label)"),
    ]


def test_import_without_type_column_uses_kind_column(tmp_path):
    answers = tmp_path / "answers.csv"
    answers.write_text("kind,intent,text\n,help,설정 메뉴에서 바꿀 수 있어요.\n", encoding="utf-8")
    assert list(read_import(answers)) == [
        AnswerRow("answer", "help", None, "설정 메뉴에서 바꿀 수 있어요.", 1.0, 2)
    ]
    utterances = tmp_path / "utt.csv"
    utterances.write_text("text,intent\n이거 어떻게 써?,help\n", encoding="utf-8")
    assert list(read_import(utterances)) == [LabeledRow("이거 어떻게 써?", {"intent": "help"}, 2)]
    jsonl = tmp_path / "mixed.jsonl"
    jsonl.write_text(
        '{"text": "고마워", "intent": "thanks"}\n{"kind": "fallback", "text": "음?"}\n', encoding="utf-8"
    )
    assert list(read_import(jsonl)) == [
        LabeledRow("고마워", {"intent": "thanks"}, 1),
        AnswerRow("fallback", None, None, "음?", 1.0, 2),
    ]


# --- export -----------------------------------------------------------------------------------------------

TRICKY = [
    '=HYPERLINK("http://evil", "클릭")',
    "+82 10-1234-5678 로 전화해",
    "-_- 진짜 어이없네",
    "@챗봇 너 누구야?",
    "'=이미 따옴표",
    "''+두 개",
    "'그냥 따옴표로 시작",
    "이모지 😀🙏🏽👨‍👩‍👧 그리고 한글",
    '쉼표, "따옴표", 그리고\n줄바꿈',
    "탭\t가운데",
]


@pytest.mark.parametrize("suffix", [".csv", ".tsv", ".jsonl"])
def test_export_then_import_round_trips_exactly(tmp_path, suffix):
    path = tmp_path / f"export{suffix}"
    utterances = [(t, {"intent": "smalltalk", "emotion": "neutral"}) for t in TRICKY]
    utterances.append(("감정만 있음", {"emotion": "anger"}))
    answers = [
        Answer("answer", "greeting", None, "=안녕하세요 😀", 2.5),
        Answer("fallback", None, None, "-잘 모르겠어요-", 1.0),
        Answer("crisis", None, None, "자살예방상담전화 109에 연락해 주세요.", 0.1),
    ]
    assert write_export(path, utterances, answers) == (len(utterances), len(answers))
    items = list(read_import(path))
    assert not rejected(items)
    assert [(r.text, r.labels) for r in items if isinstance(r, LabeledRow)] == utterances
    assert [(a.kind, a.intent, a.emotion, a.text, a.weight) for a in items if isinstance(a, AnswerRow)] == [
        (a.kind, a.intent, a.emotion, a.text, a.weight) for a in answers
    ]


def test_csv_export_opens_in_excel_as_korean_with_formulas_defused(tmp_path):
    path = tmp_path / "export.csv"
    write_export(
        path, [("=1+1", {"intent": "smalltalk", "emotion": "neutral"}), ("안녕", {"intent": "greeting"})], []
    )
    raw = path.read_bytes()
    assert raw.startswith(codecs.BOM_UTF8)  # Excel reads UTF-8 only with a BOM
    lines = raw[3:].decode("utf-8").splitlines()
    assert lines == [
        "type,text,intent,emotion,kind,weight",
        "utterance,'=1+1,smalltalk,neutral,,",
        "utterance,안녕,greeting,,,",
    ]


def test_export_writes_extra_heads_as_columns(tmp_path):
    path = tmp_path / "export.csv"
    write_export(
        path,
        [("비 온다", {"intent": "smalltalk", "weather": "rain"})],
        [],
        heads=["intent", "emotion", "weather"],
    )
    assert list(read_import(path, heads=["intent", "emotion", "weather"])) == [
        LabeledRow("비 온다", {"intent": "smalltalk", "weather": "rain"}, 2)
    ]


def test_failed_export_leaves_the_previous_file_untouched(tmp_path):
    path = tmp_path / "export.csv"
    write_export(path, [("처음 파일", {"intent": "smalltalk"})], [])
    before = path.read_bytes()

    def broken():
        yield ("중간까지", {"intent": "smalltalk"})
        raise RuntimeError("disk went away")

    with pytest.raises(RuntimeError):
        write_export(path, broken(), [])
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.csv"]  # no temp file left behind


def test_export_to_unknown_extension_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="csv, .tsv or .jsonl"):
        write_export(tmp_path / "out.xlsx", [], [])


# --- properties -------------------------------------------------------------------------------------------

_chars = st.one_of(
    st.characters(exclude_categories=("Cs",)),
    st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),  # Hangul syllables
    st.sampled_from("=+-@'\t\r\n\",; \u00a0\ufeff\u2028"),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=st.text(_chars, max_size=60),
    suffix=st.sampled_from([".csv", ".tsv", ".jsonl"]),
    weight=st.floats(min_value=1e-6, max_value=1000.0),
)
def test_any_text_round_trips_through_export_and_import(work_dir, text, suffix, weight):
    path = work_dir / f"prop{suffix}"
    write_export(path, [(text, {"intent": "smalltalk"})], [Answer("answer", "thanks", None, text, weight)])
    items = list(read_import(path))
    if text.strip():  # byte-exact: spaces, TAB, CR, NBSP, NFD all come back as they were
        assert items == [
            LabeledRow(text, {"intent": "smalltalk"}, items[0].line),
            AnswerRow("answer", "thanks", None, text, weight, items[1].line),
        ]
    else:
        assert [type(i) for i in items] == [Rejected, Rejected]


_header_then_bytes = st.builds(
    lambda prefix, body: prefix + body,
    st.sampled_from(
        [
            b"",
            codecs.BOM_UTF8,
            b"text,intent,emotion\n",
            codecs.BOM_UTF8 + b"text\tkind\tweight\n",
            b'{"text": "',
            b"type,text,intent,kind,weight\r\nanswer,",
        ]
    ),
    st.binary(max_size=400),
)


@settings(max_examples=300, deadline=None)
@given(
    data=st.one_of(st.binary(max_size=400), _header_then_bytes),
    suffix=st.sampled_from([".csv", ".tsv", ".txt", ".jsonl"]),
    reader=st.sampled_from([read_labeled, read_answers, read_import]),
)
def test_arbitrary_bytes_never_raise_anything_but_input_error(work_dir, data, suffix, reader):
    path = work_dir / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        items = list(reader(path))
    except InputError:
        return
    assert all(isinstance(i, (LabeledRow, AnswerRow, Rejected)) for i in items)
