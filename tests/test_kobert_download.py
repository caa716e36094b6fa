"""Downloading KoBERT on request, against a local stand-in for the Hub (127.0.0.1, the Hub's URL layout and
headers): only the files we use, progress per file, resume after a dropped connection or an aborted attempt,
clear errors offline or when the Hub only has pickle weights, and the CLI's --download flag."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import huggingface_hub.constants
import pytest

from kobert_chat.errors import ModelError
from kobert_chat.nlu.kobert import KOBERT_REPO, resolve_kobert
from tests.helpers.cli import run
from tests.helpers.kobert import HUB_FILES, FakeHub, no_network, tiny_kobert


@pytest.fixture(scope="module")
def hub_files(tmp_path_factory) -> dict[str, bytes]:
    source = tiny_kobert(tmp_path_factory.mktemp("kobert"))
    files = {name: (source / name).read_bytes() for name in HUB_FILES}
    # What the real repo also holds and we must never fetch: a pickle and a README.
    return files | {"pytorch_model.bin": b"\x80\x04not-for-us", "README.md": b"# KoBERT\n"}


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    """huggingface_hub writes in 10 MB chunks; the tiny test model is 0.15 MB, so use 4 KB to see partial files."""
    monkeypatch.setattr(huggingface_hub.constants, "DOWNLOAD_CHUNK_SIZE", 4096)
    monkeypatch.delenv("KOBERT_DIR", raising=False)


def test_download_fetches_only_what_we_use_with_progress_into_the_standard_cache(
    hub_files, tmp_path, monkeypatch
):
    cache, events = tmp_path / "cache", []
    with FakeHub(hub_files) as hub:
        folder = resolve_kobert(
            download=True, endpoint=hub.endpoint, cache_dir=cache, progress=lambda *e: events.append(e)
        )
    assert sorted(p.name for p in folder.iterdir()) == sorted(HUB_FILES)
    assert all((folder / name).read_bytes() == hub_files[name] for name in HUB_FILES)
    fetched = {path.rsplit("/", 1)[-1] for method, path, _ in hub.state.requests}
    assert not {"pytorch_model.bin", "README.md"} & fetched
    size = len(hub_files["model.safetensors"])
    weights = [(done, total) for name, done, total in events if name == "model.safetensors"]
    assert weights[0] == (0, size) and weights[-1] == (size, size)
    assert [d for d, _ in weights] == sorted(d for d, _ in weights)  # bytes only go up
    assert {name for name, _, _ in events} == set(HUB_FILES)

    # Afterwards: found in the cache with no network, by us and by huggingface_hub itself.
    from huggingface_hub import snapshot_download

    with no_network(monkeypatch) as attempts:
        assert resolve_kobert(cache_dir=cache) == folder
        assert Path(snapshot_download(KOBERT_REPO, cache_dir=cache, local_files_only=True)) == folder
    assert attempts == []


def test_a_dropped_connection_resumes_from_where_it_stopped(hub_files, tmp_path):
    size = len(hub_files["model.safetensors"])
    with FakeHub(hub_files, cut_after={"model.safetensors": size // 3}) as hub:
        folder = resolve_kobert(download=True, endpoint=hub.endpoint, cache_dir=tmp_path / "cache")
    ranges = hub.gets("model.safetensors")
    assert ranges[0] is None and len(ranges) == 2 and ranges[1].startswith("bytes=")
    assert 0 < int(ranges[1].removeprefix("bytes=").rstrip("-")) <= size // 3  # not from the start
    assert (folder / "model.safetensors").read_bytes() == hub_files["model.safetensors"]


def test_an_aborted_download_continues_on_the_next_attempt(hub_files, tmp_path):
    cache, size = tmp_path / "cache", len(hub_files["model.safetensors"])
    with FakeHub(hub_files, cut_after={"model.safetensors": size // 2}, down_after_cut=True) as hub:
        with pytest.raises(ModelError, match="run the same command again to continue") as err:
            resolve_kobert(download=True, endpoint=hub.endpoint, cache_dir=cache)
        assert "model.safetensors" in str(err.value)
        partial = next((cache / f"models--{KOBERT_REPO.replace('/', '--')}" / ".partial").iterdir())
        kept = partial.stat().st_size
        assert 0 < kept <= size // 2
        with pytest.raises(ModelError):  # not in the cache yet: the broken attempt did not register anything
            resolve_kobert(cache_dir=cache)

        hub.state.down = False  # the connection is back; the user runs the same command again
        events = []
        folder = resolve_kobert(
            download=True, endpoint=hub.endpoint, cache_dir=cache, progress=lambda *e: events.append(e)
        )
    assert hub.gets("model.safetensors")[-1] == f"bytes={kept}-"
    assert [(d, t) for n, d, t in events if n == "model.safetensors"][0] == (
        kept,
        size,
    )  # progress starts there
    data = (folder / "model.safetensors").read_bytes()
    assert hashlib.sha256(data).hexdigest() == hashlib.sha256(hub_files["model.safetensors"]).hexdigest()
    assert not partial.exists()


def test_a_cache_with_only_pickle_weights_is_completed_by_a_download(hub_files, tmp_path):
    from tests.helpers.kobert import build_hf_cache

    old = tmp_path / "old"
    old.mkdir()
    for name, data in hub_files.items():
        if name != "model.safetensors":
            (old / name).write_bytes(data)
    cache = tmp_path / "cache"
    build_hf_cache(cache, old, files=[p.name for p in old.iterdir()])  # e.g. left by an earlier transformers
    with pytest.raises(ModelError, match="pytorch_model.bin"):
        resolve_kobert(cache_dir=cache)
    with FakeHub(hub_files) as hub:
        folder = resolve_kobert(download=True, endpoint=hub.endpoint, cache_dir=cache)
    assert (folder / "model.safetensors").read_bytes() == hub_files["model.safetensors"]
    assert resolve_kobert(cache_dir=cache) == folder


def test_offline_download_is_one_clear_error(tmp_path):
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    with pytest.raises(ModelError, match="could not reach") as err:
        resolve_kobert(download=True, endpoint=closed, cache_dir=tmp_path / "cache")
    assert "--backbone PATH" in str(err.value)
    assert not (tmp_path / "cache" / f"models--{KOBERT_REPO.replace('/', '--')}" / "snapshots").exists()


def test_a_hub_with_only_pickle_weights_gets_conversion_advice_and_no_pickle_download(hub_files, tmp_path):
    files = {k: v for k, v in hub_files.items() if k != "model.safetensors"}
    with FakeHub(files) as hub:
        with pytest.raises(ModelError, match="only as pytorch_model.bin") as err:
            resolve_kobert(download=True, endpoint=hub.endpoint, cache_dir=tmp_path / "cache")
    assert "save_pretrained" in str(err.value)
    assert hub.gets("pytorch_model.bin") == []


def test_cli_train_with_download_fetches_kobert_reports_progress_and_registers_it(
    hub_files, home, tmp_path, monkeypatch
):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    with FakeHub(hub_files) as hub:
        monkeypatch.setenv("HF_ENDPOINT", hub.endpoint)
        result = run(
            home,
            "train",
            "--backbone",
            "kobert",
            "--download",
            "--mode",
            "quick",
            "--epochs",
            "1",
            "--progress",
            "jsonl",
        )
    assert result.code == 0, result
    events = result.events()
    size = len(hub_files["model.safetensors"])
    downloads = [e for e in events if e["event"] == "download" and e["file"] == "model.safetensors"]
    assert downloads[-1]["done"] == downloads[-1]["total"] == size
    done = events[-1]
    assert done["event"] == "done" and done["version"]
    listing = run(home, "models", "list")
    assert done["version"] in listing.out and "kobert" in listing.out
