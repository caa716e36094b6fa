"""Model folders in the Hugging Face layout, loaded from safetensors only.

    config.json          BertConfig (+ "kobert_chat": heads, n-gram channel)
    model.safetensors    encoder as "bert.*" (so BertModel.from_pretrained can read it), heads, n-grams
    spiece.model, tokenizer_config.json, special_tokens_map.json
    labels.json          {head: [label ids]}
    metrics.json         evaluation results when the version was made

Pickle-based files (*.bin, *.pt, *.pth, *.ckpt, *.pkl) are refused, never opened: unpickling runs code.

Loading trusts nothing in the folder: config.json and labels.json are checked field by field, the
model is first built on torch's "meta" device (no memory) and its names and shapes compared with the
weights file's header, so a forged config cannot make us allocate more than the file holds, and the
loaded weights must be finite. Any failure is a ModelError saying what is wrong: the caller falls back
to another version instead of crashing.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save_file
from transformers import BertConfig
from transformers.activations import ACT2FN

from ..errors import ModelError
from .model import HeadsConfig, KoBertClassifier
from .model_files import WEIGHTS, check_folder, read_metrics  # noqa: F401 - read_metrics: re-exported
from .tokenizer import KoBertTokenizer

ENCODER_PREFIX = "bert."


def save_model(
    model: KoBertClassifier, tokenizer: KoBertTokenizer, folder: Path, metrics: dict | None = None
) -> None:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    config = model.bert_config.to_dict()
    config["architectures"] = ["BertModel"]
    config["kobert_chat"] = model.heads_config.to_dict()
    tensors = {}
    for name, tensor in model.state_dict().items():
        key = ENCODER_PREFIX + name.removeprefix("encoder.") if name.startswith("encoder.") else name
        tensors[key] = tensor.detach().to("cpu").contiguous()
    save_file(tensors, str(folder / WEIGHTS), metadata={"format": "pt"})
    (folder / "config.json").write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8")
    tokenizer.save(folder)
    _write_json(folder / "labels.json", model.heads_config.heads)
    _write_json(folder / "metrics.json", metrics or {})


def load_model(folder: Path, device: str | torch.device = "cpu") -> tuple[KoBertClassifier, KoBertTokenizer]:
    """The model and tokenizer of a folder; ModelError (never anything else) when it cannot be used."""
    folder = Path(folder)
    check_folder(folder)
    try:
        return _load(folder, device)
    except ModelError:
        raise
    except Exception as e:  # noqa: BLE001 - whatever a damaged folder makes a library raise
        raise ModelError(
            f"model folder {folder} cannot be loaded ({type(e).__name__}: {_short(e)}); retrain or roll back"
        ) from e


def _load(folder: Path, device: str | torch.device) -> tuple[KoBertClassifier, KoBertTokenizer]:
    config_dict = _read_json(folder, "config.json")
    if not isinstance(config_dict, dict):
        raise ModelError(f"{folder / 'config.json'} must hold a JSON object, not {_kind(config_dict)}")
    heads_config = _heads_config(folder, config_dict.pop("kobert_chat", {}))
    heads_config.heads = _heads(folder, _read_json(folder, "labels.json"))
    bert_config = _bert_config(folder, config_dict)
    with torch.device("meta"):  # names and shapes only: nothing is allocated
        skeleton = KoBertClassifier(bert_config, heads_config)
    _check_names_and_shapes(folder, _file_shapes(folder), skeleton)
    del skeleton
    model = KoBertClassifier(bert_config, heads_config)
    try:
        tensors = load_file(str(folder / WEIGHTS))
    except (SafetensorError, OSError, ValueError) as e:
        raise ModelError(
            f"model weights in {folder} are damaged or truncated ({_short(e)}); retrain or roll back"
        ) from e
    mapped = _to_module_names(tensors)
    _check_names_and_shapes(folder, {k: tuple(t.shape) for k, t in mapped.items()}, model)
    _check_finite(folder, mapped)
    model.load_state_dict(mapped, strict=True)
    tokenizer = KoBertTokenizer.load(folder)
    if tokenizer.vocab_size > bert_config.vocab_size:
        raise ModelError(
            f"{folder}: tokenizer has {tokenizer.vocab_size} pieces but the encoder only {bert_config.vocab_size}"
        )
    model.to(device).eval()
    return model, tokenizer


def _to_module_names(tensors: Mapping[str, Any]) -> dict[str, Any]:
    """File keys ("bert.*" for the encoder) -> module keys ("encoder.*")."""
    return {
        ("encoder." + key.removeprefix(ENCODER_PREFIX) if key.startswith(ENCODER_PREFIX) else key): value
        for key, value in tensors.items()
    }


def _file_shapes(folder: Path) -> dict[str, tuple[int, ...]]:
    """Module name -> shape, from the weights file's header only (safetensors checks it covers the file)."""
    try:
        with safe_open(str(folder / WEIGHTS), "pt") as f:
            shapes = {key: tuple(f.get_slice(key).get_shape()) for key in f.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, ValueError) as e:
        raise ModelError(
            f"model weights in {folder} are damaged or truncated ({_short(e)}); retrain or roll back"
        ) from e
    return _to_module_names(shapes)


