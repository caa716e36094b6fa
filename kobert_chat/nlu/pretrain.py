"""Masked-LM pretraining of the encoder on unlabeled text, before it is fine-tuned on labels.

Any text works: the bundled training lines, and the user's own chat history when a caller passes it
(never a held-out test line). Whole-word masking: ~15 % of the words (SentencePiece pieces from one
"▁" to the next) are hidden whole, 80 % as [MASK], 10 % as a random piece, 10 % unchanged, and the
encoder learns to predict them through a small MLM head whose decoder is tied to the word embeddings.

The trap (../shared/DESIGN.md): a from-scratch BERT first learns the piece frequencies, a loss equal to
the unigram entropy of the pieces, and a naive schedule stays on that plateau for good, after which
fine-tuning collapsed. What gets past it here: linear warmup, then decay, Adam's beta2 = 0.98, the
loss on masked positions only, and a decoder tied to the embeddings. `PretrainResult` keeps the
loss curve and the unigram entropy so a caller (and a test) can check the loss went clearly below.
The MLM head is thrown away afterwards: saved folders hold the encoder only, as before.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn
from transformers import BertModel

from ..errors import TrainingCancelled
from ..progress import Progress, Stage, ignore
from .batching import bucketed_order
from .optim import warmup_linear
from .tokenizer import MASK_ID, KoBertTokenizer, pad

FIRST_PIECE = 5  # ids below are [UNK] [PAD] [CLS] [SEP] [MASK]; never masked, never drawn as noise


@dataclass(frozen=True)
class PretrainConfig:
    epochs: int = 4
    batch_size: int = 64
    lr: float = 1e-3
    warmup_ratio: float = 0.1
    weight_decay: float = 0.01
    mask_rate: float = 0.15  # share of pieces hidden (whole words at a time)
    max_length: int = 64
    seed: int = 0


@dataclass
class PretrainResult:
    unigram_entropy: float  # nats: the loss of predicting every hidden piece by its frequency alone
    losses: list[float] = field(default_factory=list)  # mean masked-LM loss of each tenth of the steps
    steps: int = 0
    seconds: float = 0.0

    @property
    def final_loss(self) -> float:
        return self.losses[-1] if self.losses else math.inf


class MlmHead(nn.Module):
    """BERT's prediction head: transform, then a decoder that shares the word-embedding matrix."""

    def __init__(self, encoder: BertModel):
        super().__init__()
        cfg = encoder.config
        self.transform = nn.Sequential(
            nn.Linear(cfg.hidden_size, cfg.hidden_size),
            nn.GELU(),
            nn.LayerNorm(cfg.hidden_size, eps=cfg.layer_norm_eps),
        )
        self.embeddings = encoder.embeddings.word_embeddings  # tied: (V, H)
        self.bias = nn.Parameter(torch.zeros(cfg.vocab_size))

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.transform(hidden) @ self.embeddings.weight.T + self.bias  # (N, H) -> (N, V)


def word_starts(tokenizer: KoBertTokenizer, ids: Sequence[int]) -> list[bool]:
    """For each id: does a new word start here? (a "▁" piece, or the first piece after [CLS])."""
    pieces = [tokenizer.sp.id_to_piece(i) for i in ids]
    return [p.startswith("▁") or k == 1 for k, p in enumerate(pieces)]


def unigram_entropy(encoded: Sequence[Sequence[int]]) -> float:
    """Entropy (nats) of the piece distribution over real pieces: the plateau a masked LM must leave."""
    counts = Counter(i for seq in encoded for i in seq if i >= FIRST_PIECE)
    total = sum(counts.values())
    p = np.array(list(counts.values()), dtype=np.float64) / max(total, 1)
    return float(-(p * np.log(p)).sum()) if total else 0.0


