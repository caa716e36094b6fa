"""Batch inference: our `predict_many` against transformers' `pipeline("text-classification")`.

Same encoder weights, same texts, same max length, one CPU process. The pipeline gets what a user of
it would build: `BertForSequenceClassification` (our encoder + the intent head as its classifier) and a
fast tokenizer made from our SentencePiece model (the Unigram pieces and scores, KoBERT's [CLS] x [SEP]).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import torch
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
from transformers import BertForSequenceClassification, PreTrainedTokenizerFast, pipeline
from transformers.utils import logging as hf_logging

from bench.stats import spread
from kobert_chat.nlu.inference import Classifier
from kobert_chat.nlu.tokenizer import CLS_ID, SEP_ID, UNK_ID, KoBertTokenizer


def hf_tokenizer(ours: KoBertTokenizer) -> PreTrainedTokenizerFast:
    sp = ours.sp
    vocab = [(sp.id_to_piece(i), sp.get_score(i)) for i in range(sp.get_piece_size())]
    tok = Tokenizer(models.Unigram(vocab, unk_id=UNK_ID))
    tok.normalizer = normalizers.NFKC()  # SentencePiece's default nmt_nfkc, near enough for throughput
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", CLS_ID), ("[SEP]", SEP_ID)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=ours.max_length,
    )


def hf_model(classifier: Classifier, head: str = "intent") -> BertForSequenceClassification:
    ours = classifier.model
    labels = ours.heads_config.heads[head]
    config = ours.bert_config.__class__.from_dict(ours.bert_config.to_dict())
    config.num_labels = len(labels)
    config.id2label = dict(enumerate(labels))
    config.label2id = {lab: i for i, lab in enumerate(labels)}
    model = BertForSequenceClassification(config)
    missing, _ = model.bert.load_state_dict(ours.encoder.state_dict(), strict=False)
    assert all(k.startswith("pooler.") for k in missing), missing  # the pooler is HF's own extra layer
    w = ours.heads[head].weight
    if w.shape[1] == config.hidden_size:  # a head over the encoder only (no n-gram features) fits as is
        model.classifier.load_state_dict(ours.heads[head].state_dict())
    return model.eval()


def id_agreement(ours: KoBertTokenizer, theirs: PreTrainedTokenizerFast, texts: list[str]) -> float:
    same = sum(
        ours.encode(t) == theirs(t, truncation=True, max_length=ours.max_length)["input_ids"] for t in texts
    )
    return same / len(texts)


def _seconds(fn, texts: list[str]) -> float:
    t0 = time.perf_counter()
    fn(texts)
    return time.perf_counter() - t0


def compare(model_folder: Path, texts: list[str], rounds: int = 3, batch_size: int = 64) -> dict:
    """Texts per second of ours, the pipeline at batch size 1 and at `batch_size`, each timed once per
    round over all `texts` (the order of the three rotates between rounds); the ratio of each round is
    ours over the better pipeline in that round, so a change in the machine's load falls on both."""
    hf_logging.set_verbosity_error()
    logging.getLogger("transformers").setLevel(logging.ERROR)
    ours = Classifier.load(model_folder, device="cpu")
    tok = hf_tokenizer(ours.tokenizer)
    clf = pipeline("text-classification", model=hf_model(ours), tokenizer=tok, device=torch.device("cpu"))
    kwargs = {"truncation": True, "max_length": ours.tokenizer.max_length}
    tools = {
        "ours": lambda xs: ours.predict_many(xs, batch_size=batch_size),
        "pipeline_1": lambda xs: clf(xs, **kwargs),
        "pipeline_batched": lambda xs: clf(xs, batch_size=batch_size, **kwargs),
    }
    rates: dict[str, list[float]] = {name: [] for name in tools}
    loads = []
    with torch.inference_mode():
        for fn in tools.values():
            fn(texts[:32])  # warm up
        names = list(tools)
        for r in range(rounds):
            for name in names[r % 3 :] + names[: r % 3]:
                rates[name].append(len(texts) / _seconds(tools[name], texts))
            loads.append(os.getloadavg()[0])
    ratios = [o / max(p1, pb) for o, p1, pb in zip(*rates.values(), strict=True)]
    return {
        "ratio": spread(ratios),
        "ours_texts_per_s": spread(rates["ours"], 1),
        "pipeline_texts_per_s": spread(rates["pipeline_1"], 1),
        "pipeline_batched_texts_per_s": spread(rates["pipeline_batched"], 1),
        "texts": len(texts),
        "rounds": rounds,
        "batch_size": batch_size,
        "torch_threads": torch.get_num_threads(),
        "tokenizer_id_agreement": id_agreement(ours.tokenizer, tok, texts),
        "load": spread(loads, 2),
    }
