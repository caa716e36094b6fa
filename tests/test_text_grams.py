"""Remembered n-grams (nlu/text_grams.py): each text's TF-IDF keys and n-gram bag, cut once and kept on
disk, read back exactly, never trusted when damaged, and read by the next retrain instead of cut again."""

from __future__ import annotations

import numpy as np
import pytest

from kobert_chat import paths
from kobert_chat.nlu import korean_features, ngrams, remembered, text_grams, tfidf
from kobert_chat.nlu.starter import KOREAN_ANALYZER
from kobert_chat.training_job import TrainRequest, run_training
from tests.helpers import sample_examples

TEXTS = ["오늘 너무 좋다 ㅋㅋㅋㅋ", "헤어졌어…", "", "ㄱㅅㄱㅅ!!", "내일 면접인데 떨려요 ㅠㅠ 진짜 어떡하지"]
BUCKETS = 4096


@pytest.fixture(autouse=True)
def fresh_caches():
    remembered.forget()
    tfidf.gram_counts.cache_clear()
    yield
    remembered.forget()
    tfidf.gram_counts.cache_clear()


def computed(texts):
    return {t: (tfidf.gram_counts(t, KOREAN_ANALYZER), ngrams.ngram_features(t, BUCKETS)) for t in texts}


def no_cutting(monkeypatch):
    """Cutting a text into n-grams now fails: whatever is answered came from the remembered files."""

    def refuse(*_a, **_k):
        raise AssertionError("a remembered text was cut into n-grams again")

    monkeypatch.setattr(tfidf, "grams", refuse)
    monkeypatch.setattr(ngrams, "hashed_counts", refuse)


def assert_same(got, want):
    for (gk, gc), (wk, wc) in zip(got, want, strict=True):
        np.testing.assert_array_equal(gk, wk)
        np.testing.assert_array_equal(gc, wc)


def test_a_round_trip_gives_the_same_ngrams_without_cutting_again(tmp_path, monkeypatch):
    want = computed(TEXTS)
    assert text_grams.save(tmp_path, KOREAN_ANALYZER, BUCKETS, TEXTS)
    remembered.forget()
    tfidf.gram_counts.cache_clear()
    assert text_grams.load(tmp_path, KOREAN_ANALYZER, BUCKETS) == 2 * len(set(TEXTS))
    no_cutting(monkeypatch)
    for text in TEXTS:
        got_counts = tfidf.gram_counts(text, KOREAN_ANALYZER)
        got_bag = ngrams.ngram_features(text, BUCKETS)
        assert_same([got_counts, got_bag], list(want[text]))
        assert got_counts[0].dtype == np.int64 and got_bag[0].dtype == np.int64
        assert not got_counts[0].flags.writeable  # shared with the cache


def test_texts_are_not_stored_only_their_digests(tmp_path):
    text_grams.save(tmp_path, KOREAN_ANALYZER, BUCKETS, TEXTS)
    for path in tmp_path.iterdir():
        assert "면접".encode() not in path.read_bytes()


def test_another_analyzer_or_bucket_count_is_another_file(tmp_path):
    text_grams.save(tmp_path, KOREAN_ANALYZER, BUCKETS, TEXTS)
    remembered.forget()
    assert text_grams.load(tmp_path, "char_wb", 2**18) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f"bag-{BUCKETS}.safetensors", "tfidf-norm+char_wb+nospace+jamo.safetensors"]


