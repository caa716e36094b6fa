"""`train` and `evaluate` as the app and scripts run them: `python main.py train ...` in a child process.

The trainings are real (quick mode, one or two epochs, on the tiny model) and start side by side once
per session, each on its own data home; the tests then check what a user would see in each home.
"""

from __future__ import annotations

import json
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from kobert_chat import paths
from kobert_chat.labels import EMOTIONS, INTENTS
from kobert_chat.nlu.inference import Classifier
from kobert_chat.registry import STAGING_PREFIX, Registry
from kobert_chat.store import Store
from tests.helpers import install_model
from tests.helpers.cli import (
    ROOT,
    SAFETY_TIMEOUT_S,
    Result,
    assert_bad_input,
    cli_env,
    command,
    mood_rows,
    run,
    run_side_by_side,
    sentiment_rows,
    start,
    write_jsonl,
    write_table,
)

REPORT_KEYS = {"accuracy", "macro_f1", "per_label", "labels", "confusion"}
QUICK_1 = ("--mode", "quick", "--epochs", "1")


@dataclass(frozen=True)
class Training:
    home: Path
    before: str  # the active version when training started
    result: Result


def open_store(home: Path) -> Store:
    return Store.open(paths.database_path(home))


def version_ids(home: Path) -> set[str]:
    with open_store(home) as store:
        return {v.id for v in store.model_versions()}


def active_version(home: Path) -> str | None:
    with open_store(home) as store:
        active = store.active_model_version()
        return active.id if active else None


