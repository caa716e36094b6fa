"""Test doubles for the real KoBERT backbone, with no internet: a tiny BERT laid out like skt/kobert-base-v1,
a Hugging Face cache built by hand, a local stand-in for the Hub's HTTP interface, and a socket guard."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from kobert_chat.nlu.kobert import KOBERT_REPO

HUB_FILES = (
    "config.json",
    "model.safetensors",
    "spiece.model",
    "tokenizer_config.json",
    "special_tokens_map.json",
)
PUBLISHED_EXAMPLE = "한국어 모델을 공유합니다."

# The shape of KoBERT's own tokenizer_config.json: it names XLNetTokenizer, whose defaults are wrong for KoBERT.
KOBERT_TOKENIZER_CONFIG = {
    "tokenizer_class": "XLNetTokenizer",
    "do_lower_case": False,
    "remove_space": True,
    "keep_accents": False,
    "bos_token": "[CLS]",
    "eos_token": "[SEP]",
    "unk_token": "[UNK]",
    "sep_token": "[SEP]",
    "pad_token": "[PAD]",
    "cls_token": "[CLS]",
    "mask_token": "[MASK]",
    "model_max_length": 1000000000000000019884624838656,
}
_BUILT: dict[str, Path] = {}


def tiny_kobert(base: Path) -> Path:
    """A folder like skt/kobert-base-v1 (BertModel config.json + model.safetensors, spiece.model with KoBERT's
    special ids, XLNet-style tokenizer_config) holding a tiny random BERT. Built once per base folder."""
    key = str(base)
    if key in _BUILT:
        return _BUILT[key]
    import torch
    from transformers import BertConfig, BertModel

    from kobert_chat.nlu.tokenizer import train_sentencepiece
    from tests.helpers import sample_examples

    folder = base / "tiny-kobert"
    folder.mkdir(parents=True)
    texts = [ex.text for ex in sample_examples(400, seed=1)] + [PUBLISHED_EXAMPLE] * 3
    spm = train_sentencepiece(texts, base / "spiece", vocab_size=400)
    shutil.copyfile(spm, folder / "spiece.model")
    import sentencepiece

    vocab = sentencepiece.SentencePieceProcessor(model_file=str(spm)).get_piece_size()
    config = BertConfig(
        vocab_size=vocab,
        hidden_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=128,
        type_vocab_size=2,
        pad_token_id=1,
    )
    torch.manual_seed(0)
    BertModel(config).save_pretrained(
        folder
    )  # config.json + model.safetensors, keys without "bert.", with pooler
    (folder / "tokenizer_config.json").write_text(json.dumps(KOBERT_TOKENIZER_CONFIG), encoding="utf-8")
    special = {k: v for k, v in KOBERT_TOKENIZER_CONFIG.items() if k.endswith("_token")}
    (folder / "special_tokens_map.json").write_text(json.dumps(special), encoding="utf-8")
    assert sorted(p.name for p in folder.iterdir()) == sorted(HUB_FILES)
    _BUILT[key] = folder
    return folder


def build_hf_cache(cache_dir: Path, source: Path, files=HUB_FILES, commit: str = "4c6a2b9e" * 5) -> Path:
    """The layout huggingface_hub writes: models--skt--kobert-base-v1/{blobs/<hash>, snapshots/<commit>/<file>
    -> ../../blobs/<hash>, refs/main = <commit>}. Returns the snapshot folder."""
    storage = cache_dir / ("models--" + KOBERT_REPO.replace("/", "--"))
    snapshot = storage / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (storage / "blobs").mkdir(exist_ok=True)
    for name in files:
        data = (source / name).read_bytes()
        blob = storage / "blobs" / hashlib.sha256(data).hexdigest()
        blob.write_bytes(data)
        (snapshot / name).symlink_to(os.path.relpath(blob, snapshot))
    (storage / "refs").mkdir()
    (storage / "refs" / "main").write_text(commit)
    return snapshot


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """One torch thread while a test runs: on a small, shared machine two spinning OpenMP threads per process
    make tiny models 10-30x slower (measured: 40 s vs 1.3 s for one quick training)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


# -- no network ------------------------------------------------------------------------------------------


@contextmanager
def no_network(monkeypatch) -> Iterator[list[str]]:
    """Any attempt to open a network connection raises (and is recorded). Unix sockets stay allowed."""
    attempts: list[str] = []
    real_connect = socket.socket.connect

    def connect(self, address):
        if self.family in (socket.AF_INET, socket.AF_INET6):
            attempts.append(f"connect {address}")
            raise OSError(f"test forbids network connections (tried {address})")
        return real_connect(self, address)

    def create_connection(address, *args, **kwargs):
        attempts.append(f"create_connection {address}")
        raise OSError(f"test forbids network connections (tried {address})")

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", lambda self, address: connect(self, address))
    monkeypatch.setattr(socket, "create_connection", create_connection)
    yield attempts


