"""Where user data lives. KOBERT_CHAT_HOME moves all of it (tests rely on this)."""

from __future__ import annotations

import importlib.resources
import json
import os
from pathlib import Path

import platformdirs

APP_NAME = "kobert-chat"
HOME_ENV = "KOBERT_CHAT_HOME"


def _resources() -> Path:
    """The bundled data, styles and icons. An installed wheel carries `resources/` as the package
    data folder `kobert_chat/resources` (pyproject's package-dir maps it there); a checkout has it
    beside the package. Both are plain folders on disk, so callers may use Path freely."""
    packaged = Path(str(importlib.resources.files("kobert_chat"))) / "resources"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parent.parent / "resources"


RESOURCES = _resources()


def default_home() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def location_file() -> Path:
    """Remembers a data folder the user moved in Settings (it cannot live inside the data folder)."""
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "location.json"


def data_home() -> Path:
    """KOBERT_CHAT_HOME, else the folder chosen in Settings, else the platform's user data dir."""
    env = os.environ.get(HOME_ENV)
    if env:
        home = Path(env).expanduser()
    else:
        home = _chosen_home() or default_home()
    home.mkdir(parents=True, exist_ok=True)
    return home


def set_chosen_home(folder: Path | None) -> None:
    """Used by Settings; takes effect at the next start. None returns to the default."""
    from . import atomic

    atomic.write_text(location_file(), json.dumps({"data_dir": str(folder) if folder else None}))


def _chosen_home() -> Path | None:
    try:
        chosen = json.loads(location_file().read_text(encoding="utf-8")).get("data_dir")
    except (OSError, ValueError, AttributeError):
        return None
    return Path(chosen).expanduser() if chosen else None


def database_path(home: Path | None = None) -> Path:
    return (home or data_home()) / "kobert-chat.db"


def models_dir(home: Path | None = None) -> Path:
    d = (home or data_home()) / "models"
    d.mkdir(parents=True, exist_ok=True)
    return d


def features_dir(home: Path | None = None) -> Path:
    """Frozen-encoder features kept between quick retrains (nlu/encoder_memo.py): a cache, safe to delete."""
    return (home or data_home()) / "cache" / "encoder-features"


def text_grams_dir(home: Path | None = None) -> Path:
    """Each text's n-grams kept between retrains (nlu/text_grams.py): a cache, safe to delete."""
    return (home or data_home()) / "cache" / "text-grams"


def logs_dir(home: Path | None = None) -> Path:
    d = (home or data_home()) / "logs"
    d.mkdir(parents=True, exist_ok=True)
    return d


def settings_path(home: Path | None = None) -> Path:
    return (home or data_home()) / "settings.json"