def _check_names_and_shapes(
    folder: Path, found: Mapping[str, tuple[int, ...]], model: KoBertClassifier
) -> None:
    """The file must hold exactly the model's tensors, each with the shape config.json gives it."""
    expected = {name: tuple(t.shape) for name, t in model.state_dict().items()}
    missing = sorted(set(expected) - set(found))
    unexpected = sorted(set(found) - set(expected))
    if missing or unexpected:
        raise ModelError(
            f"weights in {folder} do not match config.json: missing {missing[:5]}, unexpected {unexpected[:5]}"
        )
    for name, shape in found.items():
        if tuple(shape) != expected[name]:
            raise ModelError(
                f"weight {name} in {folder} has shape {tuple(shape)}, config says {expected[name]}"
            )


def _check_finite(folder: Path, tensors: Mapping[str, torch.Tensor]) -> None:
    """Bytes overwritten inside the file still parse; NaN or infinite weights are how they show.
    numpy, not torch: one pass per tensor without torch's thread pool, which on a busy 2-core machine
    made this 25x slower (1.5 s instead of 0.06 s for a KoBERT-size model)."""
    for name, tensor in tensors.items():
        if not tensor.is_floating_point():
            continue
        values = tensor.numpy() if tensor.dtype in _NUMPY_FLOATS else tensor.float().numpy()
        if not bool(np.isfinite(values).all()):
            raise ModelError(
                f"model weights in {folder} are damaged: {name} holds NaN or infinite values; retrain or roll back"
            )


_NUMPY_FLOATS = (torch.float16, torch.float32, torch.float64)


