"""The tokenizer must produce KoBERT's layout: [CLS] pieces [SEP], right padding with [PAD]=1, token types 0."""

from __future__ import annotations

from pathlib import Path

import pytest
import sentencepiece as spm

from kobert_chat.errors import ModelError
from kobert_chat.nlu.tokenizer import (
    CLS_ID,
    MASK_ID,
    PAD_ID,
    SEP_ID,
    UNK_ID,
    KoBertTokenizer,
    train_sentencepiece,
)

TEXTS = [
    "안녕하세요 반가워요",
    "오늘 날씨 진짜 좋다ㅋㅋ",
    "시험 망했어ㅠㅠ 어떡하지",
    "고마워!!",
    "너 이름이 뭐야?",
    "퇴근하고 싶다",
    "배고파 죽겠어",
    "주말에 영화 볼래?",
] * 20


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory) -> KoBertTokenizer:
    path = train_sentencepiece(TEXTS, tmp_path_factory.mktemp("spm") / "spiece", vocab_size=120)
    return KoBertTokenizer(path, max_length=16)


def test_special_ids_match_kobert(tokenizer):
    sp = tokenizer.sp
    assert [sp.piece_to_id(p) for p in ["[UNK]", "[PAD]", "[CLS]", "[SEP]", "[MASK]"]] == [
        UNK_ID,
        PAD_ID,
        CLS_ID,
        SEP_ID,
        MASK_ID,
    ]
    assert (UNK_ID, PAD_ID, CLS_ID, SEP_ID, MASK_ID) == (0, 1, 2, 3, 4)


def test_encode_wraps_pieces_in_cls_sep(tokenizer):
    ids = tokenizer.encode("안녕하세요 반가워요")
    assert ids[0] == CLS_ID and ids[-1] == SEP_ID
    assert ids[1:-1] == tokenizer.sp.encode("안녕하세요 반가워요", out_type=int)
    assert all(i > MASK_ID or i == UNK_ID for i in ids[1:-1])


def test_batch_pads_right_with_pad_id_and_zero_token_types(tokenizer):
    batch = tokenizer.batch(["고마워", "오늘 날씨 진짜 좋다ㅋㅋ 주말에 영화 볼래?"])
    short = batch.input_ids[0].tolist()
    n_real = int(batch.attention_mask[0].sum())
    assert short[:n_real][-1] == SEP_ID
    assert set(short[n_real:]) == {PAD_ID}  # padding on the right only
    assert batch.attention_mask[0, :n_real].eq(1).all() and batch.attention_mask[0, n_real:].eq(0).all()
    assert batch.token_type_ids.eq(0).all()
    assert batch.input_ids.shape[1] == int(batch.attention_mask[1].sum())  # dynamic: padded to the longest


def test_truncation_keeps_cls_and_sep(tokenizer):
    ids = tokenizer.encode("시험 망했어ㅠㅠ " * 500)
    assert len(ids) == 16 and ids[0] == CLS_ID and ids[-1] == SEP_ID
    assert len(tokenizer.encode("고마워", max_length=4)) <= 4


@pytest.mark.parametrize(
    "text",
    ["😀🎉", "漢字 韓國", "ㅋㅋㅋㅎㅎ", "ㄱ", "\x00\x07제어문자\u200b", "a" * 3, "Mixed 한국어 English 123"],
)
def test_any_unicode_encodes(tokenizer, text):
    ids = tokenizer.encode(text)
    assert ids[0] == CLS_ID and ids[-1] == SEP_ID
    assert all(0 <= i < tokenizer.vocab_size for i in ids)


def test_decomposed_hangul_maps_like_composed(tokenizer):
    import unicodedata

    text = "안녕하세요"
    assert tokenizer.encode(unicodedata.normalize("NFD", text)) == tokenizer.encode(text)


def test_save_and_load_round_trip(tokenizer, tmp_path):
    tokenizer.save(tmp_path)
    again = KoBertTokenizer.load(tmp_path)
    assert again.max_length == 16
    assert again.encode("퇴근하고 싶다") == tokenizer.encode("퇴근하고 싶다")


def test_refuses_a_sentencepiece_model_with_another_layout(tmp_path):
    corpus = tmp_path / "c.txt"
    corpus.write_text("\n".join(TEXTS), encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(tmp_path / "other"),
        vocab_size=60,
        hard_vocab_limit=False,
        minloglevel=2,
    )  # default layout: <unk>=0 <s>=1 </s>=2
    with pytest.raises(ModelError, match="special-token layout"):
        KoBertTokenizer(tmp_path / "other.model")


def test_missing_model_file_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="not found"):
        KoBertTokenizer(Path(tmp_path) / "nope.model")


def test_training_is_deterministic(tmp_path):
    a = train_sentencepiece(TEXTS, tmp_path / "a", vocab_size=100)
    b = train_sentencepiece(TEXTS, tmp_path / "b", vocab_size=100)
    pieces = [
        [(sp.id_to_piece(i), sp.get_score(i)) for i in range(sp.get_piece_size())]
        for sp in (
            spm.SentencePieceProcessor(model_file=str(a)),
            spm.SentencePieceProcessor(model_file=str(b)),
        )
    ]
    assert pieces[0] == pieces[1]  # the files differ only in the recorded input path
