"""EXPERIMENT (not used by the app yet): a TF-IDF logistic-regression expert to mix with the encoder's heads.

Why: on a few thousand chat lines, a char n-gram TF-IDF + logistic regression beats a small BERT,
and the two make different mistakes. Measured on the bundled split, mixing their probabilities beats
either alone (README, "Measured quality"). Features are hashed char 1-4-grams inside words (like
scikit-learn's char_wb), sublinear tf, smoothed idf, L2-normalised; the fit is full-batch L-BFGS
with an L2 penalty and balanced class weights, so it is deterministic and converges in seconds.
"""

from __future__ import annotations

import math
import unicodedata
import zlib
from collections.abc import Sequence

import torch
from torch import nn

MAX_CHARS = 512
C = 10.0  # inverse L2 strength, as in the baseline


def word_ngrams(text: str, n_min: int = 1, n_max: int = 4) -> list[str]:
    grams = []
    for word in unicodedata.normalize("NFC", text)[:MAX_CHARS].lower().split():
        padded = f" {word} "
        for n in range(n_min, n_max + 1):
            grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams


class TfidfExpert(nn.Module):
    def __init__(self, buckets: int, heads: dict[str, list[str]]):
        super().__init__()
        self.buckets = buckets
        self.register_buffer("idf", torch.ones(buckets))
        self.weights = nn.ParameterDict({h: nn.Parameter(torch.zeros(buckets, len(v))) for h, v in heads.items()})
        self.biases = nn.ParameterDict({h: nn.Parameter(torch.zeros(len(v))) for h, v in heads.items()})

    def ensure_head(self, head: str, n_labels: int) -> None:
        """Grow or add a head; the expert is refit on every training run, so new columns start at zero."""
        device = self.idf.device
        old = self.weights[head] if head in self.weights else None
        if old is not None and old.shape[1] >= n_labels:
            return
        w = torch.zeros(self.buckets, n_labels, device=device)
        b = torch.zeros(n_labels, device=device)
        if old is not None:
            w[:, : old.shape[1]] = old.detach()
            b[: old.shape[0]] = self.biases[head].detach()
        self.weights[head] = nn.Parameter(w)
        self.biases[head] = nn.Parameter(b)

    def features(self, texts: Sequence[str]) -> torch.Tensor:
        """(N, buckets) sparse TF-IDF rows, L2-normalised."""
        rows, cols, vals = [], [], []
        for r, text in enumerate(texts):
            counts: dict[int, float] = {}
            for g in word_ngrams(text):
                k = zlib.crc32(g.encode("utf-8")) % self.buckets
                counts[k] = counts.get(k, 0.0) + 1.0
            weighted = {k: (1.0 + math.log(v)) * float(self.idf[k]) for k, v in counts.items()}
            norm = math.sqrt(sum(v * v for v in weighted.values())) or 1.0
            for k, v in weighted.items():
                rows.append(r)
                cols.append(k)
                vals.append(v / norm)
        index = torch.tensor([rows, cols], dtype=torch.long).reshape(2, -1)
        return torch.sparse_coo_tensor(index, torch.tensor(vals), (len(texts), self.buckets)).coalesce()

    def logits(self, texts: Sequence[str]) -> dict[str, torch.Tensor]:
        x = self.features(texts).to(self.idf.device)
        return {h: torch.sparse.mm(x, w) + self.biases[h] for h, w in self.weights.items()}  # (N, n_labels)

    def fit(self, texts: Sequence[str], labels: dict[str, list[int]]) -> None:
        """Fit idf and every head on these texts; labels[head][i] is a label index or -100 (missing)."""
        df = torch.zeros(self.buckets)
        for text in texts:
            for k in {zlib.crc32(g.encode("utf-8")) % self.buckets for g in word_ngrams(text)}:
                df[k] += 1
        n = len(texts)
        self.idf.copy_(torch.log((1 + n) / (1 + df)) + 1)  # scikit-learn's smooth idf
        x = self.features(texts)
        for head, y_list in labels.items():
            y = torch.tensor(y_list)
            rows = (y >= 0).nonzero().squeeze(1)
            if len(rows) == 0 or head not in self.weights:
                continue
            self._fit_head(head, x.index_select(0, rows), y[rows])

    def _fit_head(self, head: str, x: torch.Tensor, y: torch.Tensor) -> None:
        k = self.weights[head].shape[1]
        counts = torch.bincount(y, minlength=k).float()
        class_w = torch.where(counts > 0, len(y) / (k * counts.clamp(min=1)), torch.zeros_like(counts))
        w = torch.zeros(self.buckets, k, requires_grad=True)
        b = torch.zeros(k, requires_grad=True)
        opt = torch.optim.LBFGS([w, b], lr=1.0, max_iter=300, history_size=20, line_search_fn="strong_wolfe")

        def closure() -> torch.Tensor:
            opt.zero_grad()
            logits = torch.sparse.mm(x, w) + b
            # scikit-learn's objective: C * sum(weighted loss) + 0.5 * ||w||^2, scaled by 1 / (C * n)
            loss = nn.functional.cross_entropy(logits, y, weight=class_w, reduction="sum") / len(y)
            loss = loss + 0.5 * (w * w).sum() / (C * len(y))
            loss.backward()
            return loss

        opt.step(closure)
        with torch.no_grad():
            self.weights[head].copy_(w.detach())
            self.biases[head].copy_(b.detach())


def main() -> None:
    """Fit the expert on the bundled training split; score it alone and mixed with a starter model folder.

        python bench/experiments/tfidf_expert.py [STARTER_MODEL_DIR]
    """
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from kobert_chat.labels import DEFAULT_HEADS
    from kobert_chat.nlu.evaluation import classification_report
    from kobert_chat.training_data import bundled_examples

    train, test = bundled_examples("train"), bundled_examples("test")
    heads = {n: [lab for lab, _ in v] for n, v in DEFAULT_HEADS.items()}
    expert = TfidfExpert(2**18, heads)
    expert.fit([e.text for e in train], {h: [heads[h].index(e.labels[h]) for e in train] for h in heads})
    probs = {h: torch.softmax(lg, -1).detach().numpy() for h, lg in expert.logits([e.text for e in test]).items()}
    neural = None
    if len(sys.argv) > 1:
        from kobert_chat.nlu.inference import probabilities
        from kobert_chat.nlu.model_io import load_model

        model, tok = load_model(Path(sys.argv[1]))
        neural = probabilities(model, tok, [e.text for e in test])
    for h in heads:
        y = [e.labels[h] for e in test]
        mixes = [("expert", probs[h])] + ([(f"mix {w}", w * neural[h] + (1 - w) * probs[h]) for w in (0.2, 0.3, 0.4)]
                                          if neural is not None else [])
        for name, p in mixes:
            f1 = classification_report(y, [heads[h][i] for i in p.argmax(1)], heads[h])["macro_f1"]
            print(f"{h:<8}{name:<10}{f1:.4f}")


if __name__ == "__main__":
    main()
