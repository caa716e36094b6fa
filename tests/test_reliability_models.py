"""Damaged model files fall back to the newest good version and say so; activation loads first
(issue 10, cases 2, 3 and the announced fallback of case 8).

Each damage is done to real files of a real (tiny) model version, the way a crash, a bad copy or a
hand edit leaves them.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from kobert_chat import paths
from kobert_chat.engine import ChatEngine
from kobert_chat.errors import ModelError
from kobert_chat.nlu.model_io import load_model
from kobert_chat.store import Store
from tests.helpers import install_model
from tests.helpers.cli import assert_bad_input, run
from tests.helpers.history import assert_nothing_lost, remember


def edit_json(name: str, change: Callable[[dict], object]) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        data = json.loads((folder / name).read_text(encoding="utf-8"))
        new = change(data)
        (folder / name).write_text(json.dumps(data if new is None else new), encoding="utf-8")

    return damage


def write(name: str, text: str) -> Callable[[Path], None]:
    return lambda folder: (folder / name).write_text(text, encoding="utf-8")


def cut(name: str) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        data = (folder / name).read_bytes()
        (folder / name).write_bytes(data[: len(data) // 2])

    return damage


def random_middle(folder: Path) -> None:
    """Random bytes over the middle third of the weights: the header still parses, the values do not."""
    path = folder / "model.safetensors"
    data = bytearray(path.read_bytes())
    third = len(data) // 3
    data[third : 2 * third] = os.urandom(third)
    path.write_bytes(bytes(data))


def huge_but_finite_head(folder: Path) -> None:
    """Every weight is a finite number, but the intent head's are so large that its logits overflow:
    only a prediction shows the version is unusable."""
    path = folder / "model.safetensors"
    tensors = load_file(str(path))
    tensors["heads.intent.weight"] = torch.full_like(tensors["heads.intent.weight"], 3e38)
    save_file(tensors, str(path), metadata={"format": "pt"})


def max_length_literal(folder: Path, literal: str) -> None:
    """A number only JSON text can hold (1e400 reads back as infinity)."""
    config = json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    config["model_max_length"] = 12345
    text = json.dumps(config).replace("12345", literal)
    (folder / "tokenizer_config.json").write_text(text, encoding="utf-8")


def set_key(key: str, value: object) -> Callable[[dict], None]:
    return lambda d: d.__setitem__(key, value)


DAMAGE: dict[str, Callable[[Path], None]] = {
    "config.json is []": write("config.json", "[]"),
    "config.json is null": write("config.json", "null"),
    'hidden_size is "abc"': edit_json("config.json", set_key("hidden_size", "abc")),
    "hidden_size is 10^12": edit_json("config.json", set_key("hidden_size", 10**12)),
    "num_hidden_layers is -1": edit_json("config.json", set_key("num_hidden_layers", -1)),
    "kobert_chat section is a list": edit_json("config.json", set_key("kobert_chat", [1])),
    "ngram_buckets is 1e9": edit_json(
        "config.json", lambda d: d["kobert_chat"].__setitem__("ngram_buckets", 10**9)
    ),
    "labels.json is [1, 2, 3]": write("labels.json", "[1, 2, 3]"),
    "labels.json has a head without labels": edit_json("labels.json", set_key("intent", [])),
    "spiece.model cut short": cut("spiece.model"),
    "spiece.model is random bytes": lambda f: (f / "spiece.model").write_bytes(os.urandom(5000)),
    "model_max_length is 1e400": lambda f: max_length_literal(f, "1e400"),
    "tokenizer_config.json is a string": write("tokenizer_config.json", '"nope"'),
    "random bytes over the middle of the weights": random_middle,
    "weights that overflow to NaN": huge_but_finite_head,
}

CAUGHT_BY_THE_SMOKE_TEST = {"weights that overflow to NaN"}


@pytest.fixture
def two_versions(model_home: Path, tiny_model_dir: Path) -> tuple[str, str]:
    """(older, newer): the newer one active, as after a retrain."""
    with Store.open(paths.database_path(model_home)) as store:
        older = store.active_model_version().id
    return older, install_model(model_home, tiny_model_dir)


def folder_of(home: Path, version: str) -> Path:
    with Store.open(paths.database_path(home)) as store:
        return store.model_version(version).path


def damage_folder(folder: Path, name: str) -> None:
    DAMAGE[name](folder)


@pytest.mark.parametrize("name", list(DAMAGE))
def test_a_damaged_active_version_falls_back_to_the_newest_good_one_and_says_so(
    model_home, two_versions, name
):
    older, newer = two_versions
    before = remember(model_home)
    folder = folder_of(model_home, newer)
    damage_folder(folder, name)
    if name in CAUGHT_BY_THE_SMOKE_TEST:
        load_model(folder)  # it loads: only a prediction shows it is broken
    else:
        with pytest.raises(ModelError):  # never a raw exception, whatever the damage
            load_model(folder)

    engine = ChatEngine.open(model_home, device="cpu")
    try:
        assert engine.model_version == older
        assert engine.registry.active().id == older  # the database says what is really in use
        warning = engine.model_warning
        assert warning and newer in warning and older in warning and "되돌렸어요" in warning
        assert "\n" not in warning  # one line, for the CLI and the window alike
        reply = engine.reply(engine.new_conversation(), "모델이 망가져도 대화는 돼?")
        assert reply.user.model_version == older and reply.bot.text
    finally:
        engine.close()
    assert_nothing_lost(model_home, before)


def test_the_cli_prints_the_fallback_once_in_one_line(model_home, two_versions):
    older, newer = two_versions
    before = remember(model_home)
    damage_folder(folder_of(model_home, newer), "random bytes over the middle of the weights")

    first = run(model_home, "predict", "안녕", "--json")
    assert first.code == 0, first
    assert json.loads(first.out)["model_version"] == older
    [line] = first.err.strip().splitlines()
    assert newer in line and older in line and "되돌렸어요" in line
    again = run(model_home, "predict", "안녕")  # the switch was recorded: nothing more to say
    assert again.code == 0 and again.err.strip() == "", again
    assert_nothing_lost(model_home, before)


@pytest.mark.parametrize("name", ["weights cut short", "random bytes over the middle of the weights"])
def test_models_activate_loads_first_and_refuses_a_damaged_version(model_home, tiny_model_dir, name):
    with Store.open(paths.database_path(model_home)) as store:
        live = store.active_model_version().id
    broken = install_model(model_home, tiny_model_dir, activate=False)
    before = remember(model_home)
    folder = folder_of(model_home, broken)
    if name == "weights cut short":
        cut("model.safetensors")(folder)
    else:
        random_middle(folder)

    line = assert_bad_input(run(model_home, "models", "activate", broken), broken, "damaged")
    assert "not activated" in line
    with Store.open(paths.database_path(model_home)) as store:
        assert store.active_model_version().id == live
    fine = run(model_home, "models", "activate", live)
    assert fine.code == 0 and f"active: {live}" in fine.out, fine
    assert_nothing_lost(model_home, before)


def test_rollback_skips_a_version_that_loads_but_predicts_nan(model_home, tiny_model_dir):
    with Store.open(paths.database_path(model_home)) as store:
        oldest = store.active_model_version().id
    middle = install_model(model_home, tiny_model_dir)
    newest = install_model(model_home, tiny_model_dir)
    huge_but_finite_head(folder_of(model_home, middle))
    engine = ChatEngine.open(model_home, device="cpu")
    try:
        assert engine.model_version == newest
        assert engine.rollback().id == oldest and engine.model_version == oldest
        with pytest.raises(ModelError, match="NaN"):
            engine.activate(middle)
        assert engine.registry.active().id == oldest
    finally:
        engine.close()
