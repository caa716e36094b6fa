"""store_meta: small facts about the database itself (the answer links' revision, the bundle's hash)."""

from __future__ import annotations

from .core import StoreCore


class MetaMixin(StoreCore):
    def meta(self, key: str) -> str | None:
        row = self._row("SELECT value FROM store_meta WHERE key = ?", [key])
        return None if row is None else str(row["value"])

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self._execute(
                "INSERT INTO store_meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [key, value],
            )
