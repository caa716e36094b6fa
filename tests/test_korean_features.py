"""Korean-aware n-grams for the TF-IDF expert (nlu/korean_features.py)."""

from __future__ import annotations

import pytest
import torch

from kobert_chat.nlu.korean_features import CHAR_WB, check_analyzer, collapse_repeats, grams, initials, jamo
from kobert_chat.nlu.tfidf import fit_head, fit_vocabulary


def test_repeated_characters_collapse_to_two():
    assert collapse_repeats("ㅋㅋㅋㅋㅋㅋ 진짜!!!! ㅠㅠㅠ 아아") == "ㅋㅋ 진짜!! ㅠㅠ 아아"


def test_jamo_and_initial_consonants():
    assert jamo("감사") == "ㄱㅏㅁㅅㅏ"
    assert jamo("됐어 ok") == "ㄷㅙㅆㅇㅓ ok"
    assert initials("감사합니다") == "ㄱㅅㅎㄴㄷ"
    assert initials("ㄱㅅ") == "ㄱㅅ"  # typed abbreviations stay as they are


def test_char_wb_is_the_analyzer_of_old_folders():
    assert grams("안녕 ㅋㅋ") == [" ", "안", "녕", " ", " 안", "안녕", "녕 ", " 안녕", "안녕 ", " 안녕 "] + [
        " ",
        "ㅋ",
        "ㅋ",
        " ",
        " ㅋ",
        "ㅋㅋ",
        "ㅋ ",
        " ㅋㅋ",
        "ㅋㅋ ",
        " ㅋㅋ ",
    ]
    assert grams("안녕", CHAR_WB) == grams("안녕", "char_wb")


def test_spellings_people_mix_up_share_more_ngrams_with_the_korean_parts():
    def overlap(a: str, b: str, analyzer: str) -> float:
        ga, gb = set(grams(a, analyzer)), set(grams(b, analyzer))
        return len(ga & gb) / len(ga | gb)

    for a, b, part in [
        ("진짜 좋아ㅋㅋㅋㅋㅋ", "진짜 좋아ㅋㅋ", "norm"),
        ("오늘 너무 피곤해", "오늘너무피곤해", "nospace"),
        ("감사합니다", "감사함니다", "jamo"),
        ("고마워", "ㄱㅁ", "cho"),
    ]:
        assert overlap(a, b, f"char_wb+{part}") > overlap(a, b, "char_wb"), (a, b, part)


@pytest.mark.parametrize("bad", ["", "norm", "char_wb+bigrams"])
def test_unknown_analyzers_are_refused(bad):
    with pytest.raises(ValueError, match="analyzer"):
        check_analyzer(bad)


def test_expert_with_korean_parts_reads_typo_and_abbreviation_variants():
    thanks = ["정말 감사합니다", "고마워요", "감사해요", "고맙습니다"]
    hello = ["안녕하세요", "반가워요", "안녕 반가워", "처음 뵙겠습니다"]
    texts, y = thanks + hello, torch.tensor([0] * 4 + [1] * 4)
    analyzer = "norm+char_wb+jamo+cho"
    expert = fit_vocabulary(texts, {"intent": 2}, analyzer)
    assert expert.analyzer == analyzer
    fit_head(expert, "intent", expert.features(texts), y, torch.ones(8), c=10.0)
    assert expert.logits(["감사함니다", "ㄱㅅㅎㄴㄷ", "안뇽하세여"])["intent"].argmax(1).tolist() == [0, 0, 1]