def labels_json(home: Path, version_id: str) -> dict[str, list[str]]:
    with open_store(home) as store:
        folder = Path(store.model_version(version_id).path)
    return json.loads((folder / "labels.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def data_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("data")
    mood = mood_rows()  # alternating labels, so every third row still mixes both
    return {
        "sentiment": write_table(folder / "sentiment.csv", ["text", "label"], sentiment_rows()),
        "mood_cp949": write_table(folder / "mood_excel.csv", ["문장", "Mood"], mood[0::3], encoding="cp949"),
        "mood_tsv": write_table(folder / "mood.tsv", ["문장", "Mood"], mood[1::3], delimiter="\t"),
        "mood_jsonl": write_jsonl(folder / "mood.jsonl", [{"문장": t, "Mood": m} for t, m in mood[2::3]]),
    }


@pytest.fixture(scope="session")
def trainings(
    tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path, data_files: dict[str, Path]
) -> dict[str, Training]:
    out_dir = tmp_path_factory.mktemp("out") / "my-model"
    plans = {
        "retrain": ("train", "--mode", "quick", "--epochs", "2", "--progress", "jsonl"),
        "activate": ("train", *QUICK_1, "--progress", "jsonl", "--activate"),
        "out": ("train", *QUICK_1, "--out", out_dir, "--json"),
        "sentiment": (
            "train",
            "--data",
            data_files["sentiment"],
            "--head",
            "sentiment",
            *QUICK_1,
            "--progress",
            "jsonl",
        ),
        "mood": (
            "train",
            "--data",
            data_files["mood_cp949"],
            "--data",
            data_files["mood_tsv"],
            "--data",
            data_files["mood_jsonl"],
            "--text-column",
            "문장",
            "--label-column",
            "Mood",
            "--head",
            "mood",
            *QUICK_1,
            "--progress",
            "jsonl",
        ),
    }
    started = {}
    for name, args in plans.items():
        home = tmp_path_factory.mktemp(name) / "home"
        home.mkdir()
        started[name] = (home, install_model(home, tiny_model_dir), start(home, *args))
    return {name: Training(home, before, wait()) for name, (home, before, wait) in started.items()}


# -- retraining on bundled data + user labels --------------------------------------------------------


def test_retrain_streams_json_progress_then_registers_an_inactive_version(trainings):
    t = trainings["retrain"]
    assert t.result.code == 0, t.result
    events = t.result.events()  # every stdout line is JSON
    kinds = [e["event"] for e in events]

    assert kinds[0] == "start" and kinds[-1] == "done"
    assert set(kinds) == {"start", "step", "epoch", "stage", "done"}
    stages = [e["stage"] for e in events if e["event"] == "stage"]  # after the last epoch: the TF-IDF
    assert stages == ["tfidf", "exam"] and kinds.index("stage") > max(  # expert's fit, then the exam
        i for i, k in enumerate(kinds) if k == "epoch"
    )
    assert kinds.count("epoch") == 2 and kinds.index("step") < kinds.index("epoch")
    start_event = events[0]
    assert start_event["epochs"] == 2 and start_event["n_train"] > 0 and start_event["n_val"] > 0
    steps = [e["step"] for e in events if e["event"] == "step"]
    assert steps == sorted(steps) and steps[-1] == start_event["total_steps"]
    for epoch in (e for e in events if e["event"] == "epoch"):
        assert set(epoch["val"]) == {"intent", "emotion"}

    done = events[-1]
    assert done["activated"] is False
    for head in ("intent", "emotion"):
        assert REPORT_KEYS <= set(done["metrics"][head])
        for model in ("new", "old"):  # both models on the same exam, which no fit saw
            assert {"n", "correct", "macro_f1", "per_label"} <= set(done["exam"][model][head])
            assert done["exam"][model][head]["n"] > 0
    assert done["n_exam"] > 0 and isinstance(done["exam"]["verdict"]["promote"], bool)
    assert done["metrics"]["intent"]["labels"] == [i for i, _ in INTENTS]
    assert done["metrics"]["emotion"]["labels"] == [e for e, _ in EMOTIONS]

    assert version_ids(t.home) == {t.before, done["version"]}
    assert active_version(t.home) == t.before  # the user decides: promote or discard
    assert Path(done["path"]).is_dir()
    with open_store(t.home) as store:
        assert store.last_training_run("succeeded").version_id == done["version"]


def test_retrain_with_activate_promotes_a_model_that_is_not_worse(trainings):
    t = trainings["activate"]
    assert t.result.code == 0, t.result
    done = t.result.events()[-1]

    def score(metrics: dict) -> float:
        return float(np.mean([metrics[h]["macro_f1"] for h in ("intent", "emotion")]))

    # The tiny test model saw 600 lines for 3 epochs; a retrain on all bundled lines is better on the exam.
    assert score(done["exam"]["new"]) >= score(done["exam"]["old"]) - 0.005
    assert done["exam"]["verdict"]["promote"] is True and done["activated"] is True
    assert active_version(t.home) == done["version"] != t.before


def test_out_writes_a_loadable_folder_and_registers_nothing(trainings):
    t = trainings["out"]
    assert t.result.code == 0, t.result
    summary = json.loads(t.result.out)  # --json: one JSON summary on stdout, progress on stderr
    out = Path(summary["path"])
    assert "version" not in summary and set(summary["metrics"]) == {"intent", "emotion"}
    assert "epoch 1" in t.result.err

    assert {"config.json", "model.safetensors", "spiece.model", "labels.json"} <= {
        p.name for p in out.iterdir()
    }
    prediction = Classifier.load(out, "cpu").predict("안녕하세요 반가워요")
    assert prediction["intent"].label in {i for i, _ in INTENTS}
    assert version_ids(t.home) == {t.before} and active_version(t.home) == t.before
    assert not list(out.parent.glob(".*"))  # no temp folder left beside it


# -- a new head from a labeled file ------------------------------------------------------------------


def test_train_a_new_head_from_a_csv_then_evaluate_it(trainings, data_files):
    t = trainings["sentiment"]
    assert t.result.code == 0, t.result
    events = t.result.events()
    [data] = [e for e in events if e["event"] == "data"]
    assert (data["rows"], data["rejected"], data["head"]) == (60, 0, "sentiment")
    done = events[-1]
    assert "sentiment" in done["metrics"]

    heads = labels_json(t.home, done["version"])
    assert sorted(heads["sentiment"]) == ["negative", "neutral", "positive"]
    assert heads["intent"] == [i for i, _ in INTENTS]  # the chat heads are kept
    assert active_version(t.home) == t.before

    with open_store(t.home) as store:
        folder = store.model_version(done["version"]).path
        # the label set was recorded with the version, in the order of the model's outputs
        assert [label for label, _ in store.label_sets()["sentiment"]] == heads["sentiment"]
    result = run(
        t.home,
        "evaluate",
        "--data",
        data_files["sentiment"],
        "--model",
        folder,
        "--head",
        "sentiment",
        "--json",
    )
    assert result.code == 0, result
    report = json.loads(result.out)
    assert report["head"] == "sentiment" and report["n"] == 60
    assert 0.0 <= report["accuracy"] <= 1.0 and 0.0 <= report["macro_f1"] <= 1.0
    assert set(report["per_label"]) == {"negative", "neutral", "positive"}
    assert sum(m["support"] for m in report["per_label"].values()) == 60


def test_train_from_cp949_csv_tsv_and_jsonl_with_other_column_names(trainings):
    t = trainings["mood"]
    assert t.result.code == 0, t.result
    events = t.result.events()
    [data] = [e for e in events if e["event"] == "data"]
    assert (data["rows"], data["rejected"]) == (40, 0)
    assert sorted(data["labels"]) == ["나쁨", "좋음"]
    assert sorted(labels_json(t.home, events[-1]["version"])["mood"]) == ["나쁨", "좋음"]


def test_unusable_training_input_is_bad_input_and_changes_nothing(model_home: Path, tmp_path: Path):
    before = version_ids(model_home)
    rows = sentiment_rows()
    no_label = write_table(tmp_path / "no_label.csv", ["text", "category"], rows)
    one_class = write_table(tmp_path / "one_class.csv", ["text", "label"], [(t, "positive") for t, _ in rows])
    full = tmp_path / "full"
    full.mkdir()
    (full / "notes.txt").write_text("내 파일", encoding="utf-8")

    missing_column, single, missing_file, not_empty, no_head = run_side_by_side(
        model_home,
        ("train", "--data", no_label, "--head", "sentiment", *QUICK_1, "--progress", "jsonl"),
        ("train", "--data", one_class, "--head", "sentiment", *QUICK_1),
        ("train", "--data", tmp_path / "nowhere.csv", "--head", "sentiment", *QUICK_1),
        ("train", *QUICK_1, "--out", full),
        ("train", "--data", one_class, *QUICK_1),
    )

    line = assert_bad_input(missing_column, "'label'", "category")
    assert missing_column.events() == [{"event": "error", "message": line.removeprefix("error: ")}]
    assert_bad_input(single, "one label", "positive")
    assert_bad_input(missing_file, "nowhere.csv")
    assert_bad_input(not_empty, "not empty")
    assert_bad_input(no_head, "--head")
    assert version_ids(model_home) == before
    assert [p.name for p in full.iterdir()] == ["notes.txt"]


# -- evaluate ----------------------------------------------------------------------------------------

INTENT_SAMPLES = [
    ("안녕하세요 좋은 아침이에요", "greeting"),
    ("오랜만이야 잘 지냈어?", "greeting"),
    ("이제 가 볼게 다음에 봐", "farewell"),
    ("도와줘서 정말 고마워", "thanks"),
    ("내가 잘못했어 미안해", "apology"),
    ("요즘 일이 너무 많아서 걱정이야", "worry"),
    ("너 정말 대단하다", "praise"),
    ("대답이 왜 이렇게 엉망이야", "complaint"),
]


def test_evaluate_a_model_folder_prints_scores(home: Path, tiny_model_dir: Path, tmp_path: Path):
    data = write_table(tmp_path / "intents.csv", ["text", "label"], INTENT_SAMPLES)
    as_json, plain = run_side_by_side(
        home,
        ("evaluate", "--data", data, "--model", tiny_model_dir, "--json"),
        ("evaluate", "--data", data, "--model", tiny_model_dir),
    )

    assert as_json.code == 0, as_json
    report = json.loads(as_json.out)
    assert report["model"] == str(tiny_model_dir) and report["head"] == "intent"
    assert report["n"] == len(INTENT_SAMPLES) and report["rejected"] == 0
    assert 0.0 <= report["accuracy"] <= 1.0 and 0.0 <= report["macro_f1"] <= 1.0
    assert {label for _, label in INTENT_SAMPLES} <= set(report["per_label"])
    assert plain.code == 0, plain
    assert "accuracy" in plain.out and "macro-F1" in plain.out and "greeting" in plain.out


def test_evaluate_reports_labels_the_model_does_not_know(model_home: Path, tmp_path: Path):
    rows = [
        *INTENT_SAMPLES,
        ("내일 비 온대?", "weather"),
        ("주말에 뭐 살까", "shopping"),
        ("우산 챙겨야 해?", "weather"),
    ]
    data = write_table(tmp_path / "new_labels.csv", ["text", "intent"], rows)  # a column named after the head
    known = run(model_home, "evaluate", "--data", data, "--json")

    assert known.code == 0, known
    report = json.loads(known.out)
    assert report["model"] == active_version(model_home)
    assert report["n"] == len(rows)
    assert report["unknown_labels"] == ["shopping", "weather"]
    assert report["per_label"]["weather"]["support"] == 2 and report["per_label"]["weather"]["recall"] == 0


# -- cancel ------------------------------------------------------------------------------------------


def test_sigterm_cancels_training_and_leaves_the_models_as_they_were(model_home: Path):
    before = version_ids(model_home)
    proc = subprocess.Popen(
        command("train", "--mode", "full", "--epochs", "50", "--progress", "jsonl"),
        cwd=ROOT,
        env=cli_env(model_home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )
    events = []
    for line in proc.stdout:  # wait until training is really under way
        events.append(json.loads(line))
        if events[-1]["event"] == "step":
            break
    proc.send_signal(signal.SIGTERM)
    rest, err = proc.communicate(timeout=SAFETY_TIMEOUT_S)
    events += [json.loads(line) for line in rest.splitlines()]

    assert proc.returncode == 130, err
    assert events[-1] == {"event": "cancelled"}
    assert "done" not in [e["event"] for e in events]
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and "cancelled" in err
    with open_store(model_home) as store:
        Registry(store, paths.models_dir(model_home)).sweep_staging()  # what the next engine open does
        assert {v.id for v in store.model_versions()} == before
        assert store.last_training_run("cancelled") is not None
    assert not list(paths.models_dir(model_home).glob(STAGING_PREFIX + "*"))
    assert active_version(model_home) in before