def _read_json(folder: Path, name: str) -> Any:
    try:
        return json.loads((folder / name).read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as e:
        raise ModelError(f"model folder {folder} has an unreadable {name}: {_short(e)}") from e


def _heads(folder: Path, raw: Any) -> dict[str, list[str]]:
    """labels.json: {head: [label ids]}, each head with at least one label and no label twice."""
    where = folder / "labels.json"
    if not isinstance(raw, dict) or not raw:
        raise ModelError(f"{where} must map head names to lists of labels, not {_kind(raw)}")
    heads = {}
    for head, labels in raw.items():
        if not head or not isinstance(labels, list) or not labels:
            raise ModelError(f"{where}: head {head!r} must have a non-empty list of labels")
        if not all(isinstance(x, str) and x for x in labels) or len(set(labels)) != len(labels):
            raise ModelError(f"{where}: the labels of {head!r} must be distinct non-empty strings")
        heads[str(head)] = list(labels)
    return heads


# config.json fields we build from: (type, lowest, highest). The highs only keep messages clear; memory
# is bounded by the shape check against the weights file, which runs before anything is allocated.
_BERT_FIELDS: dict[str, tuple[type, float, float]] = {
    "vocab_size": (int, 1, 10_000_000),
    "hidden_size": (int, 1, 65_536),
    "num_hidden_layers": (int, 1, 1_000),
    "num_attention_heads": (int, 1, 65_536),
    "intermediate_size": (int, 1, 1_000_000),
    "max_position_embeddings": (int, 1, 1_000_000),
    "type_vocab_size": (int, 1, 1_000_000),
    "hidden_dropout_prob": (float, 0.0, 1.0),
    "attention_probs_dropout_prob": (float, 0.0, 1.0),
    "layer_norm_eps": (float, 1e-30, 1.0),
    "initializer_range": (float, 0.0, 100.0),
}
_HEADS_FIELDS: dict[str, tuple[type, float, float]] = {
    "ngram_buckets": (int, 0, 100_000_000),
    "ngram_dim": (int, 1, 65_536),
    "dropout": (float, 0.0, 1.0),
    "tfidf_features": (int, 0, 100_000_000),
}


def _bert_config(folder: Path, raw: dict) -> BertConfig:
    where = folder / "config.json"
    for name, rule in _BERT_FIELDS.items():
        if name in raw:
            _check_number(where, name, raw[name], rule)
    if raw.get("hidden_act", "gelu") not in ACT2FN:
        raise ModelError(f"{where}: hidden_act {str(raw.get('hidden_act'))[:40]!r} is not an activation")
    heads, hidden = raw.get("num_attention_heads", 12), raw.get("hidden_size", 768)
    if hidden % heads:
        raise ModelError(f"{where}: hidden_size {hidden} is not a multiple of num_attention_heads {heads}")
    pad = raw.get("pad_token_id")
    if pad is not None and not (isinstance(pad, int) and not isinstance(pad, bool) and pad >= 0):
        raise ModelError(f"{where}: pad_token_id must be a non-negative whole number")
    return BertConfig(**{k: v for k, v in raw.items() if k != "architectures"})


def _heads_config(folder: Path, raw: Any) -> HeadsConfig:
    where = folder / "config.json"
    if not isinstance(raw, dict):
        raise ModelError(f'{where}: "kobert_chat" must be a JSON object, not {_kind(raw)}')
    for name, rule in _HEADS_FIELDS.items():
        if name in raw:
            _check_number(where, name, raw[name], rule)
    if raw.get("pooling", "mean") not in ("mean", "cls"):
        raise ModelError(f'{where}: pooling must be "mean" or "cls"')
    if not isinstance(raw.get("tfidf", False), bool):
        raise ModelError(f"{where}: tfidf must be true or false")
    for name, low, high in (
        ("tfidf_mix", 0.0, 1.0),
        ("tfidf_temperature", 1e-6, 1e6),
        ("tfidf_c", 0.0, 1e12),
    ):
        table = raw.get(name, {})
        if not isinstance(table, dict):
            raise ModelError(f"{where}: {name} must map heads to numbers")
        for head, value in table.items():
            _check_number(where, f"{name}[{head!r}]", value, (float, low, high))
    return HeadsConfig.from_dict(raw)


def _check_number(where: Path, name: str, value: Any, rule: tuple[type, float, float]) -> None:
    kind, low, high = rule
    numeric = isinstance(value, int) if kind is int else isinstance(value, (int, float))
    try:
        fits = numeric and not isinstance(value, bool) and math.isfinite(value) and low <= value <= high
    except OverflowError:  # an integer too big for a float
        fits = False
    if not fits:
        what = "a whole number" if kind is int else "a number"
        raise ModelError(
            f"{where}: {name} must be {what} from {low:g} to {high:g}, not {str(value)[:40]!r}; "
            f"the folder is damaged"
        )


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _short(error: BaseException) -> str:
    """An exception as one short line (library messages can run to many)."""
    return " ".join(str(error).split())[:300] or type(error).__name__


def load_encoder_weights(model: KoBertClassifier, tensors: dict[str, torch.Tensor]) -> None:
    """Copy a foreign BertModel checkpoint (e.g. KoBERT's) into our encoder, key by key.

    Accepts keys with or without the "bert." prefix; ignores the pooler and pretraining heads, which
    we do not use. Every encoder weight must be present with the same shape, or nothing is copied.
    """
    target = model.encoder.state_dict()
    source = {}
    for key, tensor in tensors.items():
        name = key.removeprefix(ENCODER_PREFIX)
        if name in target:
            source[name] = tensor
    missing = sorted(k for k in target if k not in source and not k.endswith("position_ids"))
    if missing:
        raise ModelError(
            f"checkpoint is not a BertModel of this shape: missing {missing[:5]} ({len(missing)} in all)"
        )
    for name, tensor in source.items():
        if tensor.shape != target[name].shape:
            raise ModelError(
                f"checkpoint weight {name} has shape {tuple(tensor.shape)}, expected {tuple(target[name].shape)}"
            )
    model.encoder.load_state_dict(source, strict=False)


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
