"""Inference: device choice, one thread-safe `predict` for chat, batched `predict_many`.

On CUDA the forward runs under bf16/fp16 autocast; on CPU a loaded model can be int8-quantized
(`Classifier.load(..., quantize=True)`, the quantize_int8 setting), see quantize.py. A model with a
fitted TF-IDF expert (tfidf.py) mixes its probabilities into each head's with the stored weight.
"""

from __future__ import annotations

import contextlib
import dataclasses
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch

from ..errors import InputError
from ..predictions import HeadPrediction
from .model import KoBertClassifier
from .model_io import load_model
from .ngrams import NgramBatch, ngram_batch
from .tokenizer import Batch, KoBertTokenizer, pad


def resolve_device(choice: str = "auto") -> torch.device:
    choice = (choice or "auto").lower()
    if choice == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if choice not in ("cpu", "cuda", "mps") and not choice.startswith("cuda:"):
        raise InputError(f"unknown device {choice!r}: use auto, cpu, cuda or mps")
    if choice.startswith("cuda") and not torch.cuda.is_available():
        raise InputError("device cuda was requested but no CUDA GPU is available; use auto or cpu")
    return torch.device(choice)


def autocast_dtype(device: torch.device) -> torch.dtype | None:
    """Mixed precision on CUDA: bf16 where the GPU has it (Ampere and newer), else fp16. None: plain fp32."""
    if device.type != "cuda":
        return None
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def to_device(x, device: torch.device):
    """Move a tensor, Batch or NgramBatch. To a GPU it goes from pinned host memory without blocking,
    so the copy overlaps with compute; on the CPU this is a plain no-op `.to`."""
    if device.type == "cuda":
        if isinstance(x, torch.Tensor):
            x = x.pin_memory()
        else:
            x = type(x)(*(getattr(x, f.name).pin_memory() for f in dataclasses.fields(x)))
    return x.to(device, non_blocking=True)


def length_sorted_batches(
    tokenizer: KoBertTokenizer, texts: Sequence[str], batch_size: int, device: torch.device
) -> Iterator[tuple[list[int], Batch]]:
    """Padded batches in token-length order, each with the positions of its texts in `texts`.

    Sorting by length first means each batch pads to similar lengths: far less wasted compute.
    """
    encoded = [tokenizer.encode(t) for t in texts]
    order = sorted(range(len(texts)), key=lambda i: len(encoded[i]))
    for start in range(0, len(order), batch_size):
        idx = order[start : start + batch_size]
        yield idx, to_device(pad([encoded[i] for i in idx]), device)


def ngram_input(model: KoBertClassifier, texts: Sequence[str], device: torch.device) -> NgramBatch | None:
    """The n-gram side channel's input for these texts, or None for models without it."""
    buckets = model.heads_config.ngram_buckets
    return to_device(ngram_batch(texts, buckets), device) if buckets else None


@torch.inference_mode()
def probabilities(
    model: KoBertClassifier,
    tokenizer: KoBertTokenizer,
    texts: Sequence[str],
    device: torch.device | str = "cpu",
    batch_size: int = 64,
) -> dict[str, np.ndarray]:
    """Softmax probabilities per head, each (N, n_labels), in the order of `texts`."""
    model.eval()
    device = torch.device(device)
    out = {
        h: np.zeros((len(texts), len(labels)), dtype=np.float32)
        for h, labels in model.heads_config.heads.items()
    }
    dtype = autocast_dtype(device)
    autocast = torch.autocast("cuda", dtype=dtype) if dtype else contextlib.nullcontext()
    for idx, batch in length_sorted_batches(tokenizer, texts, batch_size, device):
        grams = ngram_input(model, [texts[i] for i in idx], device)
        with autocast:
            logits = model(batch, grams)
        for head, p in mixed_probabilities(model, [texts[i] for i in idx], logits).items():
            out[head][idx] = p.cpu().numpy()
    return out


