"""Hostile files: pickle payloads in model folders, huge and badly encoded imports, formula cells on export."""

from __future__ import annotations

import csv
import pickle
import shutil
import tracemalloc
from pathlib import Path

import pytest

from kobert_chat import paths
from kobert_chat.engine import ChatEngine
from kobert_chat.errors import ModelError
from kobert_chat.import_export import export_file, import_file
from kobert_chat.store import Store
from tests.helpers import install_model
from tests.helpers.cli import assert_bad_input, run_side_by_side

MEMORY_BOUND = 64 * 1024 * 1024


def pickle_payload(marker: Path) -> bytes:
    """Bytes whose unpickling creates `marker` (any code could run instead)."""

    class Payload:
        def __reduce__(self):
            return (open, (str(marker), "w"))

    return pickle.dumps(Payload())


def plant_pickle(home: Path, tiny_model_dir: Path, marker: Path, how: str) -> str:
    """A newer version whose weights were swapped for a pickle; the older, good version stays active."""
    evil = install_model(home, tiny_model_dir, activate=False)
    with Store.open(paths.database_path(home)) as store:
        folder = store.model_version(evil).path
    (folder / "model.safetensors").unlink()
    name = "model.safetensors" if how == "named as safetensors" else "pytorch_model.bin"
    (folder / name).write_bytes(pickle_payload(marker))
    return evil


@pytest.mark.parametrize("how", ["named as safetensors", "pytorch_model.bin"])
def test_a_version_holding_a_pickle_is_refused_unopened(model_home, tiny_model_dir, tmp_path, how):
    marker = tmp_path / "PWNED"
    good = ChatEngine.open(model_home, device="cpu")
    evil = plant_pickle(model_home, tiny_model_dir, marker, how)
    try:
        expected = "damaged or truncated" if how == "named as safetensors" else "safetensors only"
        with pytest.raises(ModelError, match=expected):
            good.activate(evil)
        assert good.model_version != evil and good.registry.active().id != evil
    finally:
        good.close()

    with Store.open(paths.database_path(model_home)) as store:  # the evil one active, as after a crash
        store.set_active_model(evil)
    engine = ChatEngine.open(model_home, device="cpu")
    try:
        assert engine.model_version != evil and evil in engine.model_warning
    finally:
        engine.close()
    assert not marker.exists()


def test_the_cli_refuses_pickle_weights_with_one_clear_line(model_home, tiny_model_dir, tmp_path):
    """`models activate` on a planted version, and `train --backbone` on a downloaded pickle-only folder."""
    marker = tmp_path / "PWNED"
    evil = plant_pickle(model_home, tiny_model_dir, marker, "pytorch_model.bin")
    downloaded = tmp_path / "downloaded-model"
    shutil.copytree(tiny_model_dir, downloaded)
    (downloaded / "model.safetensors").unlink()
    (downloaded / "pytorch_model.bin").write_bytes(pickle_payload(marker))

    activate, train = run_side_by_side(
        model_home,
        ("models", "activate", evil),
        ("train", "--backbone", downloaded, "--mode", "quick", "--epochs", "1"),
    )
    assert_bad_input(activate, "safetensors only", "pytorch_model.bin")
    assert_bad_input(train, "safetensors only", "pytorch_model.bin")
    assert not marker.exists()


# -- a huge, partly broken import ---------------------------------------------------------------------


def write_big_import(path: Path) -> dict[str, int]:
    """100,000 rows in UTF-8 with a BOM (what Excel writes), with some CP949 rows, unknown labels and one
    2,000,000-character field among them. Returns how many of each kind were written."""
    counts = {"good": 0, "cp949": 0, "unknown_label": 0, "huge": 0}
    with path.open("wb") as f:
        f.write("\ufefftext,intent,emotion\n".encode())
        for i in range(100_000):
            if i == 50_000:
                f.write(b'"' + "아".encode() * 2_000_000 + b'",smalltalk,neutral\n')
                counts["huge"] += 1
            elif i % 1000 == 7:
                f.write(f"엑셀이 저장한 {i}번째 줄,smalltalk,neutral\n".encode("cp949"))
                counts["cp949"] += 1
            elif i % 997 == 3:
                f.write(f"{i}번째 문장,weather,neutral\n".encode())
                counts["unknown_label"] += 1
            else:
                f.write(f"오늘 {i}번째로 가져온 문장이에요,smalltalk,happiness\n".encode())
                counts["good"] += 1
    return counts


def test_a_100k_row_import_with_broken_rows_stays_in_bounded_memory_and_reports_them(home, tmp_path):
    path = tmp_path / "big.csv"
    counts = write_big_import(path)
    with Store.open(paths.database_path(home)) as store:
        conversation = store.create_conversation("먼저 있던 대화")
        store.log_turn(conversation.id, "먼저 있던 말", {}, None, "네", None)
        tracemalloc.start()
        try:
            result = import_file(path, store)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()

        assert peak < MEMORY_BOUND, f"peak {peak / 1e6:.1f} MB"
        assert result.utterances == store.example_count() == counts["good"]
        reasons = [reason for _, reason in result.rejected]
        assert len(reasons) == counts["cp949"] + counts["unknown_label"] + counts["huge"]
        assert sum("not valid UTF-8" in r for r in reasons) == counts["cp949"]
        assert sum("unknown intent label 'weather'" in r for r in reasons) == counts["unknown_label"]
        assert sum("longer than" in r for r in reasons) == counts["huge"]
        assert [m.text for m in store.messages(conversation.id)] == ["먼저 있던 말", "네"]


# -- formula cells on export -------------------------------------------------------------------------

FORMULA_TEXTS = [
    '=HYPERLINK("http://x","클릭")',
    "+82 10 1234",
    "-1+1",
    "@SUM(A1)",
    "\t=1+1 탭으로 시작",
    "\r=cmd|' /C calc'!A0",
    "\t\t@멘션",
    "'=이미 따옴표",
]


@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
def test_exported_cells_never_start_a_spreadsheet_formula(engine, tmp_path, suffix):
    cid = engine.new_conversation()
    for text in FORMULA_TEXTS:  # the chat stores text exactly, leading tabs and CRs included
        engine.label(engine.reply(cid, text).user.id, "intent", "smalltalk")
    target = tmp_path / f"export{suffix}"
    export_file(target, engine.store)

    with target.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t" if suffix == ".tsv" else ","))
    cells = [cell for row in rows for cell in row]
    assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    texts = [row[1] for row in rows[1:] if row[0] == "utterance"]
    assert texts == ["'" + text for text in FORMULA_TEXTS]

    fresh = tmp_path / "fresh.db"
    with Store.open(fresh) as store:  # and the quote comes off again on import
        assert import_file(target, store).utterances == len(FORMULA_TEXTS)
        assert sorted(e.text for e in store.examples()) == sorted(FORMULA_TEXTS)  # byte for byte