def test_a_save_keeps_earlier_texts_and_the_newest_when_full(tmp_path, monkeypatch):
    text_grams.save(tmp_path, KOREAN_ANALYZER, None, TEXTS[:2])
    text_grams.save(tmp_path, KOREAN_ANALYZER, None, TEXTS[2:])
    remembered.forget()
    assert text_grams.load(tmp_path, KOREAN_ANALYZER, None) == len(TEXTS)
    monkeypatch.setattr(text_grams, "MAX_TEXTS", 2)
    text_grams.save(tmp_path, KOREAN_ANALYZER, None, [TEXTS[0]])  # used again: among the newest
    remembered.forget()
    assert text_grams.load(tmp_path, KOREAN_ANALYZER, None) == 2
    rows = text_grams._read(
        text_grams.file_for(tmp_path, text_grams.TFIDF, KOREAN_ANALYZER), text_grams.TFIDF, KOREAN_ANALYZER
    )
    assert remembered.text_key(TEXTS[0]) in rows and remembered.text_key(TEXTS[-1]) in rows


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],  # cut short
        lambda b: b"not a safetensors file at all",
        lambda b: b[:8] + b"\xff" * 32 + b[40:],  # the header broken
    ],
)
def test_a_damaged_file_is_ignored_and_the_ngrams_computed_again(tmp_path, damage):
    want = computed(TEXTS)
    text_grams.save(tmp_path, KOREAN_ANALYZER, BUCKETS, TEXTS)
    for path in tmp_path.iterdir():
        path.write_bytes(damage(path.read_bytes()))
    remembered.forget()
    tfidf.gram_counts.cache_clear()
    assert text_grams.load(tmp_path, KOREAN_ANALYZER, BUCKETS) == 0
    for text in TEXTS:
        assert_same(
            [tfidf.gram_counts(text, KOREAN_ANALYZER), ngrams.ngram_features(text, BUCKETS)], list(want[text])
        )
    assert text_grams.save(tmp_path, KOREAN_ANALYZER, BUCKETS, TEXTS)  # a damaged file is replaced whole


def test_wrong_shapes_or_out_of_range_bucket_ids_are_ignored(tmp_path):
    from safetensors.numpy import save

    good = text_grams.file_for(tmp_path, text_grams.BAG, str(BUCKETS))
    key = np.frombuffer(remembered.text_key("배고파"), dtype=np.uint8).reshape(1, 16)
    offsets = np.array([0, 2], dtype=np.int64)
    good.write_bytes(
        save(
            {
                "texts": key,
                "offsets": offsets,
                "ids": np.array([1, BUCKETS + 5], np.int32),
                "weights": np.ones(2, np.float32),
            }
        )
    )
    assert text_grams.load(tmp_path, None, BUCKETS) == 0  # an id past the table would index out of it
    good.write_bytes(
        save(
            {
                "texts": key,
                "offsets": np.array([0, 3], np.int64),
                "ids": np.ones(2, np.int32),
                "weights": np.ones(2, np.float32),
            }
        )
    )
    assert text_grams.load(tmp_path, None, BUCKETS) == 0  # offsets past the arrays
    good.write_bytes(
        save(
            {"texts": key, "offsets": offsets, "ids": np.ones(2, np.int32), "weights": np.ones(2, np.float32)}
        )
    )
    assert text_grams.load(tmp_path, None, BUCKETS) == 1  # the same file, well formed, is read


def test_an_unwritable_folder_only_costs_time(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    assert text_grams.save(blocker / "text-grams", KOREAN_ANALYZER, BUCKETS, TEXTS) is False


def test_a_second_retrain_cuts_no_text_it_has_seen(model_home, monkeypatch):
    from kobert_chat import training_data

    lines = {"train": sample_examples(300), "test": sample_examples(60, split="test")}
    monkeypatch.setattr(training_data, "bundled_examples", lambda split="train": lines[split])
    request = TrainRequest(mode="quick", epochs=1, device="cpu")
    run_training(request, home=model_home)
    folder = paths.text_grams_dir(model_home)
    assert sorted(p.name.split("-")[0] for p in folder.glob("*.safetensors")) == ["bag", "tfidf"]

    remembered.forget()  # as a new training child starts: nothing in memory
    tfidf.gram_counts.cache_clear()
    seen = {ex.text for ex in lines["train"] + lines["test"]}
    cut: list[str] = []
    real_grams, real_hashed = korean_features.grams, ngrams.hashed_counts
    monkeypatch.setattr(tfidf, "grams", lambda text, a: cut.append(text) or real_grams(text, a))
    monkeypatch.setattr(ngrams, "hashed_counts", lambda text, b: cut.append(text) or real_hashed(text, b))
    done = run_training(request, home=model_home)
    assert done is not None and done.version
    assert not seen & set(cut)  # training, validation, the expert and the exam read them from disk
