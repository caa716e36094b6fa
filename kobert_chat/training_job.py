"""One retrain, end to end: pick the base model, gather data, train, compare, register.

The CLI's `train` is a thin wrapper over `run_training`; the app runs that CLI in a child process.
Nothing is registered until the new version is complete; a cancel or crash leaves only a staging
folder that the next start sweeps away.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import paths
from .bootstrap import build_starter_version, ensure_label_sets
from .data.formats import LabeledRow, Rejected, read_labeled
from .errors import InputError, KobertChatError, ModelError, TrainingCancelled
from .nlu.evaluation import summary
from .nlu.inference import resolve_device
from .nlu.model_io import check_folder, load_model, save_model
from .nlu.registry import Registry
from .nlu.training import Example, TrainConfig, evaluate_examples, mean_macro_f1, train
from .store import Store
from .training_data import training_examples

Progress = Callable[[dict], None]
ACTIVATE_TOLERANCE = 0.01  # a new version may be this much worse (noise) and still be promoted


@dataclass
class TrainRequest:
    mode: str = "quick"
    epochs: int | None = None  # default: 40 for quick (cheap), 8 for full
    seed: int = 0
    backbone: str | None = None  # None: continue from the active version; "starter"; "kobert"; a folder
    data: Sequence[Path] = ()
    head: str | None = None
    text_column: str = "text"
    label_column: str = "label"
    out: Path | None = None
    activate: bool = False
    device: str = "auto"
    lr: float | None = None


def run_training(request: TrainRequest, *, home: Path | None = None, progress: Progress | None = None,
                 should_stop: Callable[[], bool] | None = None) -> dict:
    emit = progress or (lambda event: None)
    home = home or paths.data_home()
    if request.out is not None and request.activate:
        raise InputError("--out and --activate exclude each other: --out writes a folder outside the registry")
    if request.data and not request.head:
        raise InputError("--data needs --head NAME: the label set the file's label column trains")
    if request.head and not request.data:
        raise InputError("--head goes with --data FILE")
    if request.out is not None and Path(request.out).exists() and any(Path(request.out).iterdir()):
        raise InputError(f"--out folder {request.out} exists and is not empty; choose a new folder")
    device = resolve_device(request.device)
    store = Store.open(paths.database_path(home))
    try:
        registry = Registry(store, paths.models_dir(home))
        ensure_label_sets(registry)
        file_examples = _file_examples(request, store, emit)
        run_id = store.start_training_run(request.mode, _params(request))
        try:
            done = _train_and_register(request, store, registry, file_examples, device, emit, should_stop)
        except TrainingCancelled:
            store.finish_training_run(run_id, "cancelled")
            raise
        except BaseException as e:
            store.finish_training_run(run_id, "failed", error=str(e)[:500])
            raise
        store.finish_training_run(run_id, "succeeded", version_id=done.get("version"))
        return done
    finally:
        store.close()


def _train_and_register(request: TrainRequest, store: Store, registry: Registry, file_examples: list[Example],
                        device, emit: Progress, should_stop) -> dict:
    base_version, model, tokenizer, backbone = _base_model(request, registry, device, emit)
    examples = training_examples(store) + file_examples
    for head, labels in _label_space(store, examples).items():
        model.ensure_labels(head, labels)
    quick = request.mode == "quick"
    epochs = request.epochs or (40 if quick else 8)
    lr = request.lr or (5e-5 if backbone == "kobert" else 5e-4)
    config = TrainConfig(mode=request.mode, epochs=epochs, seed=request.seed, lr=lr, patience=6 if quick else 3,
                         head_lr=3e-3)
    result = train(model, tokenizer, examples, config, device=device, progress=emit, should_stop=should_stop)
    current = _current_metrics(registry, result.val_examples, device) if base_version else None
    metrics = {"validation": result.metrics, "best_epoch": result.best_epoch}
    done = {"event": "done", "metrics": result.metrics, "current_metrics": current, "n_train": result.n_train,
            "n_val": result.n_val, "best_epoch": result.best_epoch}
    if request.out is not None:
        _save_out(result.model, tokenizer, Path(request.out), metrics)
        done["path"] = str(request.out)
        return done
    with registry.staging() as staging:
        save_model(result.model, tokenizer, staging, metrics)
        params = _params(request) | {"epochs": epochs, "lr": lr}
        version = registry.commit(staging, backbone=backbone, parent=base_version, metrics=metrics,
                                  n_train=result.n_train, params=params)
    done |= {"version": version.id, "path": str(version.path), "activated": False}
    if request.activate:
        new_score = mean_macro_f1(result.metrics)
        old_score = mean_macro_f1({h: m for h, m in (current or {}).items() if h in result.metrics})
        if current is None or new_score >= old_score - ACTIVATE_TOLERANCE:
            registry.activate(version.id)
            done["activated"] = True
        else:
            done["not_activated_reason"] = (f"validation macro-F1 {new_score:.3f} is below the current model's "
                                            f"{old_score:.3f}; kept {version.id} inactive")
    return done


def _base_model(request: TrainRequest, registry: Registry, device, emit: Progress):
    """-> (parent version id or None, model, tokenizer, backbone name)."""
    choice = request.backbone
    if choice in (None, "active"):
        active = registry.active()
        if active is None:
            active = build_starter_version(registry, emit, seed=request.seed)
        model, tokenizer = load_model(Path(active.path), device)
        return active.id, model, tokenizer, active.backbone
    if choice == "starter":
        starters = [v for v in registry.versions() if v.backbone == "starter"]
        version = starters[0] if starters else build_starter_version(registry, emit, seed=request.seed, activate=False)
        model, tokenizer = load_model(Path(version.path), device)
        return version.id, model, tokenizer, "starter"
    if choice == "kobert":
        raise ModelError("the kobert backbone needs a local KoBERT folder: pass --backbone PATH to a folder with "
                         "config.json, model.safetensors and spiece.model")
    folder = Path(choice)
    check_folder(folder)
    model, tokenizer = load_model(folder, device)
    return None, model, tokenizer, str(folder)


def _label_space(store: Store, examples: Sequence[Example]) -> dict[str, list[str]]:
    """Known labels first (stable order), then any new label the data brings."""
    space = {head: [lab for lab, _ in labels] for head, labels in store.label_sets().items()}
    for ex in examples:
        for head, label in ex.labels.items():
            labels = space.setdefault(head, [])
            if label not in labels:
                labels.append(label)
    return {head: labels for head, labels in space.items() if any(head in ex.labels for ex in examples)}


def _file_examples(request: TrainRequest, store: Store, emit: Progress) -> list[Example]:
    examples, rejected = [], 0
    for path in request.data:
        for row in read_labeled(Path(path), text_column=request.text_column, label_columns=[request.label_column]):
            if isinstance(row, Rejected):
                rejected += 1
                continue
            assert isinstance(row, LabeledRow)
            examples.append(Example(row.text, {request.head: row.labels[request.label_column]}))
    if request.data and not examples:
        raise InputError(f"no usable rows in {', '.join(map(str, request.data))} ({rejected} rejected)")
    if examples:
        labels = sorted({ex.labels[request.head] for ex in examples})
        if len(labels) < 2:
            raise InputError(f"column {request.label_column!r} has only one label ({labels[0]}); need at least two")
        store.ensure_labels(request.head, [(lab, lab) for lab in labels])
        emit({"event": "data", "rows": len(examples), "rejected": rejected, "head": request.head, "labels": labels})
    return examples


def _current_metrics(registry: Registry, val: Sequence[Example], device) -> dict | None:
    active = registry.active()
    if active is None or not val:
        return None
    try:
        model, tokenizer = load_model(Path(active.path), device)
    except KobertChatError:
        return None
    known = model.heads_config.heads
    usable = [Example(ex.text, {h: lab for h, lab in ex.labels.items() if h in known and lab in known[h]}) for ex in val]
    return evaluate_examples(model, tokenizer, [ex for ex in usable if ex.labels], device)


def _save_out(model, tokenizer, out: Path, metrics: dict) -> None:
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        save_model(model, tokenizer, tmp, metrics)
        if out.exists():
            out.rmdir()  # checked empty above
        os.rename(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _params(request: TrainRequest) -> dict:
    return json.loads(json.dumps({"mode": request.mode, "epochs": request.epochs, "seed": request.seed,
                                  "backbone": request.backbone, "data": [str(p) for p in request.data],
                                  "head": request.head}))


def compact(metrics: dict | None) -> dict | None:
    return {h: summary(m) for h, m in metrics.items()} if metrics else metrics
