"""Helpers shared by the tests: data samples, installing a model into a data home, database checks.

Tests import helpers from here (and from helpers.cli, helpers.kobert, helpers.ui), never from
conftest.py or from other test modules.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent.parent
SAFETY_TIMEOUT_S = 900  # only so a hung child cannot hang the suite; never an assertion about speed


def sample_examples(n: int, seed: int = 0, split: str = "train") -> list:
    """n bundled examples of a split, in a seeded random order."""
    from kobert_chat.training_data import bundled_examples

    pool = bundled_examples(split)
    random.Random(seed).shuffle(pool)
    return pool[:n]


def install_model(home: Path, model_dir: Path, backbone: str = "starter", activate: bool = True) -> str:
    """Register a copy of model_dir as a version in home (what a finished training does)."""
    from kobert_chat import paths
    from kobert_chat.registry import Registry
    from kobert_chat.store import Store

    store = Store.open(paths.database_path(home))
    try:
        registry = Registry(store, paths.models_dir(home))
        staging = registry.staging_folder()
        shutil.rmtree(staging)
        shutil.copytree(model_dir, staging)
        version = registry.commit(
            staging, backbone=backbone, parent=None, metrics={}, n_train=600, params={}, activate=activate
        )
        return version.id
    finally:
        store.close()


def integrity(where: Path) -> str:
    """PRAGMA integrity_check of a data home's database (or a database file), through plain sqlite3
    rather than the app's own code: "ok" when SQLite finds nothing wrong."""
    import sqlite3

    from kobert_chat import paths

    db = paths.database_path(where) if Path(where).is_dir() else Path(where)
    conn = sqlite3.connect(db)
    try:
        return "\n".join(row[0] for row in conn.execute("PRAGMA integrity_check"))
    finally:
        conn.close()


def toy_examples(n_per: int = 40) -> list:
    """Two clearly separable intents; emotion present on only half the rows (the rest masked)."""
    from kobert_chat.nlu.examples import Example

    hello = ["안녕", "안녕하세요", "하이", "반가워", "좋은 아침", "ㅎㅇ", "안뇽", "방가방가"]
    thanks = ["고마워", "감사합니다", "땡큐", "ㄱㅅ", "정말 고마워요", "감사해요", "고맙다", "감사감사"]
    out = []
    for i in range(n_per):
        out.append(
            Example(
                f"{hello[i % 8]} {'ㅋ' * (i % 4)}",
                {"intent": "greeting", **({"emotion": "happiness"} if i % 2 else {})},
            )
        )
        out.append(
            Example(
                f"{thanks[i % 8]} {'!' * (i % 4)}",
                {"intent": "thanks", **({"emotion": "neutral"} if i % 2 else {})},
            )
        )
    return out


def _char_trigram_matrix(texts: list[str], vocab: dict[str, int] | None = None):
    from scipy import sparse

    vocab = {} if vocab is None else vocab
    indptr, indices = [0], []
    for t in texts:
        grams = {t[i : i + 3] for i in range(len(t) - 2)} or {t}
        indices.extend(vocab.setdefault(g, len(vocab)) for g in grams)
        indptr.append(len(indices))
    data = np.ones(len(indices), dtype=np.float32)
    return sparse.csr_matrix((data, indices, indptr), shape=(len(texts), len(vocab)))


def near_duplicate_mask(
    texts: list[str], threshold: float = 0.8, block: int = 512, against: list[str] | None = None
):
    """True for each text that has another text with character-3-gram Jaccard >= threshold: another
    text of `texts`, or, with `against`, any text of that second list.

    |A & B| for all pairs is one sparse product X @ Y.T; it is taken a block of rows at a time so memory
    stays at block x n instead of n x n."""
    vocab: dict[str, int] = {}
    x = _char_trigram_matrix(texts, vocab)
    y = x if against is None else _char_trigram_matrix(against, vocab)
    x.resize((x.shape[0], len(vocab)))  # against may have added 3-grams texts does not have
    y.resize((y.shape[0], len(vocab)))
    sizes_x = np.asarray(x.sum(axis=1)).ravel()
    sizes_y = np.asarray(y.sum(axis=1)).ravel()
    yt = y.T.tocsc()
    has_partner = np.zeros(len(texts), dtype=bool)
    for start in range(0, len(texts), block):
        stop = min(start + block, len(texts))
        inter = (x[start:stop] @ yt).toarray()
        union = sizes_x[start:stop, None] + sizes_y[None, :] - inter
        jaccard = inter / union
        if against is None:
            jaccard[np.arange(stop - start), np.arange(start, stop)] = 0.0  # a text is not its own partner
        has_partner[start:stop] = (jaccard >= threshold).any(axis=1)
    return has_partner
