"""The classifier: a transformers BertModel encoder plus one linear head per label set.

    text --tokenizer--> input_ids (B, T) --BertModel--> hidden (B, T, H) --masked mean--> (B, H)
    text --char n-grams--> EmbeddingBag (B, D)  [optional side channel, see ngrams.py]
    concat (B, H + D) --dropout--> one nn.Linear per head --> logits (B, n_labels)
    text --TF-IDF expert (optional, see tfidf.py)--> probabilities, mixed with the heads' at inference

Heads are data (`heads = {"intent": [...], "emotion": [...]}`): adding a label or a head grows the
matching Linear and keeps every trained weight.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import cast

import torch
from torch import nn
from transformers import BertConfig, BertModel

from .korean_features import CHAR_WB
from .ngrams import NgramBatch
from .tfidf import TfidfExpert
from .tokenizer import Batch


@dataclass
class HeadsConfig:
    heads: dict[str, list[str]] = field(default_factory=dict)  # head name -> label ids, in logit order
    ngram_buckets: int = 0  # 0 disables the n-gram side channel (e.g. for real KoBERT)
    ngram_dim: int = 128
    dropout: float = 0.1
    pooling: str = "mean"  # "mean" over real tokens, or "cls"
    # The TF-IDF expert (tfidf.py). Off by default: folders saved before it existed have none.
    tfidf: bool = False
    tfidf_features: int = 0  # its vocabulary size, set by each fit (0: not fitted)
    tfidf_analyzer: str = CHAR_WB  # which n-grams it reads (korean_features.py); older folders: char_wb
    # Chosen on validation by each fit (mixing.py); a head missing from tfidf_mix uses the encoder alone.
    tfidf_mix: dict[str, float] = field(default_factory=dict)  # head -> the expert's weight w in [0, 1]
    tfidf_temperature: dict[str, float] = field(
        default_factory=dict
    )  # head -> encoder logits / T before mixing
    tfidf_c: dict[str, float] = field(default_factory=dict)  # head -> inverse L2 strength (for the record)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> HeadsConfig:
        return cls(**{f.name: d[f.name] for f in fields(cls) if f.name in d})


class KoBertClassifier(nn.Module):
    def __init__(self, bert_config: BertConfig, heads_config: HeadsConfig):
        super().__init__()
        self.bert_config = bert_config
        self.heads_config = heads_config
        self.encoder = BertModel(bert_config, add_pooling_layer=False)
        hc = heads_config
        self.ngram = (
            nn.EmbeddingBag(hc.ngram_buckets, hc.ngram_dim, mode="sum", sparse=True)
            if hc.ngram_buckets
            else None
        )
        if self.ngram is not None:
            nn.init.normal_(self.ngram.weight, std=0.02)
        self.dropout = nn.Dropout(hc.dropout)
        self.heads = nn.ModuleDict({name: self._new_head(len(labels)) for name, labels in hc.heads.items()})
        self.tfidf = (
            TfidfExpert(hc.tfidf_features, {h: len(v) for h, v in hc.heads.items()}, hc.tfidf_analyzer)
            if hc.tfidf
            else None
        )

    @property
    def feature_dim(self) -> int:
        extra = self.heads_config.ngram_dim if self.ngram is not None else 0
        return self.bert_config.hidden_size + extra

    def _new_head(self, n_labels: int) -> nn.Linear:
        head = nn.Linear(self.feature_dim, n_labels)
        nn.init.normal_(head.weight, std=0.02)
        nn.init.zeros_(head.bias)
        return head

    def encode(self, batch: Batch) -> torch.Tensor:
        """Encoder features (B, H): what the quick mode caches."""
        out = self.encoder(
            input_ids=batch.input_ids,
            attention_mask=batch.attention_mask,
            token_type_ids=batch.token_type_ids,
        ).last_hidden_state  # (B, T, H)
        if self.heads_config.pooling == "cls":
            return out[:, 0]
        mask = batch.attention_mask.unsqueeze(-1).to(out.dtype)  # (B, T, 1)
        return (out * mask).sum(1) / mask.sum(1).clamp(min=1.0)  # (B, H)

    def head_logits(self, encoded: torch.Tensor, ngrams: NgramBatch | None) -> dict[str, torch.Tensor]:
        feats = encoded
        if self.ngram is not None:
            if ngrams is None:
                raise ValueError("this model uses n-gram features; pass an NgramBatch")
            feats = torch.cat([encoded, self.bag(ngrams).to(encoded.dtype)], dim=-1)  # (B, H + D)
        return self.logits_over(feats)

    def bag(self, ngrams: NgramBatch) -> torch.Tensor:
        """The n-gram side channel's output (B, D); the model must have one."""
        assert self.ngram is not None
        return self.ngram(ngrams.ids, ngrams.offsets, per_sample_weights=ngrams.weights)

    def logits_over(self, feats: torch.Tensor) -> dict[str, torch.Tensor]:
        """The heads over what they read (B, head_input_size): encoder features, then the bag's."""
        feats = self.dropout(feats)
        return {name: head(feats) for name, head in self.heads.items()}  # each (B, n_labels)

    def forward(self, batch: Batch, ngrams: NgramBatch | None = None) -> dict[str, torch.Tensor]:
        return self.head_logits(self.encode(batch), ngrams)

    # -- growing the label space without starting over ---------------------------------------
    def ensure_labels(self, head: str, labels: list[str]) -> list[str]:
        """Add a head or new labels to a head; returns the labels that were added."""
        device = next(self.parameters()).device
        current = self.heads_config.heads.get(head)
        if current is None:
            self.heads_config.heads[head] = list(labels)
            self.heads[head] = self._new_head(len(labels)).to(device)
            self._grow_tfidf(head)
            return list(labels)
        added = [lab for lab in labels if lab not in current]
        if added:
            old = cast(nn.Linear, self.heads[head])
            grown = self._new_head(len(current) + len(added)).to(device)
            with torch.no_grad():
                grown.weight[: len(current)] = old.weight
                grown.bias[: len(current)] = old.bias
            self.heads[head] = grown
            current.extend(added)
            self._grow_tfidf(head)
        return added

    def _grow_tfidf(self, head: str) -> None:
        """The expert's columns for new labels are unfitted: the head uses the encoder alone until a retrain refits it."""
        if self.tfidf is not None:
            self.tfidf.ensure_head(head, len(self.heads_config.heads[head]))
            self.heads_config.tfidf_mix.pop(head, None)

    def set_tfidf(
        self,
        expert: TfidfExpert | None,
        mix: dict[str, float] | None = None,
        temperature: dict[str, float] | None = None,
        c: dict[str, float] | None = None,
    ) -> None:
        """Install a fitted expert with its mix (see mixing.py); None: an empty one (same analyzer), encoder alone."""
        hc = self.heads_config
        if expert is None:
            expert = TfidfExpert(0, {h: len(v) for h, v in hc.heads.items()}, hc.tfidf_analyzer)
        hc.tfidf, hc.tfidf_features, hc.tfidf_analyzer = True, expert.n_features, expert.analyzer
        hc.tfidf_mix, hc.tfidf_temperature, hc.tfidf_c = (
            dict(mix or {}),
            dict(temperature or {}),
            dict(c or {}),
        )
        self.tfidf = expert.to(next(self.parameters()).device)

    def freeze_encoder(self, frozen: bool = True) -> None:
        for p in self.encoder.parameters():
            p.requires_grad = not frozen

    def freeze_features(self, frozen: bool = True) -> None:
        """The encoder and the n-gram bag: what quick mode keeps as they are (it trains the heads)."""
        self.freeze_encoder(frozen)
        if self.ngram is not None:
            self.ngram.weight.requires_grad = not frozen


def starter_bert_config(
    vocab_size: int, *, layers: int = 4, hidden: int = 256, heads: int = 4, max_positions: int = 128
) -> BertConfig:
    """A small BERT in KoBERT's family: same embeddings layout, pad id and token types."""
    return BertConfig(
        vocab_size=vocab_size,
        hidden_size=hidden,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        intermediate_size=hidden * 4,
        max_position_embeddings=max_positions,
        type_vocab_size=2,
        pad_token_id=1,
        hidden_dropout_prob=0.1,
        attention_probs_dropout_prob=0.1,
    )
