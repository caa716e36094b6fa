"""User settings, one JSON file in the data dir, written atomically. Unknown or bad values fall back to defaults."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from . import atomic
from .errors import InputError

log = logging.getLogger(__name__)
DEVICES = ("auto", "cpu", "cuda", "mps")
THEMES = ("system", "light", "dark")


@dataclass
class Settings:
    device: str = "auto"
    threshold: float = 0.40  # intent confidence below this -> fallback answer
    margin: float = 0.05  # top-1 minus top-2 intent probability below this -> fallback answer
    theme: str = "system"
    quantize_int8: bool = False  # CPU int8 inference for large backbones

    def validate(self) -> Settings:
        if self.device not in DEVICES and not str(self.device).startswith("cuda:"):
            raise InputError(f"device must be one of {', '.join(DEVICES)}")
        if not 0.0 <= float(self.threshold) <= 1.0:
            raise InputError("threshold must be between 0 and 1")
        if not 0.0 <= float(self.margin) <= 1.0:
            raise InputError("margin must be between 0 and 1")
        if self.theme not in THEMES:
            raise InputError(f"theme must be one of {', '.join(THEMES)}")
        return self


def load_settings(path: Path) -> Settings:
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError) as e:
        log.warning("settings file %s is unreadable (%s); using defaults", path, e)
        return Settings()
    known = {f.name for f in fields(Settings)}
    try:
        return Settings(**{k: v for k, v in raw.items() if k in known}).validate()
    except (InputError, TypeError, ValueError) as e:
        log.warning("settings file %s has a bad value (%s); using defaults", path, e)
        return Settings()


def save_settings(path: Path, settings: Settings) -> None:
    settings.validate()
    atomic.write_text(Path(path), json.dumps(asdict(settings), ensure_ascii=False, indent=2))
