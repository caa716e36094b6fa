"""What the window calls a model version: "기본 모델", "다시 학습한 모델 (11월 24일 오후 3:05)", "KoBERT 모델".
Version ids (v20261124-150501-ab12) are for 자세히 and tooltips, never headlines."""

from __future__ import annotations

from kobert_chat.store import ModelVersion

from .chat_model import clock_text, local_time

STARTER_NAME = "기본 모델"  # the one built on the first run: the same name everywhere in the app


def model_kind(version: ModelVersion) -> str:
    if version.backbone == "kobert":
        return "KoBERT 모델"
    if version.backbone == "starter" and version.parent is None:
        return STARTER_NAME
    return "다시 학습한 모델"


def when_text(iso: str) -> str:
    t = local_time(iso)
    return f"{t.month}월 {t.day}일 {clock_text(iso)}"


def model_name(version: ModelVersion) -> str:
    """The kind, with when it was made for every model but the first-run one."""
    kind = model_kind(version)
    return kind if kind == STARTER_NAME else f"{kind} ({when_text(version.created_at)})"


def device_text(device: str) -> str:
    """'cuda:0' -> 'GPU로 계산', 'cpu' -> 'CPU로 계산'."""
    return "GPU로 계산" if device.lower().startswith("cuda") else "CPU로 계산"


def score_text(value: float | None) -> str:
    """A 0-1 score as points out of 100 ("83점"): how the window shows macro-F1 and accuracy."""
    return "—" if value is None else f"{round(value * 100)}점"
