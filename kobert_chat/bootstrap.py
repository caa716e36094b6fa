"""First run: build the starter model from bundled data when no model version exists yet."""

from __future__ import annotations

import logging
from collections.abc import Callable

from . import paths, threads
from .errors import KobertChatError
from .nlu.starter import build_starter, recipe_from_env
from .progress import Progress, Stage, ignore
from .registry import Registry
from .store import ModelVersion
from .training_data import bundled_examples

log = logging.getLogger(__name__)


def build_starter_version(
    registry: Registry,
    progress: Progress | None = None,
    seed: int = 0,
    device: str = "cpu",
    activate: bool = True,
    should_stop: Callable[[], bool] | None = None,
) -> ModelVersion:
    """Train the starter into a staging folder and register it (activating it if asked).
    `should_stop` cancels (TrainingCancelled); nothing is registered and the staging folder goes.
    On the CPU it trains on the free cores (threads.py), re-checked after every epoch; the caller
    (the chat engine) sets its own thread count again when it loads the model."""
    emit = progress or ignore
    if device == "cpu":  # the free cores, not torch's one per core: a busy machine made this 20x slower
        threads.apply_training_threads()
        emit = threads.rechecking(emit)
    train, test = bundled_examples("train"), bundled_examples("test")
    log.info("building starter model: %d training lines, %d held-out", len(train), len(test))
    with registry.staging() as staging:
        metrics = build_starter(
            staging,
            train,
            test,
            recipe=recipe_from_env(),
            seed=seed,
            device=device,
            progress=emit,
            should_stop=should_stop,
        )
        params = {"recipe": metrics.get("recipe"), "seed": seed, "mode": "full"}
        version = registry.commit(
            staging,
            backbone="starter",
            parent=None,
            metrics=metrics,
            n_train=len(train),
            params=params,
            activate=activate,
        )
    remember_features(registry, version, [ex.text for ex in train + test], device, emit, should_stop)
    return version


def remember_features(
    registry: Registry,
    version: ModelVersion,
    texts: list[str],
    device: str = "cpu",
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
    chunk: int = 1024,
) -> bool:
    """Run the new version's encoder over `texts` once and keep the features (nlu/encoder_memo.py),
    so the first quick retrain does not (it is a forward pass over the bundled lines: a few percent of
    the build); keep the texts' n-grams too (nlu/text_grams.py: the build cut them already, so this
    costs a file write). Optional: a cancel or an error only leaves the cache for that retrain to
    fill. True when the memo was saved."""
    from pathlib import Path

    from .nlu import text_grams
    from .nlu.encoder_memo import EncoderMemo
    from .nlu.model_io import load_model

    emit = progress or ignore
    stop = should_stop or (lambda: False)
    emit(Stage("remember", "다음 학습을 빠르게 하려고 문장을 미리 읽어 두는 중"))
    try:
        model, tokenizer = load_model(Path(version.path), device)
        memo = EncoderMemo.for_model(model, tokenizer)
        for start in range(0, len(texts), chunk):
            if stop():
                return False
            memo.features(model, tokenizer, texts[start : start + chunk], device)
    except (KobertChatError, OSError, RuntimeError) as e:
        log.warning("could not remember the encoder's features: %s", e)
        return False
    home = registry.models_dir.parent
    config = model.heads_config
    text_grams.save(paths.text_grams_dir(home), config.tfidf_analyzer, config.ngram_buckets, texts)
    return memo.save(paths.features_dir(home))
