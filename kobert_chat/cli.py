"""Command line: every command is a thin wrapper over an engine function.

Exit codes: 0 success, 2 bad usage or bad input (one clear line on stderr), 1 internal error
(details in the log file), 130 training cancelled.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from . import paths, progress
from .errors import KobertChatError, TrainingCancelled
from .exam import in_words

log = logging.getLogger("kobert_chat")
EXIT_OK, EXIT_INTERNAL, EXIT_BAD_INPUT, EXIT_CANCELLED = 0, 1, 2, 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one clear line, exit 2
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="kobert-chat", description="Offline Korean chatbot on a KoBERT-style classifier.")
    p.add_argument(
        "--screenshot", metavar="FILE.png", help="start the app, save the main window to FILE.png, exit"
    )
    p.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], help="override the device setting")
    sub = p.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_Parser
    )  # metavar: errors say COMMAND

    sub.add_parser("chat", help="terminal chat on the same engine")

    pr = sub.add_parser("predict", help="classify texts")
    pr.add_argument("texts", nargs="+", metavar="TEXT")
    pr.add_argument("--json", action="store_true")

    tr = sub.add_parser("train", help="retrain (bundled data + your labels), or train a head from a file")
    tr.add_argument("--data", type=Path, action="append", default=[], metavar="FILE")
    tr.add_argument("--text-column", default="text")
    tr.add_argument("--label-column", default="label")
    tr.add_argument("--head", metavar="NAME")
    tr.add_argument("--backbone", metavar="starter|kobert|PATH")
    tr.add_argument(
        "--download",
        action="store_true",
        help="with --backbone kobert: download skt/kobert-base-v1 if it is not on this machine "
        "(the only command that uses the network; resumes an interrupted download)",
    )
    tr.add_argument(
        "--mode",
        choices=["quick", "full"],
        default=None,
        help="quick (heads only, seconds) is the default for retrains; a new head from --data "
        "defaults to full, since a frozen encoder fits a label set it never saw poorly",
    )
    tr.add_argument("--epochs", type=_positive_int)
    tr.add_argument("--seed", type=int, default=0)
    out = tr.add_mutually_exclusive_group()
    out.add_argument("--out", type=Path, metavar="DIR")
    out.add_argument(
        "--activate", action="store_true", help="make it active if it is not worse than the current model"
    )
    tr.add_argument("--progress", choices=["jsonl", "text"], default="text")
    tr.add_argument(
        "--json",
        action="store_true",
        help="print the result as one JSON object (exam scores, the user's cases that flipped, the version)",
    )

    ev = sub.add_parser("evaluate", help="score a model on a labeled file")
    ev.add_argument("--data", type=Path, required=True, metavar="FILE")
    ev.add_argument("--model", type=Path, metavar="DIR")
    ev.add_argument("--head", metavar="NAME")
    ev.add_argument("--text-column", default="text")
    ev.add_argument("--label-column", default="label")
    ev.add_argument("--json", action="store_true")

    im = sub.add_parser("import", help="import labeled utterances and answers (CSV/TSV/JSONL)")
    im.add_argument("file", type=Path)
    ex = sub.add_parser("export", help="export your labeled utterances and answers (.csv or .jsonl)")
    ex.add_argument("file", type=Path)

    mo = sub.add_parser("models", help="model versions")
    msub = mo.add_subparsers(
        dest="models_command", metavar="list|activate|rollback", required=True, parser_class=_Parser
    )
    msub.add_parser("list")
    act = msub.add_parser("activate")
    act.add_argument("version")
    msub.add_parser("rollback")
    return p


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the command line (exits 2 with one line on bad usage). No command means the desktop app,
    which the launcher (kobert_chat/__main__.py) starts: the CLI itself never imports the UI."""
    return build_parser().parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """The CLI alone (a command is required); `kobert-chat` / `main.py` go through the launcher."""
    args = parse_args(argv)
    if args.command is None:
        print("error: no command given (chat, predict, train, ...); see --help", file=sys.stderr)
        return EXIT_BAD_INPUT
    return run(args)


def run(args: argparse.Namespace) -> int:
    handler = {
        "chat": _chat,
        "predict": _predict,
        "train": _train,
        "evaluate": _evaluate,
        "import": _import,
        "export": _export,
        "models": _models,
    }[args.command]
    return guarded(lambda: handler(args))


