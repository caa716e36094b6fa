"""The real KoBERT backbone (skt/kobert-base-v1): find it, download it only on request, build our classifier on it.

Where a KoBERT folder comes from, in this order:
    1. a local folder the user gave (`--backbone PATH`, or the KOBERT_DIR environment variable)
    2. the Hugging Face cache, read from disk only (never a request)
    3. a download, only when asked (`train --backbone kobert --download`, the app's download button)
This module is the only place in kobert-chat that may open a network connection, and only in step 3.

Download: only the files we use, one by one, each into a partial file that survives an interrupted
transfer or a killed process; the next attempt continues with an HTTP Range request. Finished files
are placed in the standard cache layout (blobs/, snapshots/<commit>/, refs/main), so step 2 finds them
and other Hugging Face tools can share them.

Weights come from `model.safetensors` only. skt/kobert-base-v1 may ship only `pytorch_model.bin`, a
pickle; unpickling can run code, so we never open it and say how to convert it instead.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

from ..errors import ModelError

KOBERT_REPO = "skt/kobert-base-v1"
KOBERT_DIR_ENV = "KOBERT_DIR"
WEIGHTS = "model.safetensors"
PICKLE_WEIGHTS = "pytorch_model.bin"
REQUIRED = ("config.json", "spiece.model", WEIGHTS)
OPTIONAL = ("tokenizer_config.json", "special_tokens_map.json")
WANTED = (
    REQUIRED[:2] + OPTIONAL + (WEIGHTS,)
)  # small files first: a missing weights file is found out cheaply
HOW_TO_GET = (
    "run `python main.py train --backbone kobert --download` once (or use the app's KoBERT download "
    "button), or pass --backbone PATH to a folder with config.json, spiece.model and model.safetensors"
)
# transformers >= 4.35 saves model.safetensors by default (5.x always does).
CONVERT_HINT = (
    "Convert it once in a separate Python environment that has torch and transformers: "
    "`python -c \"from transformers import BertModel; BertModel.from_pretrained('FOLDER').save_pretrained('FOLDER')\"`"
    ", then pass that folder with --backbone FOLDER (or set KOBERT_DIR=FOLDER)."
)
# (file name, bytes done, total bytes or None when the server does not say)
DownloadProgress = Callable[[str, int, "int | None"], None]


def resolve_kobert(
    local: Path | None = None,
    *,
    download: bool = False,
    progress: DownloadProgress | None = None,
    endpoint: str | None = None,
    cache_dir: Path | None = None,
    revision: str = "main",
) -> Path:
    """A folder holding KoBERT's config.json, spiece.model and model.safetensors; see the module docstring."""
    if local is None and os.environ.get(KOBERT_DIR_ENV):
        local = Path(os.environ[KOBERT_DIR_ENV])
    if local is not None:
        folder = Path(local).expanduser()
        check_kobert_folder(folder)
        return folder
    cached = cached_kobert(cache_dir, revision)
    if cached is not None:
        try:
            check_kobert_folder(cached)  # a cache holding only pytorch_model.bin gets the conversion advice
            return cached
        except ModelError:
            if not download:
                raise
    if not download:
        raise ModelError(f"KoBERT ({KOBERT_REPO}) is not on this machine: {HOW_TO_GET}.")
    return download_kobert(progress=progress, endpoint=endpoint, cache_dir=cache_dir, revision=revision)


def check_kobert_folder(folder: Path) -> None:
    folder = Path(folder)
    if not folder.is_dir():
        raise ModelError(f"KoBERT folder not found: {folder}")
    if not (folder / WEIGHTS).is_file() and (folder / PICKLE_WEIGHTS).is_file():
        raise ModelError(
            f"{folder} has KoBERT's weights only as {PICKLE_WEIGHTS}, a pickle file; kobert-chat never opens "
            f"pickles because unpickling can run code, and needs {WEIGHTS}. {CONVERT_HINT}"
        )
    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    if missing:
        raise ModelError(f"KoBERT folder {folder} is incomplete: missing {', '.join(missing)}")


def is_pretrained_folder(folder: Path) -> bool:
    """A plain BERT/KoBERT folder (config.json, no labels.json) rather than one of our model versions."""
    folder = Path(folder)
    return (folder / "config.json").is_file() and not (folder / "labels.json").is_file()


def cached_kobert(cache_dir: Path | None = None, revision: str = "main") -> Path | None:
    """The cached snapshot folder of KOBERT_REPO, or None. Reads the disk only (local_files_only)."""
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(KOBERT_REPO, "config.json", cache_dir=_str(cache_dir), revision=revision)
    return Path(found).parent if isinstance(found, str) else None