# -- a local stand-in for the Hub ------------------------------------------------------------------------


@dataclass
class HubState:
    files: dict[str, bytes]
    commit: str = "9f1e2d3c" * 5
    lfs: tuple[str, ...] = ("model.safetensors", "pytorch_model.bin")
    requests: list[tuple[str, str, str | None]] = field(default_factory=list)  # (method, path, Range header)
    cut_after: dict[str, int] = field(
        default_factory=dict
    )  # file -> bytes sent before the connection drops (once)
    down_after_cut: bool = False  # after a drop, answer 503 to everything (an outage) until `down` is reset
    down: bool = False
    cdn: str = ""


class FakeHub:
    """huggingface.co's download interface on 127.0.0.1: HEAD/GET /{repo}/resolve/{revision}/{file}. Small files
    answer directly (ETag, X-Repo-Commit); LFS files redirect to a second "CDN" server with X-Linked-Etag =
    sha256 and X-Linked-Size, as the real Hub does. The CDN honours Range requests."""

    def __init__(self, files: dict[str, bytes], **state):
        self.state = HubState(dict(files), **state)
        self._servers = [ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.state)) for _ in range(2)]
        self.state.cdn = f"http://127.0.0.1:{self._servers[1].server_address[1]}"

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._servers[0].server_address[1]}"

    def gets(self, name: str) -> list[str | None]:
        """Range headers of the GETs that fetched `name` (None: from the start)."""
        sha = hashlib.sha256(self.state.files[name]).hexdigest() if name in self.state.files else "-"
        return [
            rng
            for method, path, rng in self.state.requests
            if method == "GET" and (path.endswith("/" + name) or path.endswith("/" + sha))
        ]

    def __enter__(self) -> FakeHub:
        for server in self._servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()


def _handler(state: HubState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # quiet
            pass

        def do_HEAD(self) -> None:
            self._serve(body=False)

        def do_GET(self) -> None:
            self._serve(body=True)

        def _serve(self, body: bool) -> None:
            state.requests.append((self.command, self.path, self.headers.get("Range")))
            if state.down:
                return self._reply(503, {"X-Error-Message": "temporarily unavailable"})
            parts = self.path.split("/")
            if parts[1] == "cdn":
                return self._serve_blob(parts[2], body)
            repo, rest = "/".join(parts[1:3]), parts[3:]
            if repo != KOBERT_REPO or len(rest) < 3 or rest[0] != "resolve":
                return self._reply(404, {"X-Error-Code": "RepoNotFound"})
            revision, name = rest[1], "/".join(rest[2:])
            if revision not in ("main", state.commit):
                return self._reply(404, {"X-Error-Code": "RevisionNotFound"})
            if name not in state.files:
                return self._reply(404, {"X-Error-Code": "EntryNotFound", "X-Repo-Commit": state.commit})
            data = state.files[name]
            if name in state.lfs:
                sha = hashlib.sha256(data).hexdigest()
                return self._reply(
                    302,
                    {
                        "Location": f"{state.cdn}/cdn/{sha}",
                        "X-Repo-Commit": state.commit,
                        "X-Linked-Etag": f'"{sha}"',
                        "X-Linked-Size": str(len(data)),
                        "ETag": '"redirect"',
                    },
                )
            headers = {"ETag": f'"{hashlib.sha1(data).hexdigest()}"', "X-Repo-Commit": state.commit}
            self._send(data, headers, body)

        def _serve_blob(self, sha: str, body: bool) -> None:
            name = next((n for n, d in state.files.items() if hashlib.sha256(d).hexdigest() == sha), None)
            if name is None:
                return self._reply(404, {})
            self._send(state.files[name], {}, body, name)

        def _send(self, data: bytes, headers: dict, body: bool, name: str = "") -> None:
            start, status = 0, 200
            rng = self.headers.get("Range")
            if rng:
                start = int(rng.removeprefix("bytes=").split("-")[0])
                status = 206
                headers["Content-Range"] = f"bytes {start}-{len(data) - 1}/{len(data)}"
            chunk = data[start:]
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(chunk)))
            self.end_headers()
            if not body:
                return
            cut = state.cut_after.pop(name, None) if name else None
            if cut is not None:  # the connection drops mid-transfer
                self.wfile.write(chunk[:cut])
                self.wfile.flush()
                state.down = state.down_after_cut
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(chunk)

        def _reply(self, status: int, headers: dict) -> None:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", "0")
            self.end_headers()

    return Handler
