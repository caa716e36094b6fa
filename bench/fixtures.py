"""What the benchmarks run on: the real starter, a KoBERT-size model with random weights, data homes.

The starter takes minutes to build, so it is cached in bench/out/cache and rebuilt when the model
code, the recipe or the bundled data change (a fingerprint of those names the cache folder).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict
from pathlib import Path

import torch
from transformers import BertConfig

from kobert_chat import paths
from kobert_chat.labels import DEFAULT_HEADS
from kobert_chat.nlu.model import HeadsConfig, KoBertClassifier
from kobert_chat.nlu.model_io import save_model
from kobert_chat.nlu.starter import DEFAULT_RECIPE, build_starter
from kobert_chat.nlu.tokenizer import KoBertTokenizer
from kobert_chat.registry import Registry
from kobert_chat.store import Store
from kobert_chat.training_data import bundled_examples

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / "out" / "cache"

# skt/kobert-base-v1's shapes (its config.json): what "KoBERT-size" means in every figure.
KOBERT_SHAPES = dict(
    vocab_size=8002,
    hidden_size=768,
    num_hidden_layers=12,
    num_attention_heads=12,
    intermediate_size=3072,
    max_position_embeddings=512,
    type_vocab_size=2,
    pad_token_id=1,
)


def _fingerprint() -> str:
    h = hashlib.sha256(json.dumps(asdict(DEFAULT_RECIPE), sort_keys=True).encode())
    for folder in (ROOT / "kobert_chat" / "nlu", ROOT / "resources" / "data" / "utterances"):
        for f in sorted(folder.glob("*.*")):
            h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest()[:12]


STARTER_ENV = "KOBERT_BENCH_STARTER"  # a starter folder to use instead of the cached build


def starter_folder(log=print) -> Path:
    """The shipped starter (DEFAULT_RECIPE, seed 0), built once per code/data version
    (or the folder KOBERT_BENCH_STARTER names)."""
    chosen = os.environ.get(STARTER_ENV, "").strip()
    if chosen:
        return Path(chosen)
    folder = CACHE / f"starter-{_fingerprint()}"
    if (folder / "model.safetensors").is_file():
        return folder
    log(f"building the starter model into {folder} (once per code version, ~8 min idle on 2 cores)")
    staging = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    build_starter(staging, bundled_examples("train"), bundled_examples("test"), recipe=DEFAULT_RECIPE, seed=0)
    staging.rename(folder)
    return folder


def kobert_size_folder(tokenizer_from: Path) -> Path:
    """KoBERT's encoder shapes, random weights, intent + emotion heads; the starter's tokenizer (ids < 8002)."""
    folder = CACHE / "kobert-size-random"
    if (folder / "model.safetensors").is_file():
        return folder
    torch.manual_seed(0)
    heads = {name: [lab for lab, _ in labels] for name, labels in DEFAULT_HEADS.items()}
    model = KoBertClassifier(BertConfig(**KOBERT_SHAPES), HeadsConfig(heads=heads, ngram_buckets=0))
    staging = folder.with_name(folder.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    save_model(
        model, KoBertTokenizer.load(tokenizer_from), staging, {"note": "random weights, KoBERT shapes"}
    )
    staging.rename(folder)
    return folder


def make_home(home: Path, model_folder: Path, backbone: str) -> Path:
    """A fresh data home whose active version is a copy of model_folder. A starter's home also gets
    what the first-run build leaves beside it: the encoder's features and the n-grams of the bundled
    lines (bootstrap.remember_features), computed once per starter folder and copied from bench/out/cache."""
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    store = Store.open(paths.database_path(home))
    try:
        registry = Registry(store, paths.models_dir(home))
        staging = registry.staging_folder()
        shutil.rmtree(staging)
        shutil.copytree(model_folder, staging)
        version = registry.commit(
            staging, backbone=backbone, parent=None, metrics={}, n_train=0, params={}, activate=True
        )
        if backbone == "starter":
            _remembered_features(registry, version, Path(model_folder), home / "cache")
    finally:
        store.close()
    return home


def _remembered_features(registry: Registry, version, model_folder: Path, cache_dir: Path) -> None:
    """The home's cache/ folder (encoder-features/, text-grams/) as the first-run build leaves it."""
    from kobert_chat.bootstrap import remember_features

    cached = CACHE / f"{model_folder.name}-cache"
    if not cached.is_dir():
        texts = [ex.text for ex in bundled_examples("train") + bundled_examples("test")]
        if not remember_features(registry, version, texts):
            return
        shutil.copytree(cache_dir, cached.with_name(cached.name + ".tmp"), dirs_exist_ok=True)
        cached.with_name(cached.name + ".tmp").rename(cached)
        return
    shutil.copytree(cached, cache_dir, dirs_exist_ok=True)


def chat_texts() -> list[str]:
    """Held-out lines: what a user might type, never seen in training (file order: not for sampling)."""
    return [ex.text for ex in bundled_examples("test")]


TEXT_SET_SIZE = 256  # every timed text figure, in --quick and full runs alike


def text_set(n: int = TEXT_SET_SIZE) -> list[str]:
    """A fixed set of n held-out lines with the length distribution of the whole test split.

    The test split is in file order (short greetings first, long diary lines last), so its first n
    lines are not a sample: `--quick` once timed the first 128 and measured shorter texts than the
    full run. Here the split is sorted by length (ties by a hash of the text) and every k-th line is
    taken, so each length quantile is represented; then the set is put in a fixed hashed order so
    consecutive replies are not sorted by length either. Same n -> the same texts on every run."""
    texts = sorted(set(chat_texts()), key=lambda t: (len(t), _digest(t)))
    n = min(n, len(texts))
    step = len(texts) / n
    chosen = [texts[int((i + 0.5) * step)] for i in range(n)]
    return sorted(chosen, key=_digest)


def train_subset(n: int) -> list:
    """n training examples with the length distribution of the whole training split (as text_set)."""
    examples = sorted(bundled_examples("train"), key=lambda ex: (len(ex.text), _digest(ex.text)))
    if n >= len(examples):
        return bundled_examples("train")
    step = len(examples) / n
    return sorted((examples[int((i + 0.5) * step)] for i in range(n)), key=lambda ex: _digest(ex.text))


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()
