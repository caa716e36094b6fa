"""SentencePiece tokenizer with KoBERT's layout.

KoBERT (skt/kobert-base-v1) ids are SentencePiece ids: [UNK]=0 [PAD]=1 [CLS]=2 [SEP]=3 [MASK]=4,
input `[CLS] pieces [SEP]`, right padding, token_type_ids all 0. Its tokenizer_config names
XLNetTokenizer, whose defaults (left padding, CLS last, token type 2) are wrong for KoBERT, so we
never go through AutoTokenizer: this class reads the same `spiece.model` directly.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import sentencepiece as spm
import torch

from ..errors import ModelError

UNK_ID, PAD_ID, CLS_ID, SEP_ID, MASK_ID = 0, 1, 2, 3, 4
SPECIAL_PIECES = {"[UNK]": UNK_ID, "[PAD]": PAD_ID, "[CLS]": CLS_ID, "[SEP]": SEP_ID, "[MASK]": MASK_ID}
SPM_FILE = "spiece.model"
CONFIG_FILE = "tokenizer_config.json"
DEFAULT_MAX_LENGTH = 64


@dataclass
class Batch:
    input_ids: torch.Tensor  # (B, T) right-padded with PAD_ID
    attention_mask: torch.Tensor  # (B, T) 1 for real tokens
    token_type_ids: torch.Tensor  # (B, T) all zeros, as KoBERT expects

    def to(self, device: torch.device | str, non_blocking: bool = False) -> Batch:
        return Batch(
            *(
                t.to(device, non_blocking=non_blocking)
                for t in (self.input_ids, self.attention_mask, self.token_type_ids)
            )
        )


class KoBertTokenizer:
    def __init__(self, spm_path: Path, max_length: int = DEFAULT_MAX_LENGTH):
        spm_path = Path(spm_path)
        if not spm_path.is_file():
            raise ModelError(f"SentencePiece model not found: {spm_path}")
        self.spm_path = spm_path
        try:
            self.sp = spm.SentencePieceProcessor(model_file=str(spm_path))
        except (RuntimeError, OSError, ValueError) as e:  # truncated, overwritten or not a model at all
            reason = " ".join(str(e).split())[:200]
            raise ModelError(
                f"{spm_path} is not a readable SentencePiece model ({reason}); it is damaged"
            ) from e
        self.max_length = max_length
        self._check_layout()

    def _check_layout(self) -> None:
        for piece, want in SPECIAL_PIECES.items():
            got = self.sp.piece_to_id(piece)
            if got != want:
                raise ModelError(
                    f"{self.spm_path} does not use KoBERT's special-token layout: {piece} is id {got}, expected {want}"
                )

    @property
    def vocab_size(self) -> int:
        return self.sp.get_piece_size()

    def tokenize(self, text: str) -> list[str]:
        return self.sp.encode(_clean(text), out_type=str)

    def encode(self, text: str, max_length: int | None = None) -> list[int]:
        """`[CLS] pieces [SEP]`, truncated so the whole sequence fits max_length."""
        limit = (max_length or self.max_length) - 2
        # Long inputs: only the head is used, so avoid tokenizing 10k characters we would drop.
        ids = self.sp.encode(_clean(text)[: limit * 8], out_type=int)[:limit]
        return [CLS_ID, *ids, SEP_ID]

    def batch(self, texts: Sequence[str], max_length: int | None = None) -> Batch:
        """Dynamic padding: pad to the longest sequence in this batch, not to max_length."""
        encoded = [self.encode(t, max_length) for t in texts]
        return pad(encoded)

    def decode(self, ids: Sequence[int]) -> str:
        return self.sp.decode([i for i in ids if i > MASK_ID])

    def save(self, folder: Path) -> None:
        folder = Path(folder)
        (folder / SPM_FILE).write_bytes(self.spm_path.read_bytes())
        config = {
            "tokenizer_class": "KoBertTokenizer",
            "note": "kobert-chat layout: [CLS] pieces [SEP], right padding, token_type_ids 0; ids are SentencePiece ids",
            "model_max_length": self.max_length,
            "padding_side": "right",
            "do_lower_case": False,
            "unk_token": "[UNK]",
            "pad_token": "[PAD]",
            "cls_token": "[CLS]",
            "sep_token": "[SEP]",
            "mask_token": "[MASK]",
        }
        (folder / CONFIG_FILE).write_text(json.dumps(config, ensure_ascii=False, indent=2), encoding="utf-8")
        special = {k: v for k, v in config.items() if k.endswith("_token")}
        (folder / "special_tokens_map.json").write_text(json.dumps(special, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, max_length: int | None = None) -> KoBertTokenizer:
        """The folder's tokenizer. A tokenizer_config.json that is present must be a JSON object whose
        model_max_length (if any) is a positive number; anything else is a damaged folder (ModelError)."""
        folder = Path(folder)
        length = max_length or DEFAULT_MAX_LENGTH
        cfg_path = folder / CONFIG_FILE
        if max_length is None and cfg_path.is_file():
            length = _max_length(cfg_path)
        return cls(folder / SPM_FILE, max_length=length)


def _max_length(cfg_path: Path) -> int:
    try:
        config = json.loads(cfg_path.read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as e:
        raise ModelError(f"{cfg_path} is unreadable ({' '.join(str(e).split())[:120]}); it is damaged") from e
    if not isinstance(config, dict):
        raise ModelError(f"{cfg_path} must hold a JSON object, not {type(config).__name__}; it is damaged")
    value = config.get("model_max_length", DEFAULT_MAX_LENGTH)
    try:
        usable = not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
    except OverflowError:
        usable = True  # a huge integer: KoBERT's own config says ~1e30 for "no limit"
    if not usable or value < 1:
        raise ModelError(
            f"{cfg_path}: model_max_length must be a positive number, not {str(value)[:40]!r}; it is damaged"
        )
    # KoBERT's own config says 1e30-ish or 512; a chat app never needs more than the encoder allows.
    return int(min(max(value, 8), 512))


def pad(encoded: Sequence[Sequence[int]]) -> Batch:
    width = max(len(e) for e in encoded)
    ids = torch.full((len(encoded), width), PAD_ID, dtype=torch.long)
    mask = torch.zeros((len(encoded), width), dtype=torch.long)
    for row, seq in enumerate(encoded):
        ids[row, : len(seq)] = torch.tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = 1
    return Batch(ids, mask, torch.zeros_like(ids))


def _clean(text: str) -> str:
    # NFC so that decomposed jamo typed by some IMEs map to the same pieces; control chars become spaces.
    text = unicodedata.normalize("NFC", text)
    return "".join(" " if unicodedata.category(c) in ("Cc", "Cs") else c for c in text).strip()


def train_sentencepiece(
    texts: Sequence[str], out_prefix: Path, vocab_size: int, seed_sentences: int = 0
) -> Path:
    """Train a unigram SentencePiece model with KoBERT's special ids. Deterministic for the same texts."""
    out_prefix = Path(out_prefix)
    corpus = out_prefix.with_suffix(".txt")
    lines = [c for c in (_clean(t) for t in texts) if c]
    corpus.write_text("\n".join(lines), encoding="utf-8")
    # Every covered character needs its own piece; Korean has many, so small requests grow to fit.
    distinct = len({ch for line in lines for ch in line if not ch.isspace()})
    vocab_size = max(vocab_size, distinct + len(SPECIAL_PIECES) + 16)
    spm.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(out_prefix),
        vocab_size=vocab_size,
        model_type="unigram",
        character_coverage=0.9995,
        unk_id=UNK_ID,
        pad_id=PAD_ID,
        bos_id=CLS_ID,
        eos_id=SEP_ID,
        unk_piece="[UNK]",
        pad_piece="[PAD]",
        bos_piece="[CLS]",
        eos_piece="[SEP]",
        control_symbols=["[MASK]"],
        shuffle_input_sentence=False,
        num_threads=1,  # single thread keeps piece selection reproducible
        hard_vocab_limit=False,  # tiny corpora (tests) may not support the requested size
        minloglevel=2,
    )
    corpus.unlink()
    return out_prefix.with_suffix(".model")
