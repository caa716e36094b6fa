"""Which linked example a message is closest to: char n-gram TF-IDF cosine over the linked examples.

An answer may be tied to example utterances (an imported question, a chat message the user taught an
answer for). A message gets the linked answer when its nearest example within the predicted intent is
at least `link_threshold` similar (settings; the engine searches the top two intents when the model
is unsure), when an example in any other intent is CROSS_INTENT_MARGIN more similar than that, or when
it is the same text as an example, whatever the intent. Pure Python and no model: the index is built
from the store's links in milliseconds and rebuilt only when they change (store.links_revision).

Features (bench/linked_answers.py compared the variants on 60 Q/A pairs written for this project,
60 paraphrases and 58 questions that should match nothing): character 1-3-grams inside each word
(" word " windows) plus 2-3-grams of the text with its spaces removed (Korean spacing varies: "다크
모드" / "다크모드"), after NFC, lower case and dropping laughter, crying and punctuation; sublinear tf,
smoothed idf over the linked examples, L2-normalised. The rows are stored by n-gram, so a message is
scored against every example in one numpy pass over its own n-grams (bench: 5,000 examples, well
under a millisecond or two per message).
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

import numpy as np

from .store import AnswerLink
from .store.core import dedupe_key

# The similarity an example filed under another intent needs on top of link_threshold: the model's
# intent is evidence too. Measured (bench/linked_answers.py): within the predicted intent alone finds
# 85% of the paraphrases (the model files 15% of them elsewhere), any intent at one threshold answers
# 22% of the near-misses; within at 0.30 plus anywhere at 0.45 finds 98% and answers 14%.
CROSS_INTENT_MARGIN = 0.15

_NOISE = re.compile(r"[ㅋㅎㅠㅜㅡ]+|[^\w\s]|_")  # laughter, crying, punctuation, emoji
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    text = unicodedata.normalize("NFC", text).lower()
    return _SPACES.sub(" ", _NOISE.sub(" ", text)).strip()


def grams(text: str) -> list[str]:
    """The n-grams a text is compared by (see the module docstring)."""
    clean = normalize(text)
    out: list[str] = []
    for word in clean.split():
        padded = f" {word} "
        for n in (1, 2, 3):
            out.extend(
                "w" + padded[i : i + n] for i in range(len(padded) - n + 1) if padded[i : i + n] != " "
            )
    joined = clean.replace(" ", "")
    for n in (2, 3):
        out.extend("j" + joined[i : i + n] for i in range(len(joined) - n + 1))
    return out


Analyzer = Callable[[str], list[str]]


@functools.lru_cache(maxsize=1 << 15)  # a changed link rebuilds the index: the others are not re-read
def _tf(text: str, analyzer: Analyzer) -> dict[str, float]:
    """Sublinear term frequencies (callers must not change the dict: it is cached)."""
    counts: dict[str, int] = {}
    for gram in analyzer(text):
        counts[gram] = counts.get(gram, 0) + 1
    return {g: 1.0 + math.log(c) for g, c in counts.items()}


@dataclass(frozen=True)
class Match:
    link: AnswerLink
    similarity: float  # cosine in [0, 1]; 1.0 for the same text


class LinkIndex:
    """The linked examples as TF-IDF rows, stored by n-gram (a CSC matrix in numpy arrays): a message is
    scored against every example in one pass over its own n-grams' columns."""

    def __init__(self, links: Sequence[AnswerLink], analyzer: Analyzer = grams):
        """`analyzer`: the n-grams compared (grams; bench/linked_answers.py tries others)."""
        self.links = list(links)
        self._analyzer = analyzer
        tfs = [_tf(link.text, analyzer) for link in self.links]
        self._vocab: dict[str, int] = {}
        rows: list[int] = []
        columns: list[int] = []
        counts: list[float] = []
        for row, tf in enumerate(tfs):
            rows.extend([row] * len(tf))
            columns.extend(self._vocab.setdefault(g, len(self._vocab)) for g in tf)
            counts.extend(tf.values())
        n = len(tfs)
        flat_columns = np.asarray(columns, dtype=np.int64)  # (nnz,)
        df = np.bincount(flat_columns, minlength=len(self._vocab))  # (V,)
        self._idf = np.log((1 + n) / (1 + df)) + 1.0  # (V,)
        self._unseen_idf = math.log(1 + n) + 1.0  # a query n-gram no example has (df = 0)
        flat_rows = np.asarray(rows, dtype=np.int64)
        values = np.asarray(counts) * self._idf[flat_columns]
        norms = np.sqrt(np.bincount(flat_rows, values * values, minlength=n))  # (N,)
        values /= np.where(norms > 0, norms, 1.0)[flat_rows]
        order = np.argsort(flat_columns, kind="stable")
        self._rows = flat_rows[order]  # (nnz,) the example of each entry, grouped by n-gram
        self._values = values[order]  # (nnz,)
        self._starts = np.searchsorted(flat_columns[order], np.arange(len(self._vocab) + 1))  # (V + 1,)
        intents = sorted({link.intent for link in self.links})
        self._intent_ids = {intent: i for i, intent in enumerate(intents)}
        self._intent_of = np.fromiter(
            (self._intent_ids[link.intent] for link in self.links), dtype=np.int64, count=n
        )  # (N,)
        self._newest_first = np.argsort([-link.id for link in self.links], kind="stable")  # ties: newest wins
        self._by_key: dict[str, list[int]] = defaultdict(list)
        for row, link in enumerate(self.links):
            self._by_key[dedupe_key(link.text)].append(row)

    def __len__(self) -> int:
        return len(self.links)

    def search(self, text: str, intents: Collection[str] | None = None, limit: int = 10) -> list[Match]:
        """The closest examples, best first: every example with the same text (any intent, similarity
        1), then the nearest ones filed under `intents` (None: under any intent)."""
        if not self.links:
            return []
        scores = np.zeros(len(self.links))  # (N,) cosine with each example
        tf = _tf(text, self._analyzer)
        known = [(self._vocab[g], w) for g, w in tf.items() if g in self._vocab]
        norm = math.sqrt(
            sum((w * self._idf[c]) ** 2 for c, w in known)
            + sum((w * self._unseen_idf) ** 2 for g, w in tf.items() if g not in self._vocab)
        )
        for column, weight in known:
            start, stop = self._starts[column], self._starts[column + 1]
            scores[self._rows[start:stop]] += (weight * self._idf[column] / norm) * self._values[start:stop]
        if intents is not None:
            wanted = [self._intent_ids[i] for i in intents if i in self._intent_ids]
            scores[~np.isin(self._intent_of, wanted)] = 0.0
        exact = self._by_key.get(dedupe_key(text), [])
        scores[exact] = 1.0
        ranked = self._newest_first[np.argsort(-scores[self._newest_first], kind="stable")][:limit]
        return [Match(self.links[i], min(1.0, float(scores[i]))) for i in ranked if scores[i] > 0]
