"""Bookkeeping for model versions (their folders live in models_dir) and training runs.

A version's folder is recorded relative to the data folder (the database's folder), "models/<id>",
and handed out resolved against the folder this Store was opened from: a copied, moved or restored
data folder keeps every model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kobert_chat.errors import InputError

from .core import StoreCore, check_text, from_json, to_json
from .records import ModelVersion, TrainingRun

RUN_OUTCOMES = ("succeeded", "failed", "cancelled")


def _model_version(row: dict[str, Any], home: Path) -> ModelVersion:
    stored = Path(row["path"])
    return ModelVersion(
        id=row["id"],
        path=stored if stored.is_absolute() else home / stored,
        backbone=row["backbone"],
        parent=row["parent"],
        created_at=row["created_at"],
        metrics=from_json(row["metrics"]),
        n_train=row["n_train"],
        params=from_json(row["params"]),
        active=bool(row["active"]),
    )


def _training_run(row: dict[str, Any]) -> TrainingRun:
    return TrainingRun(
        id=row["id"],
        mode=row["mode"],
        status=row["status"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        version_id=row["version_id"],
        params=from_json(row["params"]),
        error=row["error"],
    )


class ModelsMixin(StoreCore):
    # -- model versions ----------------------------------------------------------------------
    def add_model_version(
        self,
        version_id: str,
        path: Path | str,
        backbone: str,
        parent: str | None,
        metrics: dict[str, Any],
        n_train: int,
        params: dict[str, Any],
    ) -> ModelVersion:
        """Register a version as inactive; set_active_model promotes it."""
        version_id = check_text(version_id, "A model version id").strip()
        if not version_id:
            raise InputError("A model version needs an id.")
        values = {
            "id": version_id,
            "path": self._stored_path(Path(path)),
            "backbone": backbone,
            "parent": parent,
            "metrics": to_json(metrics, "Model metrics"),
            "n_train": int(n_train),
            "params": to_json(params, "Training parameters"),
            "active": 0,
        }
        with self.transaction():
            if self.model_version(version_id) is not None:
                raise InputError(f"Model version '{version_id}' is already registered.")
            values["created_at"] = self._now()
            self._db.table("model_versions").insert(values)
            return self.model_version(version_id)  # type: ignore[return-value]  # just inserted

    @property
    def home(self) -> Path:
        """The data folder: relative model paths are relative to it."""
        return self.path.parent

    def _stored_path(self, path: Path) -> str:
        """A folder inside the data folder as a relative POSIX path; anything else as given."""
        try:
            return path.resolve().relative_to(self.home.resolve()).as_posix()
        except ValueError:
            return str(path)

    def model_versions(self) -> list[ModelVersion]:
        """Newest first."""
        rows = self._rows("SELECT * FROM model_versions ORDER BY created_at DESC, rowid DESC")
        return [_model_version(row, self.home) for row in rows]

    def model_version(self, version_id: str) -> ModelVersion | None:
        row = self._row("SELECT * FROM model_versions WHERE id = ?", [version_id])
        return _model_version(row, self.home) if row else None

    def active_model_version(self) -> ModelVersion | None:
        row = self._row("SELECT * FROM model_versions WHERE active = 1")
        return _model_version(row, self.home) if row else None

    def set_active_model(self, version_id: str) -> ModelVersion:
        """Make this the one active version (the switch is a single transaction)."""
        with self.transaction():
            if self.model_version(version_id) is None:
                raise InputError(f"There is no model version '{version_id}'.")
            self._execute("UPDATE model_versions SET active = 0 WHERE active = 1")
            self._execute("UPDATE model_versions SET active = 1 WHERE id = ?", [version_id])
            return self.model_version(version_id)  # type: ignore[return-value]

    def delete_model_version(self, version_id: str) -> None:
        """Forget an inactive version (its folder is the registry's to remove)."""
        with self.transaction():
            version = self.model_version(version_id)
            if version is None:
                raise InputError(f"There is no model version '{version_id}'.")
            if version.active:
                raise InputError(f"Model version '{version_id}' is in use; activate another one first.")
            self._execute("DELETE FROM model_versions WHERE id = ?", [version_id])

    # -- training runs -----------------------------------------------------------------------
    def start_training_run(self, mode: str, params: dict[str, Any]) -> int:
        values = {"mode": mode, "status": "running", "params": to_json(params, "Training parameters")}
        with self.transaction():
            values["started_at"] = self._now()
            return self._insert("training_runs", values)

    def finish_training_run(
        self, run_id: int, status: str, version_id: str | None = None, error: str | None = None
    ) -> TrainingRun:
        if status not in RUN_OUTCOMES:
            raise InputError(f"A training run ends as one of {', '.join(RUN_OUTCOMES)}, not '{status}'.")
        with self.transaction():
            if self._row("SELECT 1 FROM training_runs WHERE id = ?", [run_id]) is None:
                raise InputError(f"There is no training run with id {run_id}.")
            self._execute(
                "UPDATE training_runs SET status = ?, finished_at = ?, version_id = ?, error = ? WHERE id = ?",
                [status, self._now(), version_id, error, run_id],
            )
            return _training_run(self._row("SELECT * FROM training_runs WHERE id = ?", [run_id]))  # type: ignore[arg-type]

    def run_for_version(self, version_id: str) -> TrainingRun | None:
        """The training run that made this version (None for the starter and imported folders)."""
        row = self._row(
            "SELECT * FROM training_runs WHERE version_id = ? ORDER BY id DESC LIMIT 1", [version_id]
        )
        return _training_run(row) if row else None

    def last_training_run(self, status: str | None = "succeeded") -> TrainingRun | None:
        """The most recently started run with this status (any status when None)."""
        if status is None:
            row = self._row("SELECT * FROM training_runs ORDER BY started_at DESC, id DESC LIMIT 1")
        else:
            row = self._row(
                "SELECT * FROM training_runs WHERE status = ? ORDER BY started_at DESC, id DESC LIMIT 1",
                [status],
            )
        return _training_run(row) if row else None
