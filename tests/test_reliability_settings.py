"""settings.json is the user's to edit: any content gives working settings and says what it ignored
(issue 10, case 4). Each file is written by the test as a user or another tool could leave it."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from kobert_chat import paths
from kobert_chat.engine import ChatEngine
from kobert_chat.errors import InputError
from kobert_chat.settings import Settings, load_settings, load_settings_checked, save_settings
from tests.helpers.cli import run
from tests.helpers.history import assert_nothing_lost, remember

DEFAULTS = asdict(Settings())

# file content -> (the settings it must give, the fields a warning must name)
CASES = {
    "[]": ({}, ["not a JSON object"]),
    "null": ({}, ["not a JSON object"]),
    "42": ({}, ["not a JSON object"]),
    '"dark"': ({}, ["not a JSON object"]),
    '{"threshold": "0.5"}': ({}, ["threshold"]),
    '{"quantize_int8": "no"}': ({}, ["quantize_int8"]),
    '{"quantize_int8": 1}': ({}, ["quantize_int8"]),
    '{"threshold": 7, "margin": -0.1}': ({}, ["threshold", "margin"]),
    '{"threshold": NaN}': ({}, ["threshold"]),
    '{"threshold": true}': ({}, ["threshold"]),
    '{"device": 3, "theme": null}': ({}, ["device", "theme"]),
    '{"device": "tpu"}': ({}, ["device"]),
    '{"threshold": "0.5", "margin": 0.1, "quantize_int8": "no", "theme": "dark", "later": [1]}': (
        {"margin": 0.1, "theme": "dark"},
        ["threshold", "quantize_int8"],
    ),
    '{"threshold": 0.25, "quantize_int8": false, "device": "cpu"}': (
        {"threshold": 0.25, "device": "cpu"},
        [],
    ),
    '{"threshold": 0.5': ({}, ["unreadable"]),
}
RAW = {content: content.encode() for content in CASES} | {"(not UTF-8)": b"\xff\xfe{}"}
CASES["(not UTF-8)"] = ({}, ["unreadable"])


@pytest.mark.parametrize("content", list(CASES))
def test_any_settings_file_gives_valid_settings_and_names_what_it_ignored(home, content):
    expected, warned = CASES[content]
    path = paths.settings_path(home)
    path.write_bytes(RAW[content])

    settings, warnings = load_settings_checked(path)
    assert asdict(settings) == DEFAULTS | expected
    assert settings.validate() is settings  # what the engine uses is always valid
    assert len(warnings) == len(warned) and all(w in line for w, line in zip(warned, warnings, strict=True))
    assert load_settings(path) == settings
    assert path.read_bytes() == RAW[content]  # reading never rewrites the user's file


def test_a_bad_settings_file_never_stops_the_chat(model_home):
    before = remember(model_home)
    paths.settings_path(model_home).write_text(
        json.dumps({"threshold": "0.5", "quantize_int8": "no", "theme": "dark"}), encoding="utf-8"
    )
    engine = ChatEngine.open(model_home, device="cpu")
    try:
        assert (engine.settings.threshold, engine.settings.quantize_int8, engine.settings.theme) == (
            0.40,
            False,
            "dark",
        )
        assert [w.split(" ")[1] for w in engine.settings_warnings] == ["threshold", "quantize_int8"]
        reply = engine.reply(engine.new_conversation(), "설정 파일이 이상해도 괜찮아?")
        assert engine.store.message(reply.user.id).text == "설정 파일이 이상해도 괜찮아?"
    finally:
        engine.close()

    chat = run(model_home, "chat", stdin="안녕!\n고마워\n")
    assert chat.code == 0, chat
    assert chat.out.count("봇> ") == 2
    warnings = chat.err.strip().splitlines()
    assert len(warnings) == 2 and "threshold" in warnings[0] and "quantize_int8" in warnings[1], chat
    assert_nothing_lost(model_home, before)


@pytest.mark.parametrize(
    "bad",
    [
        {"threshold": "0.5"},
        {"threshold": float("nan")},
        {"margin": 2.0},
        {"quantize_int8": "no"},
        {"device": "tpu"},
        {"theme": None},
    ],
)
def test_saving_bad_settings_is_refused_and_keeps_the_file(home, bad):
    path = paths.settings_path(home)
    save_settings(path, Settings(threshold=0.3))
    before = path.read_bytes()
    with pytest.raises(InputError, match=next(iter(bad))):
        save_settings(path, Settings(**{**DEFAULTS, **bad}))
    assert path.read_bytes() == before