# -- download (only on an explicit request) ------------------------------------------------------------


def download_kobert(
    *,
    progress: DownloadProgress | None = None,
    endpoint: str | None = None,
    cache_dir: Path | None = None,
    revision: str = "main",
) -> Path:
    """Fetch the files we use into the Hugging Face cache; resumes partial files. Returns the snapshot folder."""
    from huggingface_hub import constants, get_hf_file_metadata, hf_hub_url
    from huggingface_hub.errors import EntryNotFoundError, HfHubHTTPError, RepositoryNotFoundError
    from huggingface_hub.file_download import repo_folder_name

    report = progress or (lambda name, done, total: None)
    hub = endpoint or constants.ENDPOINT
    storage = Path(cache_dir or constants.HF_HUB_CACHE) / repo_folder_name(
        repo_id=KOBERT_REPO, repo_type="model"
    )
    commit = None
    snapshot = None
    for name in WANTED:
        # Pin every file to the commit the first one came from, so a push mid-download cannot mix versions.
        url = hf_hub_url(KOBERT_REPO, name, revision=commit or revision, endpoint=endpoint)
        try:
            meta = get_hf_file_metadata(url, endpoint=endpoint)
        except EntryNotFoundError:
            if name in OPTIONAL:
                continue
            if name == WEIGHTS and _exists_on_hub(PICKLE_WEIGHTS, commit or revision, endpoint):
                raise ModelError(
                    f"{KOBERT_REPO} provides its weights only as {PICKLE_WEIGHTS}, a pickle file, which kobert-chat "
                    f"never downloads or opens because unpickling can run code. The other files are in {snapshot}. "
                    f"{CONVERT_HINT}"
                ) from None
            raise ModelError(f"{KOBERT_REPO} at {hub} has no {name}; it does not look like KoBERT") from None
        except RepositoryNotFoundError as e:
            raise ModelError(f"{KOBERT_REPO} was not found at {hub} ({_first_line(e)})") from e
        except HfHubHTTPError as e:
            raise ModelError(f"{hub} refused the KoBERT download ({_first_line(e)}); try again later") from e
        except Exception as e:  # noqa: BLE001 - offline, DNS, proxy, TLS, HF_HUB_OFFLINE: all mean "not reachable"
            raise ModelError(
                f"could not reach {hub} to download {KOBERT_REPO} ({_first_line(e)}). Connect to the internet "
                f"and try again, or copy a KoBERT folder to this machine and pass --backbone PATH"
            ) from e
        if not meta.commit_hash or not meta.etag:
            raise ModelError(
                f"{hub} answered without a commit or ETag for {name}; is it a Hugging Face Hub endpoint?"
            )
        commit = commit or meta.commit_hash
        blob = storage / "blobs" / meta.etag
        if not (blob.is_file() and (meta.size is None or blob.stat().st_size == meta.size)):
            _transfer(name, meta, url, storage / ".partial" / meta.etag, blob, report)
        snapshot = _link(storage, commit, name, blob)
    _write_ref(storage, revision, commit)
    assert snapshot is not None  # FILES is never empty
    return snapshot


def _transfer(name: str, meta, url: str, part: Path, blob: Path, report: DownloadProgress) -> None:
    """Bytes into `part` (continuing whatever is there), checked, then renamed to `blob`."""
    from huggingface_hub.file_download import http_get
    from huggingface_hub.utils import build_hf_headers

    part.parent.mkdir(parents=True, exist_ok=True)
    blob.parent.mkdir(parents=True, exist_ok=True)
    done = part.stat().st_size if part.is_file() else 0
    if meta.size is not None and done > meta.size:  # not ours to continue: start over
        part.unlink()
        done = 0
    headers = build_hf_headers()
    if _host(meta.location) != _host(url):  # a CDN redirect: credentials stay with the Hub
        headers.pop("authorization", None)
    report(name, done, meta.size)
    try:
        with part.open("ab") as f:
            http_get(
                meta.location,
                f,
                resume_size=done,
                headers=headers,
                expected_size=meta.size,
                displayed_filename=name,
                tqdm_class=_progress_bar(name, report),
            )
    except Exception as e:  # noqa: BLE001 - any transport failure: keep the partial file for the next attempt
        have = part.stat().st_size if part.is_file() else 0
        amount = (
            f"{have / 1e6:.1f} of {meta.size / 1e6:.1f} MB ({have / meta.size:.0%})"
            if meta.size
            else f"{have} bytes"
        )
        raise ModelError(
            f"the download of {name} stopped at {amount} ({_first_line(e)}); run the same command again to "
            "continue where it stopped"
        ) from e
    if _is_sha256(meta.etag) and _sha256(part) != meta.etag:  # LFS files are named by their sha256
        part.unlink()
        raise ModelError(f"the downloaded {name} is damaged (checksum mismatch) and was removed; run again")
    os.replace(part, blob)


