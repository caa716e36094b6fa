"""int8 dynamic quantization for CPU inference (the quantize_int8 setting).

Every nn.Linear in the encoder gets int8 weights; activations are quantized on the fly per batch.
That is where a large backbone spends its CPU time (KoBERT: 12 layers x 6 Linears of 768 wide), and
int8 matmuls are roughly 2-3x faster and 4x smaller. The heads stay float: they are tiny, and they
are what turns features into the label, so we keep them exact. A quantized model is for inference
only: it cannot be trained or saved in our folder format.
"""

from __future__ import annotations

import logging
import warnings

import torch
from torch import nn

from .model import KoBertClassifier

log = logging.getLogger(__name__)


def quantize_for_cpu(model: KoBertClassifier) -> KoBertClassifier:
    """The same model with an int8 encoder (in place); unchanged, with a log line, if this torch cannot quantize."""
    model.to("cpu").eval()
    try:
        from torch.ao.quantization import quantize_dynamic
    except ImportError:  # torch.ao.quantization is deprecated upstream; a future torch may drop it
        log.warning("this torch build has no torch.ao.quantization; running the model in float32")
        return model
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's deprecation notices are not for our users
        model.encoder = quantize_dynamic(model.encoder, {nn.Linear}, dtype=torch.qint8)
    return model


def is_quantized(model: nn.Module) -> bool:
    return any(type(m).__module__.startswith("torch.ao.nn.quantized") for m in model.modules())
