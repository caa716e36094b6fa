"""The one training path, used by the CLI, the app's retrain button (via a child process) and bench/.

Multi-task: every example may carry labels for some heads; missing ones are masked out of the loss.
Modes: "full" fine-tunes encoder, n-gram bag and heads; "quick" freezes the encoder and the n-gram
bag, takes the encoder's features from an EncoderMemo (encoder_memo.py: computed once per text, kept
across retrains) and trains only the heads (a second on CPU). Early stopping keeps the epoch with the best mean
validation macro-F1 over heads. A model with a TF-IDF expert (tfidf.py) then gets it refit, with
its mix chosen on the validation split (mixing.py); epochs are scored on the encoder alone.

Hardware: on CUDA, bf16 (or fp16 with loss scaling) autocast, pinned host memory with non-blocking
copies, and a batch size halved until it fits in GPU memory. Under torchrun (`dist`, see
distributed.py) each process trains on its shard and DDP averages gradients. On one CPU process none
of this changes anything.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import torch

from ..errors import InputError, TrainingCancelled
from ..progress import Epoch, Progress, Stage, Start, Step, ignore
from . import hardware, objective, optim
from .augment import Augmenter
from .batching import bucketed_order
from .distributed import Dist
from .encoder_memo import EncoderMemo
from .evaluation import classification_report
from .examples import Example, stratified_split
from .inference import (
    mixed_probabilities,
    probabilities,
    to_device,
)
from .mixing import C_GRID, DEFAULT_C, QUICK_HISTORY, QUICK_MAX_ITER, Labeled, fit_expert
from .model import KoBertClassifier
from .ngrams import batch_from_features, ngram_features
from .tokenizer import KoBertTokenizer, pad


@dataclass
class TrainConfig:
    mode: str = "full"  # "full" | "quick"
    epochs: int = 10
    batch_size: int = 32
    lr: float = 5e-4  # encoder learning rate: ~5e-4 for the small starter, ~5e-5 for real KoBERT
    head_lr: float = 3e-3  # heads and n-gram bag learn from scratch, so faster
    weight_decay: float = 0.01
    warmup_ratio: float = 0.06
    max_grad_norm: float = 1.0
    patience: int = 3  # epochs without validation gain before stopping
    val_fraction: float = 0.1
    seed: int = 0
    max_length: int = 64
    # Full mode: the share of training lines replaced, each epoch, by a variant typed another way
    # (augment.py: spacing, typos, 존댓말 <-> 반말, ㅋㅋ/ㅠㅠ). 0: the lines as they are.
    augment: float = 0.0
    tfidf_min_df: int = 1  # the TF-IDF expert keeps n-grams seen in at least this many training texts

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class TrainResult:
    model: KoBertClassifier
    metrics: dict[str, dict]  # head -> classification_report on the validation split (best epoch)
    best_epoch: int
    n_train: int
    n_val: int
    history: list[Epoch] = field(default_factory=list)
    val_examples: list[Example] = field(default_factory=list)
    memo: EncoderMemo | None = None  # quick mode: the frozen encoder's features (the exam reuses them)


def train(
    model: KoBertClassifier,
    tokenizer: KoBertTokenizer,
    examples: Sequence[Example],
    config: TrainConfig,
    *,
    val_examples: Sequence[Example] | None = None,
    device: torch.device | str = "cpu",
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    dist: Dist | None = None,
    memo: EncoderMemo | None = None,
) -> TrainResult:
    """`memo`: quick mode's remembered features for this model's encoder (encoder_memo.py;
    EncoderMemo.load keys the file by this model's digest, so it serves it); None: a fresh one.
    Full mode trains the encoder, so it ignores any memo."""
    emit = progress or ignore
    stop = should_stop or (lambda: False)
    device = torch.device(device)
    dist = (
        dist or Dist()
    )  # one process unless torchrun started several (the caller passes distributed.init())
    if config.mode not in ("quick", "full"):
        raise InputError(f"unknown training mode {config.mode!r}: use quick or full")
    _seed_everything(config.seed)
    examples = [ex for ex in examples if ex.text.strip() and ex.labels]
    if val_examples is None:
        train_set, val_set = stratified_split(examples, config.val_fraction, config.seed)
    else:
        train_set, val_set = list(examples), list(val_examples)
    if not train_set:
        raise InputError("no labeled examples to train on")
    _check_labels(model, train_set + val_set)
    model.to(device)
    if config.mode == "quick" and memo is None:
        memo = EncoderMemo.for_model(model, tokenizer)
    return _train(model, tokenizer, train_set, val_set, config, device, emit, stop, dist, memo)


def _train(model, tokenizer, train_set, val_set, config, device, emit, stop, dist, memo) -> TrainResult:
    if dist.backend == "nccl" and model.ngram is not None:
        raise InputError(
            "the n-gram channel has sparse gradients, which NCCL cannot average across GPUs; "
            "train this model in one process"
        )
    old_expert = model.tfidf  # its weights warm-start the refit at the end (it is not used before)
    if model.tfidf is not None:
        model.set_tfidf(None)  # the old expert may have seen this validation split; it is refit at the end

    targets = objective.targets(model, train_set)
    class_weights = objective.class_weights(model, targets, device)
    sample_w = torch.tensor([ex.weight for ex in train_set], dtype=torch.float32)
    quick = config.mode == "quick"
    memo = memo if quick else None
    # Quick mode trains the heads alone, on what they read: the frozen encoder's remembered features
    # and the n-gram bag's output, computed once (the bag's sparse updates were most of its time, and
    # the refit TF-IDF expert learns the user's new n-grams).
    model.freeze_features(quick)
    features = _head_inputs(model, tokenizer, memo, train_set, device) if memo is not None else None
    # Quick mode scores every epoch on the validation lines' head inputs too, computed once.
    val_cache = (
        _ValidationCache.build(model, tokenizer, memo, val_set, device)
        if memo is not None and val_set
        else None
    )
    # Token ids and n-gram bags feed full mode only (quick mode trains on the head inputs above).
    encoded = [] if quick else [tokenizer.encode(ex.text, config.max_length) for ex in train_set]
    lengths = [len(e) for e in encoded]
    bags = None if quick else _ngram_bags(model, train_set)
    variants = _Variants.build(train_set, config) if config.augment > 0 and not quick else None

    amp = hardware.Amp(device)
    batch_size = config.batch_size
    if device.type == "cuda" and not quick:  # ranks must agree: all take the smallest size that fits
        batch_size = dist.min_int(
            hardware.fit_batch_size(
                hardware.memory_trial(
                    model, encoded, train_set, targets, sample_w, class_weights, amp, device
                ),
                batch_size,
            )
        )
        if batch_size != config.batch_size:
            emit(Stage("batch_size", f"GPU 메모리에 맞춰 한 번에 {batch_size}문장씩 학습해요"))
    net = dist.wrap(objective.TrainingForward(model, quick))
    steps_per_epoch = math.ceil(dist.shard_size(len(train_set)) / batch_size)
    total_steps = steps_per_epoch * config.epochs
    optimizers = optim.optimizers(model, config)
    schedulers = [
        optim.warmup_linear(o, int(total_steps * config.warmup_ratio), total_steps) for o in optimizers
    ]
    emit(Start(config.mode, config.epochs, total_steps, len(train_set), len(val_set)))

    best_score, best_state, best_epoch, best_metrics = -1.0, None, 0, {}
    history: list[Epoch] = []
    bad_epochs, step, started = 0, 0, time.monotonic()
    rng = np.random.default_rng(config.seed)
    for epoch in range(1, config.epochs + 1):
        model.train()
        if quick:
            model.encoder.eval()  # frozen encoder: no dropout noise in cached features
        # Same order on every rank, disjoint shards. Full mode pads token batches: group similar lengths.
        epoch_encoded, epoch_bags = encoded, bags
        if variants is not None:
            epoch_encoded, epoch_bags = variants.epoch(epoch, encoded, bags, tokenizer, model, config)
            lengths = [len(e) for e in epoch_encoded]
        order = dist.shard(
            rng.permutation(len(train_set))
            if quick
            else bucketed_order(rng, lengths, batch_size * dist.world_size)
        )
        epoch_loss, last_emit = 0.0, 0.0
        for b in range(steps_per_epoch):
            if dist.any(stop()):
                raise TrainingCancelled("training was cancelled")
            idx = order[b * batch_size : (b + 1) * batch_size].tolist()
            grams = (
                to_device(batch_from_features([epoch_bags[i] for i in idx]), device) if epoch_bags else None
            )
            inputs = features[idx] if features is not None else pad([epoch_encoded[i] for i in idx])
            with amp.autocast():
                logits = net(to_device(inputs, device), grams)
                loss = objective.loss(
                    logits,
                    {h: to_device(t[idx], device) for h, t in targets.items()},
                    to_device(sample_w[idx], device),
                    class_weights,
                )
            for o in optimizers:
                o.zero_grad(set_to_none=True)
            amp.backward(loss)
            amp.unscale(optimizers)
            dense = [p for p in model.parameters() if p.requires_grad and not optim.is_sparse(model, p)]
            torch.nn.utils.clip_grad_norm_(dense, config.max_grad_norm)
            amp.step(optimizers)
            for sch in schedulers:
                sch.step()
            step += 1
            epoch_loss += loss.item()
            now = time.monotonic()
            if now - last_emit > 0.5 or b == steps_per_epoch - 1:
                last_emit = now
                eta = (now - started) / step * (total_steps - step)
                emit(Step(epoch, step, total_steps, round(loss.item(), 4), round(eta, 1)))
        if val_cache is not None:
            metrics = val_cache.evaluate(model, val_set)
        else:
            metrics = evaluate_examples(model, tokenizer, val_set, device) if val_set else {}
        score = mean_macro_f1(metrics) if metrics else -epoch_loss  # no validation: lower loss is better
        score = dist.from_main(score)  # every rank stops at the same epoch
        summary = {
            h: {"macro_f1": round(m["macro_f1"], 4), "accuracy": round(m["accuracy"], 4)}
            for h, m in metrics.items()
        }
        eta = (time.monotonic() - started) / step * (total_steps - step)
        record = Epoch(epoch, round(epoch_loss / steps_per_epoch, 4), summary, round(eta, 1))
        history.append(record)
        emit(record)
        if score > best_score + 1e-4:
            best_score, best_epoch, best_metrics, bad_epochs = score, epoch, metrics, 0
            best_state = {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}
        else:
            bad_epochs += 1
            if bad_epochs >= config.patience:
                break
    del net  # the DDP wrapper (if any) is only for the training steps
    if best_state is not None:
        model.load_state_dict(best_state)
    model.freeze_features(False)
    model.eval()
    if model.tfidf is not None and dist.is_main:  # other ranks' models are never saved
        best_metrics = _fit_tfidf(
            model, tokenizer, train_set, val_set, device, emit, stop, memo, config.tfidf_min_df, old_expert
        )
    return TrainResult(
        model, best_metrics, best_epoch, len(train_set), len(val_set), history, list(val_set), memo
    )


def evaluate_examples(
    model: KoBertClassifier,
    tokenizer: KoBertTokenizer,
    examples: Sequence[Example],
    device: torch.device | str = "cpu",
) -> dict[str, dict]:
    """Per-head report over the examples that carry a label for that head."""
    if not examples:
        return {}
    return _reports(
        model.heads_config.heads,
        examples,
        probabilities(model, tokenizer, [ex.text for ex in examples], device),
    )


@dataclass
class _ValidationCache:
    """What quick mode needs to score an epoch without running the frozen encoder or bag again."""

    texts: list[str]
    features: torch.Tensor  # (N, head input size): the heads' inputs, on the training device

    @classmethod
    def build(
        cls,
        model: KoBertClassifier,
        tokenizer: KoBertTokenizer,
        memo: EncoderMemo,
        examples: Sequence[Example],
        device: torch.device,
    ) -> _ValidationCache:
        features = _head_inputs(model, tokenizer, memo, examples, device)
        return cls([ex.text for ex in examples], to_device(features, device))

    @torch.inference_mode()
    def evaluate(self, model: KoBertClassifier, examples: Sequence[Example]) -> dict[str, dict]:
        """evaluate_examples for a frozen encoder and bag: the heads over the cached inputs."""
        model.eval()
        logits = model.logits_over(self.features)
        probs = {h: p.cpu().numpy() for h, p in mixed_probabilities(model, self.texts, logits).items()}
        return _reports(model.heads_config.heads, examples, probs)


def _reports(
    heads: dict[str, list[str]], examples: Sequence[Example], probs: dict[str, np.ndarray]
) -> dict[str, dict]:
    reports = {}
    for head, labels in heads.items():
        rows = [i for i, ex in enumerate(examples) if head in ex.labels]
        if not rows:
            continue
        y_true = [examples[i].labels[head] for i in rows]
        y_pred = [labels[j] for j in probs[head][rows].argmax(1)]
        reports[head] = classification_report(y_true, y_pred, labels)
    return reports


def _fit_tfidf(
    model: KoBertClassifier,
    tokenizer: KoBertTokenizer,
    train_set: Sequence[Example],
    val_set: Sequence[Example],
    device: torch.device,
    emit: Progress,
    stop: Callable[[], bool],
    memo: EncoderMemo | None = None,
    min_df: int = 1,
    warm_start=None,
) -> dict:
    """Fit the TF-IDF expert and its mix (mixing.py); returns the mixed model's validation reports,
    scored with the expert fit on the training split only (its final refit also saw validation).
    Quick mode (a `memo` of the frozen encoder's features, which also gives the validation logits)
    skips the search over C and the refit on train + validation (a quarter of the fits): it keeps
    C = 10, what full builds choose here, and the expert fit on the training split, with a capped
    L-BFGS budget (mixing.QUICK_MAX_ITER) that starts from the old expert.
    `warm_start`: the model's previous expert (a retrain), whose weights start the fits."""
    emit(Stage("tfidf", "자주 쓰는 표현을 익히는 중"))
    heads = model.heads_config.heads
    quick = memo is not None
    val_texts = [ex.text for ex in val_set]
    val_probs = {}
    if val_set:  # the encoder alone: the model has no fitted expert yet (set_tfidf(None) above)
        val_probs = (memo.probabilities if memo is not None else probabilities)(
            model, tokenizer, val_texts, device
        )

    def check_cancel() -> None:
        if stop():
            raise TrainingCancelled("training was cancelled")

    fit = fit_expert(
        _labeled(model, train_set),
        _labeled(model, val_set),
        {h: np.log(np.clip(p, 1e-30, None)) for h, p in val_probs.items()},  # logits up to a shift
        {h: len(v) for h, v in heads.items()},
        before_each_fit=check_cancel,
        c_grid=(DEFAULT_C,) if quick else C_GRID,
        refit=not quick,
        analyzer=model.heads_config.tfidf_analyzer,
        min_df=min_df,
        warm_start=warm_start,
        max_iter=QUICK_MAX_ITER if quick else 500,
        history_size=QUICK_HISTORY if quick else 20,
    )
    model.set_tfidf(fit.expert, fit.mix, fit.encoder_temperature, fit.c)

    return _reports(heads, val_set, fit.val_probs)


def _labeled(model: KoBertClassifier, examples: Sequence[Example]) -> Labeled:
    return Labeled(
        [ex.text for ex in examples],
        {h: t.numpy() for h, t in objective.targets(model, examples).items()},
        np.array([ex.weight for ex in examples], dtype=np.float64),
    )


def mean_macro_f1(metrics: dict[str, dict]) -> float:
    return float(np.mean([m["macro_f1"] for m in metrics.values()])) if metrics else 0.0


# -- pieces ------------------------------------------------------------------------------------


@dataclass
class _Variants:
    """Augmented lines for full-mode epochs: a fresh, seeded draw of which lines change, and how, each epoch."""

    texts: list[str]
    emotions: list[str | None]
    augmenter: Augmenter

    @classmethod
    def build(cls, train_set: Sequence[Example], config: TrainConfig) -> _Variants:
        texts = [ex.text for ex in train_set]
        emotions = [ex.labels.get("emotion") for ex in train_set]
        return cls(texts, emotions, Augmenter(texts, emotions))

    def epoch(self, epoch, encoded, bags, tokenizer, model, config):
        rng = random.Random(config.seed * 1_000_003 + epoch)
        encoded, bags = list(encoded), list(bags) if bags else bags
        buckets = model.heads_config.ngram_buckets
        for i in range(len(self.texts)):
            if rng.random() >= config.augment:
                continue
            text = self.augmenter.variant(self.texts[i], self.emotions[i], rng)
            encoded[i] = tokenizer.encode(text, config.max_length)
            if bags:
                bags[i] = ngram_features(text, buckets)
        return encoded, bags


def _ngram_bags(model: KoBertClassifier, examples: Sequence[Example]) -> list | None:
    """Each example's n-gram bag, hashed once: hashing every epoch cost more than the quick mode's steps."""
    buckets = model.heads_config.ngram_buckets
    return [ngram_features(ex.text, buckets) for ex in examples] if model.ngram is not None else None


@torch.no_grad()
def _head_inputs(
    model: KoBertClassifier,
    tokenizer: KoBertTokenizer,
    memo: EncoderMemo,
    examples: Sequence[Example],
    device: torch.device,
    chunk: int = 2048,
) -> torch.Tensor:
    """Quick mode: what the heads read for each line, (N, H [+ D]) on the CPU: the memo's encoder
    features, then the frozen n-gram bag's output (model.head_logits' concatenation, done once)."""
    features = memo.features(model, tokenizer, [ex.text for ex in examples], device)
    bags = _ngram_bags(model, examples)
    if not bags:
        return features
    outputs = [
        model.bag(to_device(batch_from_features(bags[i : i + chunk]), device)).float().cpu()
        for i in range(0, len(bags), chunk)
    ]
    return torch.cat([features, torch.cat(outputs)], dim=-1)


def _seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def _check_labels(model: KoBertClassifier, examples: Sequence[Example]) -> None:
    heads = model.heads_config.heads
    for ex in examples:
        for head, label in ex.labels.items():
            if head not in heads:
                raise InputError(f"label for unknown head {head!r}; known heads: {', '.join(heads)}")
            if label not in heads[head]:
                raise InputError(f"unknown {head} label {label!r} (text: {ex.text[:30]!r})")