def mask_words(
    ids: list[int], starts: list[bool], rate: float, vocab_size: int, rng: np.random.Generator
) -> tuple[list[int], list[int]]:
    """-> (input ids with whole words hidden, target ids: the original piece where hidden, -100 elsewhere)."""
    # words as [start, end) ranges of real pieces; [CLS] and [SEP] are not part of any word
    bounds = [k for k in range(1, len(ids) - 1) if starts[k]] + [len(ids) - 1]
    words = list(zip(bounds, bounds[1:], strict=False))
    inputs, targets = list(ids), [-100] * len(ids)
    if not words:
        return inputs, targets
    budget = max(1, round((len(ids) - 2) * rate))
    hidden = 0
    for w in rng.permutation(len(words)):
        if hidden >= budget:
            break
        a, b = words[w]
        roll = rng.random()
        for k in range(a, b):
            targets[k] = ids[k]
            if roll < 0.8:
                inputs[k] = MASK_ID
            elif roll < 0.9:
                inputs[k] = int(rng.integers(FIRST_PIECE, vocab_size))
        hidden += b - a
    return inputs, targets


def pretrain_mlm(
    encoder: BertModel,
    tokenizer: KoBertTokenizer,
    texts: Sequence[str],
    config: PretrainConfig = PretrainConfig(),
    device: torch.device | str = "cpu",
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> PretrainResult:
    """Train `encoder` in place as a masked LM on `texts`; returns the loss curve."""
    emit, stop = progress or ignore, should_stop or (lambda: False)
    device = torch.device(device)
    encoded = [e for e in (tokenizer.encode(t, config.max_length) for t in texts if t.strip()) if len(e) > 2]
    result = PretrainResult(unigram_entropy(encoded))
    if not encoded or config.epochs <= 0:
        return result
    starts = [word_starts(tokenizer, e) for e in encoded]
    rng = np.random.default_rng(config.seed)
    gen_state = torch.get_rng_state()
    torch.manual_seed(config.seed)
    head = MlmHead(encoder).to(device)
    encoder.train()  # on `device` already, with the classifier it belongs to
    params = list({id(p): p for p in [*encoder.parameters(), *head.parameters()]}.values())  # tied once
    decay = [p for p in params if p.ndim >= 2]
    no_decay = [p for p in params if p.ndim < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=config.lr,
        betas=(0.9, 0.98),
        eps=1e-6,
    )
    steps_per_epoch = math.ceil(len(encoded) / config.batch_size)
    total = steps_per_epoch * config.epochs
    schedule = warmup_linear(opt, int(total * config.warmup_ratio), total)
    lengths = [len(e) for e in encoded]
    window: list[float] = []
    started = time.monotonic()
    vocab = encoder.config.vocab_size
    for epoch in range(1, config.epochs + 1):
        emit(Stage("pretrain", f"문장을 읽으며 말의 짜임을 익히는 중 ({epoch}/{config.epochs})"))
        order = bucketed_order(rng, lengths, config.batch_size)
        for b in range(steps_per_epoch):
            if stop():
                raise TrainingCancelled("training was cancelled")
            idx = order[b * config.batch_size : (b + 1) * config.batch_size]
            masked = [mask_words(encoded[i], starts[i], config.mask_rate, vocab, rng) for i in idx]
            batch = pad([m[0] for m in masked]).to(device)
            targets = torch.full(batch.input_ids.shape, -100, dtype=torch.long)
            for row, (_, t) in enumerate(masked):
                targets[row, : len(t)] = torch.tensor(t)
            targets = targets.to(device)
            hidden = encoder(
                input_ids=batch.input_ids,
                attention_mask=batch.attention_mask,
                token_type_ids=batch.token_type_ids,
            ).last_hidden_state  # (B, T, H)
            where = targets != -100
            loss = nn.functional.cross_entropy(head(hidden[where]), targets[where])  # masked pieces only
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            schedule.step()
            result.steps += 1
            window.append(loss.item())
            if len(window) >= max(1, total // 10) or result.steps == total:
                result.losses.append(round(float(np.mean(window)), 4))
                window = []
    result.seconds = time.monotonic() - started
    encoder.eval()
    torch.set_rng_state(
        gen_state
    )  # the fine-tuning that follows draws the same numbers as without pretraining
    return result