def _progress_bar(name: str, report: DownloadProgress) -> type:
    """Stands in for tqdm inside huggingface_hub's http_get: forwards byte counts to our callback."""

    class ByteProgress:
        def __init__(self, *, total: int | None = None, initial: int = 0, **_ignored):
            self.n, self.total = initial, total

        def update(self, n: int) -> None:
            self.n += n
            report(name, self.n, self.total)

        def close(self) -> None:
            pass

        def __enter__(self) -> ByteProgress:
            return self

        def __exit__(self, *exc) -> None:
            pass

    return ByteProgress


def _link(storage: Path, commit: str, name: str, blob: Path) -> Path:
    """snapshots/<commit>/<name> -> ../../blobs/<etag>, the cache layout huggingface_hub reads."""
    snapshot = storage / "snapshots" / commit
    pointer = snapshot / name
    pointer.parent.mkdir(parents=True, exist_ok=True)
    pointer.unlink(missing_ok=True)
    try:
        pointer.symlink_to(os.path.relpath(blob, pointer.parent))
    except OSError:  # e.g. Windows without developer mode; huggingface_hub falls back to a copy too
        shutil.copyfile(blob, pointer)
    return snapshot


def _write_ref(storage: Path, revision: str, commit: str | None) -> None:
    if commit is None or revision == commit:
        return
    from ..atomic import write_text

    (storage / "refs").mkdir(parents=True, exist_ok=True)
    write_text(storage / "refs" / revision, commit)


def _exists_on_hub(name: str, revision: str, endpoint: str | None) -> bool:
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    try:
        get_hf_file_metadata(
            hf_hub_url(KOBERT_REPO, name, revision=revision, endpoint=endpoint), endpoint=endpoint
        )
    except Exception:  # noqa: BLE001 - only a yes/no for a better error message
        return False
    return True


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _is_sha256(etag: str) -> bool:
    return re.fullmatch(r"[0-9a-f]{64}", etag) is not None


def _host(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).netloc


def _first_line(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    return text.splitlines()[0][:200]


def _str(path: Path | None) -> str | None:
    return str(path) if path is not None else None


# -- building our classifier on KoBERT -------------------------------------------------------------------


def kobert_classifier(folder: Path, heads: dict[str, list[str]]):
    """-> (KoBertClassifier, KoBertTokenizer): KoBERT's encoder weights, fresh heads, n-gram channel off,
    TF-IDF expert on (training refits it and chooses its weight on validation, so where KoBERT alone is
    better the weight goes to 0; it costs seconds per retrain and a few MB).

    The encoder follows the folder's config.json; its weights are copied key by key from model.safetensors
    (names and shapes checked, pooler and pretraining heads ignored). The tokenizer reads spiece.model
    directly, never through AutoTokenizer (see tokenizer.py).
    """
    from safetensors import SafetensorError
    from safetensors.torch import load_file
    from transformers import BertConfig

    from .model import HeadsConfig, KoBertClassifier
    from .model_io import load_encoder_weights
    from .tokenizer import DEFAULT_MAX_LENGTH, KoBertTokenizer

    folder = Path(folder)
    check_kobert_folder(folder)
    try:
        raw = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelError(f"{folder}/config.json is unreadable: {e}") from e
    if raw.get("model_type", "bert") != "bert":
        raise ModelError(
            f"{folder} holds a {raw.get('model_type')!r} model; the kobert backbone needs a BERT"
        )
    config = BertConfig(**{k: v for k, v in raw.items() if k not in ("architectures", "kobert_chat")})
    # KoBERT's tokenizer_config allows 512+ tokens; chat lines are short and training uses 64.
    tokenizer = KoBertTokenizer.load(folder, max_length=DEFAULT_MAX_LENGTH)
    if tokenizer.vocab_size > config.vocab_size:
        raise ModelError(
            f"{folder}: spiece.model has {tokenizer.vocab_size} pieces but the encoder only "
            f"{config.vocab_size}"
        )
    model = KoBertClassifier(
        config, HeadsConfig(heads={h: list(v) for h, v in heads.items()}, ngram_buckets=0, tfidf=True)
    )
    try:
        tensors = load_file(str(folder / WEIGHTS))
    except (SafetensorError, OSError, ValueError) as e:
        raise ModelError(
            f"{folder}/{WEIGHTS} is damaged or truncated ({e}); download or copy it again"
        ) from e
    load_encoder_weights(model, tensors)
    return model.eval(), tokenizer
