"""`train` under torchrun: two CPU processes (gloo) fine-tune one tiny KoBERT-family model with
DistributedDataParallel; only rank 0 writes the version and reports progress."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from kobert_chat import paths
from kobert_chat.evaluate_file import evaluate_file
from kobert_chat.nlu.distributed import Dist
from kobert_chat.nlu.model_io import load_model
from kobert_chat.store import Store
from tests.helpers.cli import ROOT, SAFETY_TIMEOUT_S, cli_env
from tests.helpers.kobert import one_torch_thread, tiny_kobert


@pytest.fixture(autouse=True)
def _one_torch_thread():
    with one_torch_thread():
        yield


def test_each_rank_gets_an_equal_disjoint_share_of_every_epoch():
    order = np.random.default_rng(0).permutation(7)
    shards = [Dist(rank, 2).shard(order) for rank in range(2)]
    assert [len(s) for s in shards] == [4, 4]  # equal: every rank takes the same number of steps
    assert set(shards[0]) | set(shards[1]) == set(range(7))
    assert len(set(shards[0]) & set(shards[1])) == 1  # only the one example that pads the last step repeats
    assert list(Dist().shard(order)) == list(order)  # one process: untouched


def test_torchrun_two_cpu_processes_make_one_version_that_loads_and_evaluates(
    model_home: Path, tmp_path: Path
):
    # A KoBERT-layout folder (no n-gram channel): full fine-tuning of encoder + heads is what DDP is for, and
    # it keeps this test short.
    backbone = tiny_kobert(tmp_path / "kobert")
    before = _versions(model_home)
    torchrun = Path(sys.executable).parent / "torchrun"
    # --standalone: torchrun picks a free port, so parallel runs on one machine cannot collide on 29500.
    cmd = [
        str(torchrun),
        "--standalone",
        "--nproc_per_node=2",
        "main.py",
        "--device",
        "cpu",
        "train",
        "--backbone",
        str(backbone),
        "--mode",
        "full",
        "--epochs",
        "1",
        "--progress",
        "jsonl",
    ]
    proc = subprocess.run(
        cmd, cwd=ROOT, env=cli_env(model_home), capture_output=True, text=True, timeout=SAFETY_TIMEOUT_S
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    kinds = [e["event"] for e in events]
    assert (
        kinds.count("start") == 1 and kinds.count("done") == 1 and kinds[-1] == "done"
    )  # rank 0 alone reports
    steps = [e["step"] for e in events if e["event"] == "step"]
    assert steps == sorted(set(steps)) and steps[-1] == events[0]["total_steps"]
    assert events[0]["n_train"] > 2 * events[0]["total_steps"]  # each rank ran half of the batches

    new = [v for v in _versions(model_home) if v.id not in {b.id for b in before}]
    assert len(new) == 1 and new[0].id == events[-1]["version"]  # rank 0 alone writes
    assert not list(paths.models_dir(model_home).glob(".staging-*"))
    assert new[0].backbone == "kobert" and new[0].n_train == events[0]["n_train"]
    model, _ = load_model(Path(new[0].path))
    assert set(model.heads_config.heads) == {"intent", "emotion"} and model.ngram is None

    data = tmp_path / "eval.csv"
    data.write_text(
        "text,label\n안녕하세요 반가워요,greeting\n정말 고마워요,thanks\n헤어지자고 했어,breakup\n",
        encoding="utf-8",
    )
    report = evaluate_file(data, model_dir=Path(new[0].path), head="intent", device="cpu")
    assert report["n"] == 3 and 0.0 <= report["accuracy"] <= 1.0


def _versions(home: Path):
    store = Store.open(paths.database_path(home))
    try:
        return store.model_versions()
    finally:
        store.close()
