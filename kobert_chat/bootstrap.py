"""First run: build the starter model from bundled data when no model version exists yet."""

from __future__ import annotations

import logging
from collections.abc import Callable

from . import threads
from .nlu.starter import build_starter, recipe_from_env
from .progress import Progress, ignore
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
        return registry.commit(
            staging,
            backbone="starter",
            parent=None,
            metrics=metrics,
            n_train=len(train),
            params=params,
            activate=activate,
        )
