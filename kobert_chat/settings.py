"""User settings, one JSON file in the data dir, written atomically.

Reading never fails: the file is the user's to edit, so every field is checked on its own (type and
range). A bad field falls back to its default with a warning that names it, the good ones are kept,
and a file that is not a JSON object at all ([], null, 42, "text", broken JSON) gives the defaults.
`"no"` is not true and `"0.5"` is not a number: only JSON's own true/false and numbers count.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from . import atomic
from .errors import InputError

log = logging.getLogger(__name__)
DEVICES = ("auto", "cpu", "cuda", "mps")
THEMES = ("system", "light", "dark")
BOT_LEVELS = ("follow", "polite", "casual")  # follow the user's 존댓말/반말, or always one of them
MAX_NO_REPEAT_TURNS = 50


@dataclass
class Settings:
    device: str = "auto"
    threshold: float = 0.40  # intent confidence below this -> fallback answer
    margin: float = 0.05  # top-1 minus top-2 intent probability below this -> fallback answer
    theme: str = "system"
    quantize_int8: bool = False  # CPU int8 inference for large backbones
    clarify: bool = True  # when the intent is uncertain, ask "혹시 X 얘기예요, 아니면 Y 얘기예요?"
    bot_level: str = "follow"  # the bot's speech level: follow the user, or always polite / casual
    link_threshold: float = 0.30  # a linked example this similar (0-1) gives its answer (linked_answers.py)
    no_repeat_turns: int = 5  # an answer is not given again within this many bot turns (when others fit)

    def validate(self) -> Settings:
        """Raise InputError naming the first bad field (what saving refuses)."""
        for f in fields(self):
            problem = _problem(f.name, getattr(self, f.name))
            if problem:
                raise InputError(f"setting {f.name}: {problem}")
        return self


def _problem(name: str, value: Any) -> str | None:
    """Why `value` cannot be the setting `name`, or None if it can."""
    if name == "device":
        ok = isinstance(value, str) and (value in DEVICES or _cuda_index(value))
        return None if ok else f"must be one of {', '.join(DEVICES)} (or cuda:N)"
    if name == "bot_level":
        ok = isinstance(value, str) and value in BOT_LEVELS
        return None if ok else f"must be one of {', '.join(BOT_LEVELS)}"
    if name == "no_repeat_turns":
        ok = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_NO_REPEAT_TURNS
        return None if ok else f"must be a whole number from 0 to {MAX_NO_REPEAT_TURNS}"
    if name in ("threshold", "margin", "link_threshold"):
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        ok = number and math.isfinite(value) and 0.0 <= value <= 1.0
        return None if ok else "must be a number between 0 and 1"
    if name == "theme":
        return None if isinstance(value, str) and value in THEMES else f"must be one of {', '.join(THEMES)}"
    if name in ("quantize_int8", "clarify"):
        return None if isinstance(value, bool) else "must be true or false"
    return None


_NUMBERS = ("threshold", "margin", "link_threshold")


def _cuda_index(value: str) -> bool:
    return value.startswith("cuda:") and value[5:].isdigit()


def load_settings(path: Path) -> Settings:
    """The settings in `path` (defaults for what is missing or bad; see load_settings_checked)."""
    return load_settings_checked(path)[0]


def load_settings_checked(path: Path) -> tuple[Settings, list[str]]:
    """(settings, warnings): one warning per bad field or for an unusable file, meant for the user.
    Never raises: a missing file is the defaults with no warning."""
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings(), []
    except (OSError, ValueError, RecursionError) as e:
        return Settings(), _warn(
            [f"{path.name} is unreadable ({' '.join(str(e).split())[:80]}); using defaults"]
        )
    if not isinstance(raw, dict):
        kind = "null" if raw is None else type(raw).__name__
        return Settings(), _warn([f"{path.name} holds {kind}, not a JSON object; using defaults"])
    defaults = Settings()
    values: dict[str, Any] = {}
    warnings = []
    for f in fields(Settings):
        if f.name not in raw:
            continue
        value = raw[f.name]
        problem = _problem(f.name, value)
        if problem:
            default = getattr(defaults, f.name)
            shown = json.dumps(value, ensure_ascii=False)[:40]
            warnings.append(f"{path.name}: {f.name} {problem}, not {shown}; using {json.dumps(default)}")
        else:
            values[f.name] = float(value) if f.name in _NUMBERS else value
    return Settings(**values), _warn(warnings)


def _warn(warnings: list[str]) -> list[str]:
    for warning in warnings:
        log.warning("%s", warning)
    return warnings


def save_settings(path: Path, settings: Settings) -> None:
    settings.validate()
    atomic.write_text(Path(path), json.dumps(asdict(settings), ensure_ascii=False, indent=2))
