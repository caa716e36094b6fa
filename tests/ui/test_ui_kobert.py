"""'KoBERT로 업그레이드': asks first, downloads (from a local stand-in Hub), fine-tunes, then offers Promote."""

from __future__ import annotations

import huggingface_hub.constants
from PySide6.QtWidgets import QMessageBox

from kobert_chat import paths
from kobert_chat.store import Store
from tests.helpers.kobert import HUB_FILES, FakeHub, tiny_kobert
from tests.helpers.ui import WAIT

TRAIN_WAIT = 240_000


def test_upgrade_asks_before_going_online(qtbot, window, monkeypatch):
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    assert window.upgrade_to_kobert() is None  # declined: nothing started, nothing downloaded


def test_upgrade_downloads_trains_and_promotes(qtbot, window, model_home, tmp_path, monkeypatch):
    source = tiny_kobert(tmp_path / "kobert")
    files = {name: (source / name).read_bytes() for name in HUB_FILES}
    monkeypatch.setattr(huggingface_hub.constants, "DOWNLOAD_CHUNK_SIZE", 4096)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.delenv("KOBERT_DIR", raising=False)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    with FakeHub(files) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)  # the child process inherits the environment
        dialog = window.upgrade_to_kobert(extra_args=("--epochs", "1"))
        dialog.start("quick")
        qtbot.waitUntil(lambda: dialog.outcome is not None, timeout=TRAIN_WAIT)
    assert dialog.outcome == "done", dialog.process.stderr
    kinds = [e.kind for e in dialog.process.events]
    assert "download" in kinds and kinds[-1] == "done"
    new = dialog.new_version()
    dialog.promote_button.click()
    qtbot.waitUntil(lambda: window.engine.model_version == new, timeout=WAIT)
    with Store.open(paths.database_path(model_home)) as store:
        assert store.active_model_version().backbone == "kobert"