def mixed_probabilities(
    model: KoBertClassifier, texts: Sequence[str], logits: dict[str, torch.Tensor]
) -> dict[str, torch.Tensor]:
    """Per head: softmax(encoder logits / T), mixed as (1 - w) * that + w * expert when the model's
    TF-IDF expert has a mix for the head (mixing.py); plain softmax otherwise."""
    hc = model.heads_config
    tfidf = model.tfidf
    mixed = [h for h in logits if h in hc.tfidf_mix] if tfidf is not None else []
    expert = tfidf.logits(texts) if tfidf is not None and any(hc.tfidf_mix[h] > 0 for h in mixed) else {}
    out = {}
    for head, lg in logits.items():
        if head not in mixed:
            out[head] = torch.softmax(lg.float(), -1)
            continue
        p = torch.softmax(lg.float() / hc.tfidf_temperature.get(head, 1.0), -1)
        w = hc.tfidf_mix[head]
        out[head] = (1 - w) * p + w * torch.softmax(expert[head].to(p.device), -1) if w > 0 else p
    return out


# hidden size x layers below which one CPU thread answers a sentence as fast as several (starter:
# 512; KoBERT: 9,216). Measured: same starter latency on 1 thread, and 25x faster replies while a
# training child keeps both cores busy (the pool's threads then wait for each other on every op).
SMALL_ENCODER = 2048
_DEFAULT_THREADS = torch.get_num_threads()
# A large encoder gets the free cores, re-checked this often while chatting: beside two busy
# programs a KoBERT-size sentence took 5.3x longer on 2 threads than on 1 (bench/busy.py predict).
CHAT_RECHECK_S = 10.0
_chat: dict = {"meter": None, "checked": 0.0}


def set_chat_threads(model: KoBertClassifier) -> int:
    """Torch's CPU thread count for a process that answers one sentence at a time (the app, `chat`):
    one for a small encoder; for a large one the free cores (at most the default), re-checked every
    CHAT_RECHECK_S while it answers. Process-wide, so only the chat engine calls it."""
    from .. import threads as cpu

    size = model.bert_config.hidden_size * model.bert_config.num_hidden_layers
    if size < SMALL_ENCODER:
        _chat["meter"] = None
        n = 1
    else:
        _chat["meter"], _chat["checked"] = cpu.BusyMeter(), time.monotonic()
        n = _free_threads(cpu.other_load())
    torch.set_num_threads(n)
    return n


def _free_threads(busy: float) -> int:
    from .. import threads as cpu

    return max(1, min(_DEFAULT_THREADS, int(cpu.usable_cores() - busy + 0.5)))


def _recheck_chat_threads() -> None:
    meter = _chat["meter"]
    if meter is None or time.monotonic() - _chat["checked"] < CHAT_RECHECK_S:
        return
    _chat["checked"] = time.monotonic()
    n = _free_threads(meter.other_busy())
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)


class Classifier:
    """A loaded model version. `predict` is safe to call from several threads."""

    def __init__(
        self,
        model: KoBertClassifier,
        tokenizer: KoBertTokenizer,
        device: torch.device,
        version: str | None = None,
        quantized: bool = False,
    ):
        self.model = model.to(device).eval()
        self.tokenizer = tokenizer
        self.device = device
        self.version = version
        self.quantized = quantized  # int8 encoder (CPU only): for inference, never for training or saving
        self._lock = threading.Lock()  # torch modules are not re-entrant across threads during forward

    @classmethod
    def load(
        cls, folder: Path, device: str = "auto", version: str | None = None, quantize: bool = False
    ) -> Classifier:
        """`quantize`: int8 dynamic quantization when the device is the CPU (ignored on GPUs, which use autocast)."""
        dev = resolve_device(device)
        model, tokenizer = load_model(folder, dev)
        if quantize and dev.type == "cpu":
            from .quantize import quantize_for_cpu

            return cls(quantize_for_cpu(model), tokenizer, dev, version, quantized=True)
        return cls(model, tokenizer, dev, version)

    @property
    def heads(self) -> dict[str, list[str]]:
        return self.model.heads_config.heads

    def predict(self, text: str) -> dict[str, HeadPrediction]:
        return self.predict_many([text])[0]

    def predict_many(self, texts: Sequence[str], batch_size: int = 64) -> list[dict[str, HeadPrediction]]:
        if not texts:
            return []
        with self._lock:
            _recheck_chat_threads()  # a no-op unless the chat engine chose threads for a large encoder
            probs = probabilities(self.model, self.tokenizer, texts, self.device, batch_size)
        results = []
        for i in range(len(texts)):
            row = {}
            for head, labels in self.heads.items():
                p = probs[head][i]
                best = np.argsort(-p)[:3]
                top = [(labels[j], float(p[j])) for j in best]
                row[head] = HeadPrediction(top[0][0], top[0][1], top)
            results.append(row)
        return results
