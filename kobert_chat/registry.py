"""Model versions on disk + their rows in the store.

A version is written whole into a staging folder (`models/.staging-<pid>-<random>`), then renamed
into `models/<version id>` and only then recorded in the database (as "models/<id>", relative to the
data folder: a copied or moved data folder keeps its models). A crash at any point leaves either no
trace (staging is swept later) or a complete folder; the active version is untouched until
`activate` runs. Label sets a version was trained on (a head from `train --data`) are recorded in
the same transaction as the version, so a cancelled or failed training leaves no label set behind.

This module never loads a model (no torch): loading and the smoke test are the engine's
(`ChatEngine.activate`, `rollback`), which pass their check in.
"""

from __future__ import annotations

import os
import secrets
import shutil
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from .errors import InputError, ModelError
from .nlu.model_files import check_folder
from .store import ModelVersion, Store

STAGING_PREFIX = ".staging-"


class Registry:
    def __init__(self, store: Store, models_dir: Path):
        self.store = store
        self.models_dir = Path(models_dir)
        self.models_dir.mkdir(parents=True, exist_ok=True)

    def staging_folder(self) -> Path:
        folder = self.models_dir / f"{STAGING_PREFIX}{os.getpid()}-{secrets.token_hex(4)}"
        folder.mkdir()
        return folder

    @contextmanager
    def staging(self) -> Iterator[Path]:
        """A fresh staging folder, removed again if the block fails or is cancelled (unless committed)."""
        folder = self.staging_folder()
        try:
            yield folder
        finally:
            if folder.exists():
                shutil.rmtree(folder, ignore_errors=True)

    def commit(
        self,
        staging: Path,
        *,
        backbone: str,
        parent: str | None,
        metrics: dict,
        n_train: int,
        params: dict,
        activate: bool = False,
        labels: Mapping[str, Sequence[str]] | None = None,
    ) -> ModelVersion:
        """Rename the staging folder into place and record it; `labels` ({head: [label ids]}) are added
        to the store's label sets in the same transaction (labels a head already has are kept)."""
        check_folder(staging)  # refuse to register anything incomplete
        version_id = time.strftime("%Y%m%d-%H%M%S", time.gmtime()) + "-" + secrets.token_hex(2)
        final = self.models_dir / version_id
        _fsync_tree(staging)
        os.rename(staging, final)  # atomic on one filesystem
        try:
            with self.store.transaction():
                self.store.add_model_version(version_id, final, backbone, parent, metrics, n_train, params)
                for head, names in (labels or {}).items():
                    self.store.ensure_labels(head, [(name, name) for name in names])
                if activate:
                    self.store.set_active_model(version_id)
        except BaseException:
            shutil.rmtree(final, ignore_errors=True)  # not recorded: leave no unregistered folder
            raise
        version = self.store.model_version(version_id)
        assert version is not None  # just recorded
        return version

    def active(self) -> ModelVersion | None:
        return self.store.active_model_version()

    def versions(self) -> list[ModelVersion]:
        return self.store.model_versions()

    def get(self, version_id: str) -> ModelVersion:
        version = self.store.model_version(version_id)
        if version is None:
            known = ", ".join(v.id for v in self.versions()[:5]) or "none"
            raise InputError(f"no model version {version_id!r} (recent: {known})")
        return version

    def activate(self, version_id: str) -> ModelVersion:
        version = self.get(version_id)
        check_folder(Path(version.path))
        self.store.set_active_model(version_id)
        return self.get(version_id)

    def rollback(self, check: Callable[[ModelVersion], None] | None = None) -> ModelVersion:
        """Activate the newest loadable version older than the active one. `check(version)` may load it
        and raise ModelError to skip a damaged one (the engine loads and smoke-tests it)."""
        active = self.active()
        if active is None:
            raise InputError("no active model to roll back from")
        older = [v for v in self.versions() if (v.created_at, v.id) < (active.created_at, active.id)]
        skipped = []
        for version in older:
            try:
                check_folder(version.path)
                if check is not None:
                    check(version)
            except ModelError as e:
                skipped.append(f"{version.id} ({e})")
                continue
            return self.activate(version.id)
        if skipped:
            raise ModelError(
                "no older model version can be loaded ("
                + "; ".join(skipped)[:400]
                + "); the active one stays"
            )
        raise InputError("there is no older model version to roll back to")

    def discard(self, version_id: str) -> None:
        version = self.get(version_id)
        if version.active:
            raise InputError("the active model cannot be discarded; activate another version first")
        self.store.delete_model_version(version_id)
        shutil.rmtree(version.path, ignore_errors=True)

    def sweep_staging(self) -> int:
        """Remove staging folders left by processes that are gone (crash, kill -9, cancel)."""
        removed = 0
        for folder in self.models_dir.glob(STAGING_PREFIX + "*"):
            pid = folder.name[len(STAGING_PREFIX) :].split("-")[0]
            if pid.isdigit() and _alive(int(pid)) and int(pid) != os.getpid():
                continue
            shutil.rmtree(folder, ignore_errors=True)
            removed += 1
        return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync_tree(folder: Path) -> None:
    for path in folder.iterdir():
        if path.is_file():
            with open(path, "rb") as f:
                os.fsync(f.fileno())
