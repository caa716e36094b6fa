"""The label doctor: finds labels that are probably wrong in the bundled data and the user's labels.

Two kinds of finding, per head:
- conflict: the same text (ignoring case, spacing, punctuation and how long a ㅋㅋㅋ/ㅠㅠ runs) or a
  nearly identical one (character 3-gram Jaccard >= NEAR_JACCARD) carries different labels;
- disagreement: confident learning on out-of-fold predictions. A char n-gram TF-IDF logistic
  regression (the model's own expert, nlu/tfidf.py) is fit FOLDS times, each time predicting the
  fold it did not see. A label class j gets the threshold t_j = the mean predicted probability of j
  over the lines labeled j; a line labeled i is suspect when another class j clears its threshold and
  beats i by MARGIN or more (it then suggests j).
Every finding carries its nearest other lines (TF-IDF cosine) with their labels as evidence. The fixes
(keep, relabel, remove) are applied by the engine (ChatEngine.apply_doctor_fix).
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

FOLDS = 5
NEAR_JACCARD = 0.8
MARGIN = 0.35  # suggested label's probability minus the given label's, out of fold
C = 10.0
MAX_FINDINGS = 300
EVIDENCE = 3
_REPEATS = re.compile(r"([ㅋㅎㅠㅜ.!?~])\1+")


@dataclass(frozen=True)
class Case:
    """One labeled line the doctor looks at."""

    ref: str  # "bundled", "message:<id>", "example:<id>"
    text: str
    labels: dict[str, str]


@dataclass(frozen=True)
class Neighbour:
    text: str
    label: str
    similarity: float
    ref: str


@dataclass(frozen=True)
class Finding:
    kind: str  # "conflict" | "disagreement"
    head: str
    ref: str
    text: str
    label: str  # what the data says
    suggested: str | None  # what the doctor thinks (the other label of a conflict, or the model's)
    confidence: float  # disagreement: out-of-fold probability of `suggested`; conflict: similarity
    evidence: list[Neighbour] = field(default_factory=list)

    @property
    def key(self) -> str:
        """Stable id of a finding, for 'keep' decisions: the same text, head and label."""
        return f"{self.head}\x00{self.label}\x00{normalized(self.text)}"

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Finding:
        evidence = [
            Neighbour(str(n["text"]), str(n["label"]), float(n["similarity"]), str(n.get("ref", "")))
            for n in raw.get("evidence") or []
        ]
        return cls(
            str(raw["kind"]),
            str(raw["head"]),
            str(raw["ref"]),
            str(raw["text"]),
            str(raw["label"]),
            raw.get("suggested"),
            float(raw.get("confidence", 0.0)),
            evidence,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "head": self.head,
            "ref": self.ref,
            "text": self.text,
            "label": self.label,
            "suggested": self.suggested,
            "confidence": round(self.confidence, 4),
            "evidence": [
                {"text": n.text, "label": n.label, "similarity": round(n.similarity, 4), "ref": n.ref}
                for n in self.evidence
            ],
        }


def normalized(text: str) -> str:
    """What 'the same text' means for conflicts."""
    t = unicodedata.normalize("NFC", text).casefold()
    t = _REPEATS.sub(r"\1", t)
    return "".join(ch for ch in t if not ch.isspace() and unicodedata.category(ch)[0] not in "PZ")


def examine(
    cases: Sequence[Case],
    heads: dict[str, list[str]],
    *,
    folds: int = FOLDS,
    seed: int = 0,
    before_each_fit: Callable[[], None] = lambda: None,
) -> list[Finding]:
    """All findings, the most certain first (conflicts, then disagreements by confidence)."""
    from .nlu.tfidf import fit_vocabulary

    texts = [c.text for c in cases]
    conflicts: list[Finding] = []
    disagreements: list[Finding] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's "sparse support is in beta" notices are not for users
        space = fit_vocabulary(texts, {h: len(v) for h, v in heads.items()})
        x = _csr(space.features(texts), len(texts), space.n_features)
        for head, labels in heads.items():
            rows = [i for i, c in enumerate(cases) if c.labels.get(head) in labels]
            if len(rows) < 2:
                continue
            conflicts += _conflicts(cases, rows, head)
            found = _disagreements(cases, rows, head, labels, folds, seed, before_each_fit)
            disagreements += found[: MAX_FINDINGS // max(1, len(heads))]  # every head gets its share
        disagreements.sort(key=lambda f: -f.confidence)
        findings = _unique(conflicts + disagreements)[:MAX_FINDINGS]
        _attach_evidence(findings, cases, texts, x)
    return findings


def _unique(findings: list[Finding]) -> list[Finding]:
    """A line in a conflict may also be a disagreement: keep its first finding (the conflict)."""
    seen: set[tuple[str, str, str]] = set()
    unique = []
    for f in findings:
        if (f.head, f.ref, f.text) not in seen:
            seen.add((f.head, f.ref, f.text))
            unique.append(f)
    return unique


def _conflicts(cases: Sequence[Case], rows: list[int], head: str) -> list[Finding]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i in rows:
        groups[normalized(cases[i].text)].append(i)
    found: list[Finding] = []
    for members in groups.values():
        labels = {cases[i].labels[head] for i in members}
        if len(labels) > 1:
            for i in members:
                other = next(
                    cases[j].labels[head] for j in members if cases[j].labels[head] != cases[i].labels[head]
                )
                found.append(
                    Finding("conflict", head, cases[i].ref, cases[i].text, cases[i].labels[head], other, 1.0)
                )
    exact = {(f.ref, f.text) for f in found}
    for i, j, sim in _near_pairs(cases, rows):
        li, lj = cases[i].labels[head], cases[j].labels[head]
        if li == lj or normalized(cases[i].text) == normalized(cases[j].text):
            continue
        for a, la, lb in ((i, li, lj), (j, lj, li)):
            if (cases[a].ref, cases[a].text) not in exact:
                found.append(Finding("conflict", head, cases[a].ref, cases[a].text, la, lb, sim))
                exact.add((cases[a].ref, cases[a].text))
    return found


def _near_pairs(cases: Sequence[Case], rows: list[int], block: int = 512) -> list[tuple[int, int, float]]:
    """Pairs (i < j, case indices) among rows whose character 3-gram sets have Jaccard >= NEAR_JACCARD.

    |A & B| for all pairs is one sparse product, taken a block of rows at a time (memory block x n)."""
    import torch

    vocab: dict[str, int] = {}
    grams_of = []
    for i in rows:
        t = unicodedata.normalize("NFC", cases[i].text)
        grams = {t[k : k + 3] for k in range(len(t) - 2)} or {t}
        grams_of.append([vocab.setdefault(g, len(vocab)) for g in grams])
    sizes = torch.tensor([len(g) for g in grams_of], dtype=torch.float32)

    def matrix(members: range) -> torch.Tensor:
        r = [k - members.start for k in members for _ in grams_of[k]]
        c = [g for k in members for g in grams_of[k]]
        return torch.sparse_coo_tensor(torch.tensor([r, c]), torch.ones(len(c)), (len(members), len(vocab)))

    everything = matrix(range(len(rows))).t().coalesce()
    pairs = []
    for start in range(0, len(rows), block):
        members = range(start, min(start + block, len(rows)))
        inter = torch.sparse.mm(matrix(members).coalesce(), everything).to_dense()  # (b, n)
        jaccard = inter / (sizes[start : members.stop, None] + sizes[None, :] - inter)
        for a, b in (jaccard >= NEAR_JACCARD).nonzero().tolist():
            a += start
            if a < b:
                pairs.append((rows[a], rows[b], float(jaccard[a - start, b])))
    return pairs


def _disagreements(
    cases: Sequence[Case],
    rows: list[int],
    head: str,
    labels: list[str],
    folds: int,
    seed: int,
    before_each_fit: Callable[[], None],
) -> list[Finding]:
    import torch

    from .nlu.tfidf import fit_head, fit_vocabulary

    index = {lab: k for k, lab in enumerate(labels)}
    y = np.array([index[cases[i].labels[head]] for i in rows])
    fold_of = np.random.default_rng(seed).permutation(len(rows)) % folds
    probs = np.zeros((len(rows), len(labels)))
    for f in range(folds):
        train, held = np.flatnonzero(fold_of != f), np.flatnonzero(fold_of == f)
        if not len(held) or len(set(y[train].tolist())) < 2:
            continue
        before_each_fit()
        expert = fit_vocabulary([cases[rows[i]].text for i in train], {head: len(labels)})
        x = expert.features([cases[rows[i]].text for i in train])
        fit_head(expert, head, x, torch.from_numpy(y[train]).long(), torch.ones(len(train)), C)
        logits = expert.logits([cases[rows[i]].text for i in held])[head]
        probs[held] = torch.softmax(logits, -1).detach().cpu().numpy()
    thresholds = np.array([probs[y == k, k].mean() if (y == k).any() else 1.0 for k in range(len(labels))])
    found = []
    for r, i in enumerate(rows):
        given = y[r]
        above = [k for k in range(len(labels)) if k != given and probs[r, k] >= thresholds[k]]
        if not above:
            continue
        best = max(above, key=lambda k: probs[r, k])
        if probs[r, best] - probs[r, given] >= MARGIN:
            found.append(
                Finding(
                    "disagreement",
                    head,
                    cases[i].ref,
                    cases[i].text,
                    labels[given],
                    labels[best],
                    float(probs[r, best]),
                )
            )
    found.sort(key=lambda f: -f.confidence)
    return found


def _csr(triplets, n_rows: int, n_cols: int):
    import torch

    rows, cols, vals = (t.cpu() for t in triplets)
    return (
        torch.sparse_coo_tensor(torch.stack([rows, cols]), vals, (n_rows, n_cols)).coalesce().to_sparse_csr()
    )


def _attach_evidence(findings: list[Finding], cases: Sequence[Case], texts: Sequence[str], x) -> None:
    """The EVIDENCE most similar other lines (TF-IDF cosine) that carry a label for the finding's head."""
    import torch

    if not findings:
        return
    row_of = {(c.ref, c.text): i for i, c in enumerate(cases)}
    wanted = [row_of[(f.ref, f.text)] for f in findings]
    dense = x.to_dense() if x.shape[0] * x.shape[1] <= 50_000_000 else None
    for f, i in zip(findings, wanted, strict=True):
        query = dense[i] if dense is not None else x[i].to_dense()
        sims = (x @ query.unsqueeze(1)).squeeze(1) if dense is None else dense @ query
        order = torch.argsort(sims, descending=True).tolist()
        picked = []
        for j in order:
            if j == i or f.head not in cases[j].labels:
                continue
            picked.append(Neighbour(texts[j], cases[j].labels[f.head], float(sims[j]), cases[j].ref))
            if len(picked) == EVIDENCE:
                break
        f.evidence.extend(picked)
