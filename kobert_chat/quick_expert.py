"""A model version's TF-IDF expert without torch: what answers the first messages while the model loads.

Starting the full model costs seconds (torch ~1.6 s, transformers' BertModel ~3.4 s, the weights
~0.7 s on this 2-core CPU: bench/first_reply.py). Every model carries a linear TF-IDF expert
(nlu/tfidf.py) whose tensors sit in the same model.safetensors; read alone with numpy they take a
fraction of a second, and they classify on their own nearly as well as the mix (bench numbers in
/work/briefs/notes_replies.md). So a turn sent before the model is ready is answered by the expert
(ChatEngine.start_loading), and the full model takes over as soon as it is loaded.

The features are the expert's exactly (TfidfExpert.features): the analyzer's n-grams
(nlu/korean_features.py, torch-free), their crc32 keys looked up in the sorted vocabulary, sublinear
tf times idf, L2-normalised; then x @ W + b and softmax per head. tests/test_replies_start.py checks
it gives the torch expert's probabilities. Only safetensors are read, never pickle.
"""

from __future__ import annotations

import json
import math
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .nlu.korean_features import CHAR_WB, grams
from .predictions import HeadPrediction

HEADS = ("intent", "emotion")  # what a reply needs; other heads wait for the full model


class QuickExpert:
    """Duck-types the parts of nlu.inference.Classifier a turn uses: version, predict, predict_many."""

    def __init__(
        self,
        version: str | None,
        analyzer: str,
        keys: np.ndarray,
        idf: np.ndarray,
        heads: dict[str, tuple[list[str], np.ndarray, np.ndarray]],
    ):
        self.version = version
        self.analyzer = analyzer
        self.keys = keys  # (V,) sorted crc32 keys of the n-grams
        self.idf = idf.astype(np.float64)  # (V,)
        self.heads_weights = heads  # head -> (labels, weight (V, k), bias (k,))

    @property
    def heads(self) -> dict[str, list[str]]:
        return {head: labels for head, (labels, _, _) in self.heads_weights.items()}

    @classmethod
    def load(cls, folder: Path, version: str | None = None) -> QuickExpert | None:
        """The folder's expert, or None when it has none fitted for intent and emotion (a version saved
        before the expert existed, or one whose labels grew since its last fit) or cannot be read."""
        try:
            config = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8"))
            own = config.get("kobert_chat", {})
            mix = own.get("tfidf_mix", {})
            if not own.get("tfidf") or any(h not in mix for h in HEADS):  # popped when labels grew
                return None
            labels = own["heads"]
            from safetensors import safe_open  # numpy only: no torch

            with safe_open(str(Path(folder) / "model.safetensors"), framework="np") as f:
                names = set(f.keys())
                wanted = [f"tfidf.heads.{h}.{p}" for h in HEADS for p in ("weight", "bias")]
                if not {"tfidf.keys", "tfidf.idf", *wanted} <= names:
                    return None
                keys, idf = f.get_tensor("tfidf.keys"), f.get_tensor("tfidf.idf")
                heads = {
                    h: (
                        list(labels[h]),
                        f.get_tensor(f"tfidf.heads.{h}.weight"),
                        f.get_tensor(f"tfidf.heads.{h}.bias"),
                    )
                    for h in HEADS
                }
        except Exception:  # noqa: BLE001 - damaged or foreign files: the full load says what is wrong
            return None
        if any(w.shape != (len(keys), len(lab)) or b.shape != (len(lab),) for lab, w, b in heads.values()):
            return None
        return cls(version, own.get("tfidf_analyzer", CHAR_WB), keys, idf, heads)

    def probabilities(self, text: str) -> dict[str, np.ndarray]:
        counts: dict[int, int] = {}
        for gram in grams(text, self.analyzer):
            key = zlib.crc32(gram.encode("utf-8"))
            counts[key] = counts.get(key, 0) + 1
        out = {}
        columns, values = np.zeros(0, dtype=np.int64), np.zeros(0)
        if counts and len(self.keys):
            k = np.fromiter(counts, dtype=np.int64, count=len(counts))
            pos = np.minimum(np.searchsorted(self.keys, k), len(self.keys) - 1)
            known = self.keys[pos] == k
            tf = 1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts))[known])
            columns = pos[known]
            values = tf * self.idf[columns]
            norm = math.sqrt(float(values @ values))
            values = values / norm if norm > 0 else values
        for head, (_, weight, bias) in self.heads_weights.items():
            logits = values @ weight[columns].astype(np.float64) + bias  # (k,)
            e = np.exp(logits - logits.max())
            out[head] = e / e.sum()
        return out

    def predict(self, text: str) -> dict[str, HeadPrediction]:
        result = {}
        for head, p in self.probabilities(text).items():
            labels = self.heads_weights[head][0]
            top = [(labels[j], float(p[j])) for j in np.argsort(-p)[:3]]
            result[head] = HeadPrediction(top[0][0], top[0][1], top)
        return result

    def predict_many(self, texts: Sequence[str]) -> list[dict[str, HeadPrediction]]:
        return [self.predict(t) for t in texts]
