"""Each text's n-grams, remembered on disk across retrains (encoder_memo.py does this for the encoder).

Cutting a text into n-grams and hashing them is pure Python: about 0.45 ms a text for the TF-IDF
expert's analyzer (tfidf.gram_counts) and 0.35 ms for the n-gram bag (ngrams.ngram_features), so
over ten seconds of a quick retrain over the ~16k bundled lines: more than its expert fit. Both
depend only on the text and on the analyzer (or the bag's bucket count), never on a model's weights,
so they are computed once per text and kept in `<home>/cache/text-grams/`:

    tfidf-<analyzer>.safetensors   text keys, then each text's distinct crc32 keys and their counts
    bag-<buckets>.safetensors      text keys, then each text's bucket ids and weights

Texts are keyed by a blake2b digest (encoder_memo.text_key), never stored. `load` hands the arrays
to tfidf.py and ngrams.py, which look a text up there before computing it. A damaged, foreign or
misshapen file is ignored (the n-grams are computed again), never unpickled; files are written
atomically and a refused write loses nothing but time.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from .. import atomic
from . import ngrams, remembered, tfidf
from .remembered import text_key

_KEY_BYTES = 16
MAX_TEXTS = 200_000  # a bound on what one file keeps (bundled lines + years of chat fit well inside)


@dataclass(frozen=True)
class _Kind:
    """One kind of remembered n-grams: how its two arrays are stored and computed."""

    name: str  # "tfidf" | "bag": the file's prefix and remembered.py's kind
    first: str  # the two arrays' names in the file
    second: str
    compute: Callable[[str, str], tuple[np.ndarray, np.ndarray]]
    to_disk: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    from_disk: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]
    valid: Callable[[np.ndarray, np.ndarray, str], bool]


TFIDF = _Kind(
    "tfidf",
    "keys",
    "counts",
    lambda text, analyzer: tfidf.gram_counts(text, analyzer),
    # crc32 keys are unsigned 32-bit: kept bit for bit as int32; a count never nears 2**15 (512 chars)
    lambda k, c: (k.astype(np.uint32).view(np.int32), np.minimum(c, 2**15 - 1).astype(np.int16)),
    lambda k, c: (k.view(np.uint32).astype(np.int64), c.astype(np.int32)),
    lambda k, c, _: k.dtype == np.int32 and c.dtype == np.int16 and bool(np.all(c > 0)),
)
BAG = _Kind(
    "bag",
    "ids",
    "weights",
    lambda text, buckets: ngrams.ngram_features(text, int(buckets)),
    lambda i, w: (i.astype(np.int32), w.astype(np.float32)),
    lambda i, w: (i.astype(np.int64), w),
    lambda i, w, buckets: (
        i.dtype == np.int32
        and w.dtype == np.float32
        and bool(np.all((i >= 0) & (i < int(buckets))))
        and bool(np.isfinite(w).all())
    ),
)


def file_for(folder: Path, kind: _Kind, param: str) -> Path:
    return Path(folder) / f"{kind.name}-{re.sub(r'[^A-Za-z0-9_+-]', '_', param)}.safetensors"


def load(folder: Path, analyzer: str | None, buckets: int | None) -> int:
    """Read what is remembered for this analyzer and bucket count into remembered.py, where tfidf.py
    and ngrams.py look first. Returns how many texts' n-grams were read (0: nothing usable there)."""
    read = 0
    for kind, param in _wanted(analyzer, buckets):
        rows = _read(file_for(folder, kind, param), kind, param)
        remembered.remember(kind.name, param, rows)
        read += len(rows)
    return read


def save(folder: Path, analyzer: str | None, buckets: int | None, texts: Sequence[str]) -> bool:
    """Write the n-grams of `texts` (computed now where not known) for this analyzer and bucket count,
    keeping what the files held for other texts (the newest MAX_TEXTS). False when the disk refuses."""
    unique = list(dict.fromkeys(texts))
    try:
        for kind, param in _wanted(analyzer, buckets):
            path = file_for(folder, kind, param)
            rows = _read(path, kind, param)
            for text in unique:
                key = text_key(text)
                rows.pop(key, None)  # re-inserted last: the newest are kept when the file is full
                rows[key] = kind.compute(text, param)
            _write(path, kind, rows)
    except OSError:
        return False
    return True


def _wanted(analyzer: str | None, buckets: int | None) -> list[tuple[_Kind, str]]:
    return ([(TFIDF, analyzer)] if analyzer else []) + ([(BAG, str(buckets))] if buckets else [])


# -- the file format: text keys (N, 16), offsets (N + 1), then the two arrays, all rows concatenated --


def _write(path: Path, kind: _Kind, rows: dict) -> None:
    from safetensors.torch import save

    items = list(rows.items())[-MAX_TEXTS:]
    pairs = [kind.to_disk(np.asarray(a), np.asarray(b)) for _, (a, b) in items]
    offsets = np.zeros(len(items) + 1, dtype=np.int64)
    np.cumsum([len(a) for a, _ in pairs], out=offsets[1:])
    first = np.concatenate([a for a, _ in pairs]) if pairs else kind.to_disk(np.zeros(0), np.zeros(0))[0]
    second = np.concatenate([b for _, b in pairs]) if pairs else kind.to_disk(np.zeros(0), np.zeros(0))[1]
    keys = np.frombuffer(b"".join(k for k, _ in items), dtype=np.uint8).reshape(len(items), _KEY_BYTES)
    data = {
        "texts": torch.from_numpy(keys.copy()),
        "offsets": torch.from_numpy(offsets),
        kind.first: torch.from_numpy(first),
        kind.second: torch.from_numpy(second),
    }
    atomic.write_bytes(path, save(data))


def _read(path: Path, kind: _Kind, param: str) -> dict:
    """text key -> the two arrays as kind.compute returns them; {} when the file is missing, damaged
    or not ours."""
    if not path.is_file():
        return {}
    from safetensors.numpy import load

    try:
        data = load(path.read_bytes())
        keys, offsets, a, b = data["texts"], data["offsets"], data[kind.first], data[kind.second]
        ok = (
            keys.dtype == np.uint8
            and keys.ndim == 2
            and keys.shape[1] == _KEY_BYTES
            and offsets.dtype == np.int64
            and offsets.shape == (keys.shape[0] + 1,)
            and offsets[0] == 0
            and bool(np.all(np.diff(offsets) >= 0))
            and offsets[-1] == len(a) == len(b)
            and kind.valid(a, b, param)
        )
    except Exception:  # noqa: BLE001 - a damaged or foreign file: the n-grams are computed again
        return {}
    if not ok:
        return {}
    a, b = kind.from_disk(a, b)
    a.flags.writeable = b.flags.writeable = False  # shared with the caches: nobody may change them
    raw = keys.tobytes()
    rows = {
        raw[i * _KEY_BYTES : (i + 1) * _KEY_BYTES]: (
            a[offsets[i] : offsets[i + 1]],
            b[offsets[i] : offsets[i + 1]],
        )
        for i in range(keys.shape[0])
    }
    with contextlib.suppress(OSError):
        path.touch()
    return rows
