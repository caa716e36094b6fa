"""Frozen-encoder features remembered per text, across quick retrains.

A quick retrain freezes the encoder, so each text's features (model.encode: the pooled hidden state)
are the same in every retrain from the same encoder. Computing them was most of a quick retrain's
time: the frozen encoder over every bundled line, then twice more (old and new model) over the exam
and the inbox. The memo computes each text once, serves the heads, the TF-IDF mix and the exam from
it, and is saved next to the models, so the next retrain from the same encoder reads them from disk.

Keyed by a digest of what decides the features: the encoder's weights, the tokenizer's SentencePiece
model, its max length and the pooling. A full retrain changes the encoder, hence the digest, so a
stale memo is never used (only the newest KEEP_FILES memos stay on disk). Texts are keyed by a
blake2b digest, not stored. Files are safetensors, written atomically; a damaged or foreign file is
ignored (the features are computed again), never unpickled.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from .. import atomic
from .inference import length_sorted_batches, mixed_probabilities, ngram_input
from .model import KoBertClassifier
from .remembered import text_key
from .tokenizer import KoBertTokenizer

KEEP_FILES = 3  # memos of other encoders kept on disk (a user may switch back to an older version)
_KEY_BYTES = 16


def encoder_digest(model: KoBertClassifier, tokenizer: KoBertTokenizer) -> str:
    """What the features depend on, hashed: encoder weights, tokenizer model, max length, pooling."""
    h = hashlib.blake2b(digest_size=16)
    for name, tensor in sorted(model.encoder.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().to("cpu", torch.float32).contiguous().numpy().tobytes())
    h.update(tokenizer.sp.serialized_model_proto())
    h.update(f"|{tokenizer.max_length}|{model.heads_config.pooling}".encode())
    return h.hexdigest()


class EncoderMemo:
    """Features (H,) per text for one encoder; `features` computes only the texts it has not seen."""

    def __init__(self, digest: str, hidden: int):
        self.digest = digest
        self.hidden = hidden
        self._rows: dict[bytes, torch.Tensor] = {}
        self.computed = 0  # texts run through the encoder by this memo (bench/, tests)
        self.loaded = 0  # texts read from disk

    @classmethod
    def for_model(cls, model: KoBertClassifier, tokenizer: KoBertTokenizer) -> EncoderMemo:
        return cls(encoder_digest(model, tokenizer), model.bert_config.hidden_size)

    def __len__(self) -> int:
        return len(self._rows)

    def serves(self, model: KoBertClassifier, tokenizer: KoBertTokenizer) -> bool:
        """True when this memo's features are this model's (same encoder, tokenizer and pooling)."""
        return (
            model.bert_config.hidden_size == self.hidden and encoder_digest(model, tokenizer) == self.digest
        )

    @torch.no_grad()  # not inference_mode: quick mode's heads train on these tensors
    def features(
        self,
        model: KoBertClassifier,
        tokenizer: KoBertTokenizer,
        texts: Sequence[str],
        device: torch.device | str = "cpu",
        batch_size: int = 64,
    ) -> torch.Tensor:
        """(N, H) float32 on the CPU, in the order of `texts`. The caller vouches that `model` is the
        memo's encoder (training passes the model it froze; others check `serves` first)."""
        keys = [text_key(t) for t in texts]
        todo: dict[bytes, str] = {}  # each distinct unseen text once
        for text, key in zip(texts, keys, strict=True):
            if key not in self._rows:
                todo.setdefault(key, text)
        if todo:
            was_training = model.training
            model.eval()
            device = torch.device(device)
            todo_keys, todo_texts = list(todo), list(todo.values())
            for idx, batch in length_sorted_batches(tokenizer, todo_texts, batch_size, device):
                encoded = model.encode(batch).float().cpu()
                for row, j in enumerate(idx):
                    self._rows[todo_keys[j]] = encoded[row].clone()
            self.computed += len(todo)
            model.train(was_training)
        if not texts:
            return torch.zeros((0, self.hidden))
        return torch.stack([self._rows[k] for k in keys])

    @torch.no_grad()  # not inference_mode: features it computes are kept, and may feed training later
    def probabilities(
        self,
        model: KoBertClassifier,
        tokenizer: KoBertTokenizer,
        texts: Sequence[str],
        device: torch.device | str = "cpu",
        batch_size: int = 256,
    ) -> dict[str, np.ndarray]:
        """inference.probabilities for a model whose encoder is the memo's: the heads (and mix) over
        remembered features."""
        device = torch.device(device)
        model.eval()
        out = {
            h: np.zeros((len(texts), len(labels)), dtype=np.float32)
            for h, labels in model.heads_config.heads.items()
        }
        feats = self.features(model, tokenizer, texts, device)
        for start in range(0, len(texts), batch_size):
            chunk = list(texts[start : start + batch_size])
            logits = model.head_logits(
                feats[start : start + len(chunk)].to(device), ngram_input(model, chunk, device)
            )
            for head, p in mixed_probabilities(model, chunk, logits).items():
                out[head][start : start + len(chunk)] = p.cpu().numpy()
        return out

    # -- on disk ----------------------------------------------------------------------------------
    def save(self, folder: Path) -> bool:
        """Write `<folder>/<digest>.safetensors` atomically and keep the newest KEEP_FILES memos.
        False (nothing lost but time) when the disk refuses."""
        from safetensors.torch import save

        if not self._rows:
            return False
        keys = list(self._rows)
        data = {
            "keys": torch.frombuffer(bytearray(b"".join(keys)), dtype=torch.uint8).reshape(
                len(keys), _KEY_BYTES
            ),
            "features": torch.stack([self._rows[k] for k in keys]),
        }
        try:
            atomic.write_bytes(
                Path(folder) / f"{self.digest}.safetensors", save(data, {"hidden": str(self.hidden)})
            )
            _prune(Path(folder))
        except OSError:
            return False
        return True

    @classmethod
    def load(cls, folder: Path, model: KoBertClassifier, tokenizer: KoBertTokenizer) -> EncoderMemo:
        """This model's memo from disk, or an empty one when there is none (or it cannot be read)."""
        memo = cls.for_model(model, tokenizer)
        path = Path(folder) / f"{memo.digest}.safetensors"
        if not path.is_file():
            return memo
        from safetensors.torch import load

        try:
            data = load(path.read_bytes())
            keys, feats = data["keys"], data["features"]
            ok = (
                keys.dtype == torch.uint8
                and keys.ndim == 2
                and keys.shape[1] == _KEY_BYTES
                and feats.ndim == 2
                and feats.shape == (keys.shape[0], memo.hidden)
                and bool(torch.isfinite(feats).all())
            )
        except Exception:  # noqa: BLE001 - a damaged or foreign file: compute the features again
            return memo
        if not ok:
            return memo
        raw = keys.numpy().tobytes()
        feats = feats.float()
        for i in range(keys.shape[0]):
            memo._rows[raw[i * _KEY_BYTES : (i + 1) * _KEY_BYTES]] = feats[i]
        memo.loaded = len(memo._rows)
        with contextlib.suppress(OSError):
            path.touch()  # recently used: kept by _prune
        return memo


def _prune(folder: Path) -> None:
    memos = sorted(folder.glob("*.safetensors"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in memos[KEEP_FILES:]:
        with contextlib.suppress(OSError):
            old.unlink()
