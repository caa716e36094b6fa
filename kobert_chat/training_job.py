"""One retrain, end to end: pick the base model, gather data, train, compare, register.

The CLI's `train` is a thin wrapper over `run_training`; the app runs that CLI in a child process.
Nothing is registered until the new version is complete; a cancel or crash leaves only a staging
folder that the next start sweeps away. The label set of a `--data` head is recorded together with
the finished version (one transaction), never before: a cancelled or failed run adds no label set. Under torchrun (several processes) every rank trains and
only rank 0 writes: the database, the model version and the progress stream.

Input is checked (flags, data files, the database) before the model side is imported: torch and
transformers take seconds to load, and a typo in a file name should fail at once.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import paths, threads
from .data.formats import LabeledRow, Rejected, read_labeled
from .errors import InputError, ModelError, TrainingCancelled
from .nlu import kobert  # light: imports huggingface_hub and torch only when used
from .progress import Data, Done, Download, Progress, Stage, ignore
from .store import Store
from .store.label_sets import check_head_name

if TYPE_CHECKING:
    from .nlu.examples import Example
    from .registry import Registry

QUICK_BATCH, QUICK_PATIENCE = 128, 2
INBOX_SAMPLE = 500  # unlabeled messages whose predictions are compared between the two models


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
    download: bool = False  # backbone "kobert": download skt/kobert-base-v1 if it is not on this machine


def run_training(
    request: TrainRequest,
    *,
    home: Path | None = None,
    progress: Progress | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> Done | None:
    """The finished run (None on a torchrun rank other than 0: rank 0 reports)."""
    emit = progress or ignore
    home = home or paths.data_home()
    if request.out is not None and request.activate:
        raise InputError(
            "--out and --activate exclude each other: --out writes a folder outside the registry"
        )
    if request.data and not request.head:
        raise InputError("--data needs --head NAME: the label set the file's label column trains")
    if request.head and not request.data:
        raise InputError("--head goes with --data FILE")
    if request.head:
        try:
            check_head_name(request.head)
        except InputError as e:
            raise InputError(f"--head {request.head}: {e}") from None
    if request.download and request.backbone != "kobert":
        raise InputError("--download goes with --backbone kobert (it fetches skt/kobert-base-v1)")
    if request.out is not None and Path(request.out).exists() and any(Path(request.out).iterdir()):
        raise InputError(f"--out folder {request.out} exists and is not empty; choose a new folder")
    file_rows, rejected = _read_data(request)
    store = Store.open(paths.database_path(home))
    try:
        from .nlu import distributed  # the model side: imported only once the input is known good
        from .nlu.inference import resolve_device
        from .registry import Registry

        device = resolve_device(request.device)
        if device.type == "cpu":  # the free cores, re-checked after every epoch (threads.py)
            threads.apply_training_threads()
            emit = threads.rechecking(emit)
        # -- torchrun: a no-op for one process; ranks other than 0 train but never write or print ------
        dist = distributed.init(device)
        device = dist.device(device)
        registry = Registry(store, paths.models_dir(home))
        if not dist.is_main:
            _other_rank(request, store, registry, file_rows, rejected, device, should_stop, dist)
            return None
        # ------------------------------------------------------------------------------------------------
        file_examples = _file_examples(request, file_rows, rejected, store, emit)
        dist.barrier()  # rank 0 checked the input: the other ranks follow
        run_id = store.start_training_run(request.mode, _params(request))
        try:
            done = _train_and_register(
                request, store, registry, file_examples, device, emit, should_stop, dist
            )
        except TrainingCancelled:
            store.finish_training_run(run_id, "cancelled")
            raise
        except BaseException as e:
            store.finish_training_run(run_id, "failed", error=str(e)[:500])
            raise
        store.finish_training_run(run_id, "succeeded", version_id=done.version if done else None)
        distributed.shutdown(dist)  # waits for every rank, then leaves the group (no-op for one process)
        return done
    finally:
        store.close()


def _gram_kinds(model) -> tuple[str | None, int | None]:
    """The n-grams this model reads: its TF-IDF expert's analyzer and its n-gram bag's bucket count."""
    config = model.heads_config
    analyzer = model.tfidf.analyzer if model.tfidf is not None else config.tfidf_analyzer
    return analyzer, config.ngram_buckets or None


def _other_rank(
    request: TrainRequest,
    store: Store,
    registry: Registry,
    file_rows,
    rejected: int,
    device,
    should_stop,
    dist,
) -> None:
    """torchrun rank > 0: the same training on its shard, reading what rank 0 wrote; nothing to report."""
    from .nlu import distributed

    dist.barrier()  # rank 0 has checked the input
    file_examples = _file_examples(request, file_rows, rejected, store, ignore)
    _train_and_register(request, store, registry, file_examples, device, ignore, should_stop, dist)
    distributed.shutdown(dist)
    return None


def _train_and_register(
    request: TrainRequest,
    store: Store,
    registry: Registry,
    file_examples: list[Example],
    device,
    emit: Progress,
    should_stop,
    dist=None,
) -> Done | None:
    from .nlu.distributed import Dist
    from .nlu.model_io import save_model
    from .nlu.training import TrainConfig, train
    from .retrain_report import judge
    from .training_data import training_data

    dist = dist or Dist()
    with dist.main_first():  # rank 0 may build the starter or download KoBERT; the others then load it
        base_version, model, tokenizer, backbone = _base_model(request, registry, device, emit)
    if model.tfidf is None:  # a version saved before the TF-IDF expert existed gains one (its weight is
        model.set_tfidf(None)  # chosen on validation, so it can only help there)
    data = training_data(store)  # the exam (bundled test split + the user's held-back labels) stays out
    examples = data.train + file_examples  # a --data file trains whole: the current model has no such head
    file_labels = _file_labels(request, file_examples)
    for head, labels in _label_space(store, examples, file_labels).items():
        model.ensure_labels(head, labels)
    quick = request.mode == "quick"
    epochs = request.epochs or (40 if quick else 8)
    lr = request.lr or (5e-5 if backbone == "kobert" else 5e-4)
    # Quick mode trains heads that start trained: its best epoch was the first in every measured run
    # (bench/experiments/quick_schedule.py), so larger batches and less patience cost nothing but time.
    batch_size, patience = (QUICK_BATCH, QUICK_PATIENCE) if quick else (32, 3)
    config = TrainConfig(
        mode=request.mode,
        epochs=epochs,
        seed=request.seed,
        lr=lr,
        patience=patience,
        head_lr=3e-3,
        batch_size=batch_size,
    )
    from .nlu import text_grams

    grams_dir = paths.text_grams_dir(registry.models_dir.parent)
    analyzer, buckets = _gram_kinds(model)
    text_grams.load(grams_dir, analyzer, buckets)  # what earlier builds and retrains cut into n-grams
    memo = None
    if quick and dist.is_main:  # the frozen encoder's features from the last quick retrain (encoder_memo.py)
        from .nlu.encoder_memo import EncoderMemo

        memo = EncoderMemo.load(paths.features_dir(registry.models_dir.parent), model, tokenizer)
    result = train(
        model,
        tokenizer,
        examples,
        config,
        device=device,
        progress=emit,
        should_stop=should_stop,
        dist=dist,
        memo=memo,
    )
    if not dist.is_main:
        return None  # rank 0 evaluates, writes and reports
    emit(Stage("exam", "시험 문장으로 지금 모델과 새 모델을 비교하는 중"))
    active = registry.active()
    inbox = [m.text for m in store.unlabeled_messages(limit=INBOX_SAMPLE)]
    judgement = judge(
        result.model,
        tokenizer,
        Path(active.path) if active else None,
        data.exam,
        data.user_exam,
        data.user,
        inbox,
        device,
        result.memo,
    )
    if result.memo is not None:  # the next quick retrain from this encoder reads them from disk
        result.memo.save(paths.features_dir(registry.models_dir.parent))
    text_grams.save(grams_dir, analyzer, buckets, [ex.text for ex in examples + data.exam] + inbox)
    metrics = {
        "validation": result.metrics,
        "best_epoch": result.best_epoch,
        "exam": judgement.exam.to_dict(),
        "inbox_change": judgement.inbox_change,
    }
    done = Done(
        result.metrics,
        result.n_train,
        result.n_val,
        result.best_epoch,
        exam=judgement.exam,
        regressions=judgement.regressions,
        inbox_change=judgement.inbox_change,
        n_exam=len(data.exam),
    )
    if request.out is not None:
        _save_out(result.model, tokenizer, Path(request.out), metrics)
        return dataclasses.replace(done, path=str(request.out))
    with registry.staging() as staging:
        save_model(result.model, tokenizer, staging, metrics)
        params = _params(request) | {"epochs": epochs, "lr": lr}
        version = registry.commit(
            staging,
            backbone=backbone,
            parent=base_version,
            metrics=metrics,
            n_train=result.n_train,
            params=params,
            labels=file_labels,  # the --data head's label set: recorded with the version, or not at all
        )
    done = dataclasses.replace(done, version=version.id, path=str(version.path))
    if request.activate:
        verdict = judgement.exam.verdict
        if verdict.promote:
            registry.activate(version.id)
            return dataclasses.replace(done, activated=True)
        return dataclasses.replace(
            done,
            not_activated_reason=(
                f"on the exam ({len(data.exam):,} texts no model was fit on) mean macro-F1 {verdict.new_score:.3f} "
                f"is below the current model's {verdict.old_score:.3f}; kept {version.id} inactive"
            ),
        )
    return done


def _base_model(request: TrainRequest, registry: Registry, device, emit: Progress):
    """-> (parent version id or None, model, tokenizer, backbone name)."""
    from .bootstrap import build_starter_version
    from .nlu.model_io import check_folder, load_model

    choice = request.backbone
    if choice in (None, "active"):
        active = registry.active()
        if active is None:
            active = build_starter_version(registry, emit, seed=request.seed)
        # A damaged active version: continue from the newest one that loads, and say so (the window
        # and the CLI show stage messages); the active version is the user's to change.
        candidates = [active] + [v for v in registry.versions() if v.id != active.id]
        problems = []
        for version in candidates:
            try:
                model, tokenizer = load_model(Path(version.path), device)
            except ModelError as e:
                problems.append(f"{version.id}: {e}")
                continue
            if version.id != active.id:
                emit(
                    Stage(
                        "fallback", f"지금 모델 {active.id}이(가) 손상돼서 {version.id}에서 이어서 학습해요"
                    )
                )
            return version.id, model, tokenizer, version.backbone
        raise ModelError("no model version could be loaded to train from: " + "; ".join(problems))
    if choice == "starter":
        starters = [v for v in registry.versions() if v.backbone == "starter"]
        version = (
            starters[0]
            if starters
            else build_starter_version(registry, emit, seed=request.seed, activate=False)
        )
        model, tokenizer = load_model(Path(version.path), device)
        return version.id, model, tokenizer, "starter"
    if choice == "kobert" or kobert.is_pretrained_folder(Path(choice)):
        # -- the real KoBERT (or a KoBERT-family BERT folder): a folder given, the HF cache, or a download --
        local = None if choice == "kobert" else Path(choice)
        folder = kobert.resolve_kobert(local, download=request.download, progress=_download_events(emit))
        heads = {h: [lab for lab, _ in labels] for h, labels in registry.store.label_sets().items()}
        model, tokenizer = kobert.kobert_classifier(folder, heads)
        return None, model.to(device), tokenizer, "kobert"
    folder = Path(choice)
    check_folder(folder)
    model, tokenizer = load_model(folder, device)
    return None, model, tokenizer, str(folder)


def _download_events(emit: Progress) -> kobert.DownloadProgress:
    """Download progress as JSON-lines events: {"event": "download", "file", "done", "total"} (bytes)."""

    def report(name: str, done: int, total: int | None) -> None:
        emit(Download(name, done, total))

    return report


def _label_space(
    store: Store, examples: Sequence[Example], file_labels: dict[str, list[str]] | None = None
) -> dict[str, list[str]]:
    """Known labels first (stable order), then the --data file's labels (sorted, the order the store
    records them in), then any new label the data brings."""
    space = {head: [lab for lab, _ in labels] for head, labels in store.label_sets().items()}
    for head, labels in (file_labels or {}).items():
        known = space.setdefault(head, [])
        known.extend(lab for lab in labels if lab not in known)
    for ex in examples:
        for head, label in ex.labels.items():
            labels = space.setdefault(head, [])
            if label not in labels:
                labels.append(label)
    return {head: labels for head, labels in space.items() if any(head in ex.labels for ex in examples)}


def _read_data(request: TrainRequest) -> tuple[list[tuple[str, str]], int]:
    """(text, label) rows of the --data files and how many were rejected; InputError if unusable."""
    rows, rejected = [], 0
    for path in request.data:
        for row in read_labeled(
            Path(path), text_column=request.text_column, label_columns=[request.label_column]
        ):
            if isinstance(row, Rejected):
                rejected += 1
                continue
            assert isinstance(row, LabeledRow)
            # one label column was asked for; its key is the normalised column name ("Label" -> "label")
            rows.append((row.text, next(iter(row.labels.values()))))
    if request.data and not rows:
        raise InputError(f"no usable rows in {', '.join(map(str, request.data))} ({rejected} rejected)")
    labels = sorted({label for _, label in rows})
    if len(labels) == 1:
        raise InputError(
            f"column {request.label_column!r} has only one label ({labels[0]}); need at least two"
        )
    return rows, rejected


def _file_examples(
    request: TrainRequest,
    rows: list[tuple[str, str]],
    rejected: int,
    store: Store,
    emit: Progress,
) -> list[Example]:
    """The --data rows as examples. Nothing is written: the head's label set is recorded only with the
    finished version (see _file_labels and Registry.commit)."""
    from .nlu.examples import Example

    if not rows or request.head is None:
        return []
    labels = sorted({label for _, label in rows})
    emit(Data(len(rows), rejected, request.head, labels, f"{request.head}: {len(rows):,}줄 읽음"))
    return [Example(text, {request.head: label}) for text, label in rows]


def _file_labels(request: TrainRequest, file_examples: Sequence[Example]) -> dict[str, list[str]]:
    """{head: sorted labels} of the --data file, what the version's commit adds to the label sets."""
    if request.head is None or not file_examples:
        return {}
    return {request.head: sorted({ex.labels[request.head] for ex in file_examples})}


def _save_out(model, tokenizer, out: Path, metrics: dict) -> None:
    from .nlu.model_io import save_model

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
    return json.loads(
        json.dumps(
            {
                "mode": request.mode,
                "epochs": request.epochs,
                "seed": request.seed,
                "backbone": request.backbone,
                "data": [str(p) for p in request.data],
                "head": request.head,
            }
        )
    )
