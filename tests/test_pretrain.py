"""Masked-LM pretraining (nlu/pretrain.py): whole words hidden, and a loss that really leaves the
unigram plateau, the failure ../shared/DESIGN.md records for a naive schedule."""

from __future__ import annotations

import numpy as np
import torch
from transformers import BertModel

from kobert_chat.nlu.model import starter_bert_config
from kobert_chat.nlu.pretrain import PretrainConfig, mask_words, pretrain_mlm, unigram_entropy, word_starts
from kobert_chat.nlu.tokenizer import CLS_ID, SEP_ID, KoBertTokenizer, train_sentencepiece

# A small corpus whose hidden words can be guessed from their neighbours: who, where, and what goes
# with the place. Frequencies alone (the unigram plateau) cannot tell which place or which verb.
PEOPLE = ["나는", "동생은", "친구는", "엄마는", "우리 팀은", "언니는"]
PLACES = [
    ("바다에서", "수영했어"),
    ("도서관에서", "공부했어"),
    ("식당에서", "밥 먹었어"),
    ("공원에서", "산책했어"),
]
TIMES = ["오늘", "어제", "주말에", "아침에"]
CORPUS = [f"{t} {p} {place} {verb}" for t in TIMES for p in PEOPLE for place, verb in PLACES]


def _tokenizer(tmp_path) -> KoBertTokenizer:
    return KoBertTokenizer(train_sentencepiece(CORPUS, tmp_path / "sp", 80), max_length=32)


def test_whole_words_are_hidden_together(tmp_path):
    tok = _tokenizer(tmp_path)
    ids = tok.encode("주말에 도서관에서 공부했어")
    starts = word_starts(tok, ids)
    rng = np.random.default_rng(0)
    for _ in range(50):
        inputs, targets = mask_words(ids, starts, 0.3, tok.vocab_size, rng)
        assert inputs[0] == CLS_ID and inputs[-1] == SEP_ID and targets[0] == targets[-1] == -100
        hidden = [k for k, t in enumerate(targets) if t != -100]
        assert hidden, "every line gets at least one hidden word"
        for k in hidden:  # a hidden piece's whole word is hidden: no word is half-masked
            a = max(j for j in range(1, k + 1) if starts[j])
            b = next((j for j in range(k + 1, len(ids) - 1) if starts[j]), len(ids) - 1)
            assert all(targets[j] == ids[j] for j in range(a, b))


def test_loss_falls_clearly_below_the_unigram_entropy(tmp_path):
    tok = _tokenizer(tmp_path)
    torch.manual_seed(0)
    encoder = BertModel(
        starter_bert_config(tok.vocab_size, layers=1, hidden=64, heads=2), add_pooling_layer=False
    )
    result = pretrain_mlm(
        encoder, tok, CORPUS * 4, PretrainConfig(epochs=6, batch_size=16, lr=2e-3, mask_rate=0.2)
    )
    assert result.steps == 6 * len(CORPUS * 4) // 16
    entropy = unigram_entropy([tok.encode(t) for t in CORPUS])
    assert abs(result.unigram_entropy - entropy) < 1e-6 and entropy > 2.0
    assert result.final_loss < 0.75 * entropy, (result.losses, entropy)  # measured: 3.21 -> 1.83
    assert not encoder.training  # handed back ready for fine-tuning


def test_same_seed_pretrains_the_same_weights(tmp_path):
    tok = _tokenizer(tmp_path)
    weights = []
    for _ in range(2):
        torch.manual_seed(0)
        enc = BertModel(
            starter_bert_config(tok.vocab_size, layers=1, hidden=32, heads=2), add_pooling_layer=False
        )
        pretrain_mlm(enc, tok, CORPUS, PretrainConfig(epochs=1, batch_size=16, seed=5))
        weights.append(enc.state_dict())
    assert all(torch.equal(weights[0][k], weights[1][k]) for k in weights[0])
