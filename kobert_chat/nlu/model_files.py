"""What a model folder must hold, checked without loading anything (no torch: `models activate` and
the registry use it before paying for the model side's imports).

    config.json, model.safetensors, spiece.model, labels.json   required
    tokenizer_config.json, special_tokens_map.json, metrics.json optional

Pickle-based files (*.bin, *.pt, *.pth, *.ckpt, *.pkl) are refused, never opened: unpickling runs code.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import ModelError

WEIGHTS = "model.safetensors"
REQUIRED = ("config.json", WEIGHTS, "spiece.model", "labels.json")
PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl", ".pickle")


def check_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise ModelError(f"model folder not found: {folder}")
    pickles = sorted(p.name for p in folder.iterdir() if p.suffix.lower() in PICKLE_SUFFIXES)
    if pickles and not (folder / WEIGHTS).is_file():
        raise ModelError(
            f"{folder} holds only pickle weights ({', '.join(pickles)}); kobert-chat loads safetensors only "
            "because unpickling can run code. Convert the weights to model.safetensors first."
        )
    missing = [name for name in REQUIRED if not (folder / name).is_file()]
    if missing:
        raise ModelError(f"model folder {folder} is incomplete: missing {', '.join(missing)}")


def read_metrics(folder: Path) -> dict:
    path = Path(folder) / "metrics.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