def guarded(action: Callable[[], int]) -> int:
    """Run a command with logging to the log file and the exit-code rules of the module docstring."""
    log_file = _setup_logging()
    try:
        return action()
    except TrainingCancelled:
        print("training cancelled; the active model is unchanged", file=sys.stderr)
        return EXIT_CANCELLED
    except KobertChatError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return EXIT_CANCELLED
    except Exception as e:  # noqa: BLE001 - last line of defence: log it, say where
        log.error("internal error\n%s", traceback.format_exc())
        print(f"internal error: {e!r} (details in {log_file})", file=sys.stderr)
        return EXIT_INTERNAL


def _setup_logging() -> Path:
    log_file = paths.logs_dir() / "kobert-chat.log"
    handler = logging.FileHandler(log_file, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    return log_file


def _open_engine(args, show_progress: bool = True):
    from .engine import ChatEngine

    def show(event: progress.Event) -> None:
        if isinstance(event, progress.Stage):
            print(f"[starter] {event.message}", file=sys.stderr)
        elif isinstance(event, progress.Epoch):
            print(f"[starter] epoch {event.epoch}: {json.dumps(event.val)}", file=sys.stderr)

    return ChatEngine.open(device=args.device, on_progress=show if show_progress else None)


# -- commands ----------------------------------------------------------------------------------


def _chat(args) -> int:
    from .errors import InputError

    engine = _open_engine(args)
    cid: int | None = None  # the first message creates the conversation and names it
    print(f"kobert-chat ({engine.model_version}, {engine.device}). 끝내려면 /quit 또는 Ctrl+D.")
    while True:
        try:
            text = input("나> ")
        except EOFError:
            print()
            return EXIT_OK
        if text.strip() in ("/quit", "/exit", "/q"):
            return EXIT_OK
        try:
            reply = engine.send(cid, text)
        except InputError as e:
            print(f"  ({e})")
            continue
        cid = reply.conversation_id
        tags = "  ".join(f"{h}={p.label} {p.confidence:.2f}" for h, p in reply.predictions.items())
        print(f"봇> {reply.bot.text}\n    [{tags}]")


def _predict(args) -> int:
    from .errors import InputError

    texts = [t for t in args.texts]
    if any(not t.strip() for t in texts):
        raise InputError("empty TEXT: every text to predict must contain something")
    engine = _open_engine(args)
    results = engine.classifier.predict_many(texts)
    if args.json:
        rows = [
            {"text": t, **{h: p.to_dict() for h, p in r.items()}} for t, r in zip(texts, results, strict=True)
        ]
        print(json.dumps({"model_version": engine.model_version, "predictions": rows}, ensure_ascii=False))
    else:
        for text, r in zip(texts, results, strict=True):
            tags = "  ".join(f"{h}={p.label} ({p.confidence:.2f})" for h, p in r.items())
            print(f"{text}\t{tags}")
    return EXIT_OK


def _train(args) -> int:
    from .training_job import TrainRequest, run_training

    stop = {"flag": False}
    signal.signal(
        signal.SIGTERM, lambda *_: stop.__setitem__("flag", True)
    )  # Cancel in the app sends SIGTERM first
    jsonl = args.progress == "jsonl"

    def emit(event: progress.Event) -> None:
        if jsonl:
            print(progress.to_json(event), flush=True)
        elif isinstance(event, progress.Epoch):
            print(
                f"epoch {event.epoch}: loss {event.loss} val {json.dumps(event.val)} (eta {event.eta_s}s)",
                file=sys.stderr,
            )
        elif isinstance(event, (progress.Stage, progress.Data)):
            print(progress.to_json(event), file=sys.stderr)
        elif isinstance(event, progress.Download):
            total = f"{event.total / 1e6:.1f}" if event.total else "?"
            print(f"downloading {event.file}: {event.done / 1e6:.1f} of {total} MB", file=sys.stderr)

    mode = args.mode or ("full" if args.data else "quick")  # see --mode's help
    request = TrainRequest(
        mode=mode,
        epochs=args.epochs,
        seed=args.seed,
        backbone=args.backbone,
        data=args.data,
        head=args.head,
        text_column=args.text_column,
        label_column=args.label_column,
        out=args.out,
        activate=args.activate,
        device=args.device or "auto",
        download=args.download,
    )
    try:
        done = run_training(request, progress=emit, should_stop=lambda: stop["flag"])
    except TrainingCancelled:
        if jsonl:
            print(progress.to_json(progress.Cancelled()), flush=True)
        raise
    except KobertChatError as e:
        if jsonl:
            print(progress.to_json(progress.Error(str(e))), flush=True)
        raise
    if done is None:  # a torchrun rank other than 0: rank 0 reports
        return EXIT_OK
    if jsonl:
        print(progress.to_json(done), flush=True)
    elif args.json:
        report = progress.to_dict(done)
        del report["event"]
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(training_summary(done))
    return EXIT_OK


def training_summary(done: progress.Done) -> str:
    """What a finished run means, in words: the exam, the user's own cases, the version."""
    from .labels import HEAD_DISPLAY

    lines = []
    if done.exam is not None:
        lines.append(f"시험 문장 {done.n_exam:,}개 (어떤 학습에도 쓰지 않은 문장)에서:")
        for head, new in done.exam.new.items():
            old = (done.exam.old or {}).get(head)
            lines.append("  " + in_words(HEAD_DISPLAY.get(head, head), new, old))
        lines.append(f"  {done.exam.verdict.reason}")
    if done.regressions is not None:
        r = done.regressions
        lines.append(
            f"내가 단 라벨 {r.cases:,}개 중 틀린 것: 지금 모델 {r.old_wrong:,}개, 새 모델 {r.new_wrong:,}개 "
            f"(새로 틀림 {len(r.broke):,}, 새로 맞힘 {len(r.fixed):,})"
        )
        for flip in r.broke[:10]:
            lines.append(f"  새로 틀림: {flip.text[:40]!r} {flip.head} {flip.label} -> {flip.new}")
    if done.version:
        state = "사용 중" if done.activated else "아직 쓰지 않음"
        lines.append(f"새 모델 {done.version} ({state}): {done.path}")
        if done.not_activated_reason:
            lines.append(f"  {done.not_activated_reason}")
    elif done.path:
        lines.append(f"모델 폴더: {done.path}")
    return "\n".join(lines)


def _evaluate(args) -> int:
    from .evaluate_file import evaluate_file

    report = evaluate_file(
        args.data,
        model_dir=args.model,
        head=args.head,
        text_column=args.text_column,
        label_column=args.label_column,
        device=args.device or "auto",
    )
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
    else:
        print(
            f"model {report['model']}  head {report['head']}  n={report['n']}  rejected={report['rejected']}"
        )
        print(f"accuracy {report['accuracy']:.4f}   macro-F1 {report['macro_f1']:.4f}")
        print(f"{'label':<16}{'prec':>8}{'recall':>8}{'f1':>8}{'n':>7}")
        for label, m in report["per_label"].items():
            print(f"{label:<16}{m['precision']:>8.3f}{m['recall']:>8.3f}{m['f1']:>8.3f}{m['support']:>7}")
    return EXIT_OK


def _import(args) -> int:
    from .import_export import import_file

    result = import_file(args.file)
    skipped = f", skipped {result.duplicates} duplicates (already present)" if result.duplicates else ""
    print(
        f"accepted {result.accepted} rows ({result.utterances} utterances, {result.answers} answers), "
        f"rejected {len(result.rejected)}{skipped}"
    )
    for line, reason in result.rejected[:50]:
        print(f"  line {line}: {reason}", file=sys.stderr)
    if len(result.rejected) > 50:
        print(f"  ... and {len(result.rejected) - 50} more", file=sys.stderr)
    return EXIT_OK


def _export(args) -> int:
    from .import_export import export_file

    utterances, answers = export_file(args.file)
    print(f"exported {utterances} labeled utterances and {answers} answers to {args.file}")
    return EXIT_OK


def _models(args) -> int:
    from .store import Store

    store = Store.open(paths.database_path())
    try:
        if args.models_command == "list":  # the store alone: listing must not wait for torch to import
            versions = store.model_versions()
            if not versions:
                print("no model versions yet (the first start builds the starter)")
            for v in versions:
                val = v.metrics.get("validation", {})
                f1 = "  ".join(f"{h} F1 {m.get('macro_f1', 0):.3f}" for h, m in val.items())
                print(
                    f"{'*' if v.active else ' '} {v.id}  {v.backbone:<8} {v.created_at[:19]}  n={v.n_train}  {f1}"
                )
            return EXIT_OK
        from .registry import Registry

        registry = Registry(store, paths.models_dir())
        if args.models_command == "activate":
            print(f"active: {registry.activate(args.version).id}")
        else:
            print(f"rolled back; active: {registry.rollback().id}")
    finally:
        store.close()
    return EXIT_OK
