"""The app's training child runs `train --low-priority`: it yields the cores to the window and its chat."""

from __future__ import annotations

from kobert_chat import cli


def test_train_accepts_low_priority():
    args = cli.build_parser().parse_args(["train", "--mode", "quick", "--low-priority"])
    assert args.low_priority is True
    assert cli.build_parser().parse_args(["train"]).low_priority is False


def test_the_apps_training_child_asks_for_it(home, qtbot):
    from ui.training_process import TrainingProcess

    proc = TrainingProcess(home)
    args = proc.arguments("quick", ("--epochs", "1"))
    assert args[:3] == ["-m", "kobert_chat", "train"]
    parsed = cli.build_parser().parse_args(args[2:])
    assert (
        parsed.low_priority and parsed.mode == "quick" and parsed.epochs == 1 and parsed.progress == "jsonl"
    )
