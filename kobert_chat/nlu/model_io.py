"""Model folders in the Hugging Face layout, loaded from safetensors only.

    config.json          BertConfig (+ "kobert_chat": heads, n-gram channel)
    model.safetensors    encoder as "bert.*" (so BertModel.from_pretrained can read it), heads, n-grams
    spiece.model, tokenizer_config.json, special_tokens_map.json
    labels.json          {head: [label ids]}
    metrics.json         evaluation results when the version was made

Pickle-based files (*.bin, *.pt, *.pth, *.ckpt, *.pkl) are refused, never opened: unpickling runs code.
"""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from transformers import BertConfig

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
    folder = Path(folder)
    check_folder(folder)
    try:
        config_dict = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        heads = json.loads((folder / "labels.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ModelError(f"model folder {folder} has an unreadable config.json or labels.json: {e}") from e
    heads_config = HeadsConfig.from_dict(config_dict.pop("kobert_chat", {}))
    heads_config.heads = {str(k): [str(x) for x in v] for k, v in heads.items()}
    bert_config = BertConfig(**{k: v for k, v in config_dict.items() if k not in ("architectures",)})
    model = KoBertClassifier(bert_config, heads_config)
    try:
        tensors = load_file(str(folder / WEIGHTS))
    except (SafetensorError, OSError, ValueError) as e:
        raise ModelError(
            f"model weights in {folder} are damaged or truncated ({e}); retrain or roll back"
        ) from e
    model.load_state_dict(_to_module_names(tensors, model), strict=True)
    tokenizer = KoBertTokenizer.load(folder)
    if tokenizer.vocab_size > bert_config.vocab_size:
        raise ModelError(
            f"{folder}: tokenizer has {tokenizer.vocab_size} pieces but the encoder only {bert_config.vocab_size}"
        )
    model.to(device).eval()
    return model, tokenizer


def _to_module_names(tensors: dict[str, torch.Tensor], model: KoBertClassifier) -> dict[str, torch.Tensor]:
    """Map file keys to module keys and check names and shapes before trusting the file."""
    expected = model.state_dict()
    mapped = {}
    for key, tensor in tensors.items():
        name = "encoder." + key.removeprefix(ENCODER_PREFIX) if key.startswith(ENCODER_PREFIX) else key
        mapped[name] = tensor
    missing = sorted(set(expected) - set(mapped))
    unexpected = sorted(set(mapped) - set(expected))
    if missing or unexpected:
        raise ModelError(
            f"weights do not match config.json: missing {missing[:5]}, unexpected {unexpected[:5]}"
        )
    for name, tensor in mapped.items():
        if tensor.shape != expected[name].shape:
            raise ModelError(
                f"weight {name} has shape {tuple(tensor.shape)}, config says {tuple(expected[name].shape)}"
            )
    return mapped


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
