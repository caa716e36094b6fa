"""Command line: every command is a thin wrapper over an engine function.

Exit codes: 0 success, 2 bad usage or bad input (one clear line on stderr), 1 internal error
(details in the log file), 130 training cancelled.

Warnings that do not stop a command (the active model was broken and an older one is used instead,
a bad field in settings.json, waiting for another program's write lock) are one line each on stderr.
`chat` reads stdin as bytes, one line at a time, whatever the locale: a line that is not text gets a
notice and is skipped, every other line is answered.
"""

from __future__ import annotations

import argparse
import codecs
import json
import locale
import logging
import re
import signal
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import NoReturn

from . import clarify, paths, progress
from .errors import InputError, KobertChatError, StoreError, TrainingCancelled
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

    pr = sub.add_parser("predict", help="classify texts (a text may start with '-', like -_-)")
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
        "--low-priority",
        action="store_true",
        help="train at a lower CPU priority (nice), so a window and chat on this machine stay responsive",
    )
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
    act = msub.add_parser("activate", help="load and check a version, then make it the active one")
    act.add_argument("version")
    msub.add_parser("rollback")

    la = sub.add_parser("labels", help="label sets (heads) and their labels")
    lsub = la.add_subparsers(
        dest="labels_command", metavar="list|remove", required=True, parser_class=_Parser
    )
    lsub.add_parser("list")
    rm = lsub.add_parser("remove", help="remove a label set and every label of it (not intent or emotion)")
    rm.add_argument("head", metavar="NAME")
    rm.add_argument("--yes", action="store_true", help="also when messages or examples carry its labels")

    dr = sub.add_parser(
        "doctor",
        help="find labels that are probably wrong (bundled data and yours), with the nearest lines as evidence",
    )
    dr.add_argument("--json", action="store_true")
    dr.add_argument(
        "--fix",
        nargs="+",
        metavar="ARG",
        help="N keep|remove|relabel [LABEL]: fix finding N of the last `doctor` run",
    )
    return p


_OPTION_LIKE = re.compile(r"--?[A-Za-z][A-Za-z0-9-]*(=.*)?")
_PREDICT_FLAGS = ("--json", "-h", "--help")
_GLOBAL_WITH_VALUE = ("--device", "--screenshot")


def _texts_as_positionals(argv: list[str]) -> list[str]:
    """`predict -_- --json` means the emoticon is a TEXT: after `predict`, everything that is not one of
    its flags (or an option-looking word argparse should reject, like --jsn) goes after a "--"."""
    i = 0
    while i < len(argv) and argv[i].startswith("-") and argv[i] != "--":
        i += 2 if argv[i] in _GLOBAL_WITH_VALUE else 1
    if i >= len(argv) or argv[i] != "predict":
        return argv
    flags: list[str] = []
    texts: list[str] = []
    rest = argv[i + 1 :]
    for j, arg in enumerate(rest):
        if arg == "--":
            texts.extend(rest[j + 1 :])
            break
        option = arg in _PREDICT_FLAGS or bool(_OPTION_LIKE.fullmatch(arg))
        (flags if option else texts).append(arg)
    return argv[: i + 1] + flags + (["--", *texts] if texts else [])


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
    return build_parser().parse_args(_texts_as_positionals(list(sys.argv[1:] if argv is None else argv)))


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
        "labels": _labels,
        "doctor": _doctor,
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
        print(f"error: {_one_line(e)}", file=sys.stderr)  # one line, whatever the message holds
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


def _one_line(text: object) -> str:
    return " ".join(str(text).split())


def _warn(message: str) -> None:
    print(_one_line(message), file=sys.stderr, flush=True)


def _open_engine(args, show_progress: bool = True, load_model: bool = True):
    """The engine with the CLI's warnings: settings fields that fell back, a model fallback (exactly
    one line), and "기다리는 중" while another program holds the write lock."""
    from .engine import ChatEngine

    def show(event: progress.Event) -> None:
        if isinstance(event, progress.Stage):
            print(f"[starter] {event.message}", file=sys.stderr)
        elif isinstance(event, progress.Epoch):
            print(f"[starter] epoch {event.epoch}: {json.dumps(event.val)}", file=sys.stderr)

    engine = ChatEngine.open(
        device=args.device, on_progress=show if show_progress else None, load_model=load_model
    )
    engine.on_wait = _warn
    for warning in engine.settings_warnings:
        _warn(f"warning: {warning}")
    if engine.model_warning:
        _warn(f"warning: {engine.model_warning}")
    return engine


def _open_store():
    from .store import Store

    store = Store.open(paths.database_path())
    store.on_wait = _warn
    return store


def _readable_output() -> None:
    """A terminal whose encoding lacks a character must not end the command after the work is done.
    ASCII (a bare C locale with UTF-8 mode off) is taken to mean "not configured": UTF-8 then, as
    Python itself does for the C locale."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is None:
            continue
        if codecs.lookup(getattr(stream, "encoding", None) or "ascii").name == "ascii":
            reconfigure(encoding="utf-8", errors="backslashreplace")
        else:
            reconfigure(errors="backslashreplace")


# -- commands ----------------------------------------------------------------------------------


MAX_CHAT_LINE_BYTES = 1_000_000  # far beyond any message; bounds memory on a stream without newlines


def _chat(args) -> int:
    _readable_output()
    engine = _open_engine(args)
    cid: int | None = None  # the first message creates the conversation and names it
    print(f"kobert-chat ({engine.model_version}, {engine.device}). 끝내려면 /quit 또는 Ctrl+D.")
    print(CHAT_HELP)
    stdin = sys.stdin.buffer  # bytes: a bad byte is one line's problem, never the end of the chat
    number = 0
    asked: tuple[int, tuple[str, ...]] | None = None  # an open clarifying question: (its id, its choices)
    last: tuple[int, int | None] | None = None  # the last turn: (the user's message id, the answer shown)
    displays = {lab: name for lab, name in engine.label_sets().get("intent", [])}
    while True:
        print("나> ", end="", flush=True)
        raw = stdin.readline(MAX_CHAT_LINE_BYTES)
        if not raw:
            print()
            return EXIT_OK
        number += 1
        if len(raw) >= MAX_CHAT_LINE_BYTES and not raw.endswith(b"\n"):
            while (rest := stdin.readline(MAX_CHAT_LINE_BYTES)) and not rest.endswith(b"\n"):
                pass
            print(f"  ({number}번째 줄이 너무 길어서 건너뛰었어요: line {number} is over 1 MB; skipped)")
            continue
        text = _decode_line(raw, first=number == 1)
        if text is None:
            print(
                f"  ({number}번째 줄은 글자로 읽을 수 없어서 건너뛰었어요: line {number} is not valid "
                f"UTF-8 text; skipped)"
            )
            continue
        if text.strip() in ("/quit", "/exit", "/q"):
            return EXIT_OK
        command, _, rest = text.strip().partition(" ")
        if command in ("/teach", "/stop"):
            print(f"  ({_teach_or_stop(engine, command, rest.strip(), last)})", flush=True)
            continue
        if asked and text.strip() in [str(i) for i in range(1, len(asked[1]) + 1)]:
            question_id, options = asked
            asked = None
            try:
                clarified = engine.answer_clarification(question_id, options[int(text.strip()) - 1])
            except (InputError, StoreError) as e:
                print(f"  ({_one_line(e)})")
                continue
            last = (clarified.user.id, clarified.bot.answer_id)
            print(f"봇> {clarified.bot.text}", flush=True)
            continue
        asked = None
        try:
            reply = engine.send(cid, text)
        except InputError as e:
            print(f"  ({_one_line(e)})")
            continue
        except StoreError as e:  # e.g. another program kept the write lock too long: nothing was saved
            print(f"  (저장하지 못했어요: {_one_line(e)})", flush=True)
            continue
        cid = reply.conversation_id
        last = (reply.user.id, reply.answer_id)
        tags = "  ".join(f"{h}={p.label} {p.confidence:.2f}" for h, p in reply.predictions.items())
        print(
            f"봇> {reply.bot.text}\n    [{tags}  {_path_tag(reply.path, reply.level, reply.link)}]",
            flush=True,
        )
        if reply.clarify_options:  # answered by typing its number, like a button in the window
            asked = (reply.bot.id, reply.clarify_options)
            choices = "  ".join(
                f"{i}) {clarify.button_text(o, displays)}" for i, o in enumerate(reply.clarify_options, 1)
            )
            print(f"    {choices}  (번호로 답해 주세요)", flush=True)


CHAT_HELP = "/teach 답: 방금 말에 이렇게 답하도록 가르치기 · /stop: 방금 답변 그만 쓰기 · /quit: 끝내기"


def _teach_or_stop(engine, command: str, text: str, last: tuple[int, int | None] | None) -> str:
    """`/teach TEXT` ("이렇게 답해 줘") and `/stop` ("이 답변 그만") for the last turn; the notice to show."""
    if last is None:
        return f"아직 대화가 없어요. {CHAT_HELP}"
    try:
        if command == "/teach":
            if not text:
                return "가르칠 답을 함께 써 주세요: /teach 그랬구나, 오늘 고생 많았어"
            answer = engine.teach_answer(last[0], text)
            return f"배웠어요: 다음부터 이 말에는 이렇게 답할게요 (answer {answer.id})"
        if last[1] is None:
            return "방금 말은 저장된 답변이 아니어서 멈출 수 없어요"
        engine.stop_answer(last[1])
        return f"이 답변은 이제 쓰지 않을게요 (answer {last[1]}; 답변 편집에서 다시 켤 수 있어요)"
    except (InputError, StoreError) as e:
        return _one_line(e)


def _decode_line(raw: bytes, first: bool) -> str | None:
    """One line of stdin without its line break, or None if it is not text. UTF-8 first (what pipes and
    modern terminals send), then the terminal's own encoding if that is something else (e.g. CP949)."""
    line = raw[:-1] if raw.endswith(b"\n") else raw
    line = line[:-1] if line.endswith(b"\r") else line
    if first and line.startswith(codecs.BOM_UTF8):
        line = line[len(codecs.BOM_UTF8) :]
    encodings = ["utf-8"]
    local = codecs.lookup(sys.stdin.encoding or locale.getpreferredencoding(False)).name
    if local != "utf-8":
        encodings.append(local)
    for encoding in encodings:
        try:
            return line.decode(encoding)
        except UnicodeDecodeError:
            continue
    return None


def _predict(args) -> int:
    _readable_output()
    texts = [t for t in args.texts]
    if any(not t.strip() for t in texts):
        raise InputError("empty TEXT: every text to predict must contain something")
    for number, text in enumerate(texts, 1):
        try:
            text.encode("utf-8")  # undecodable argv bytes arrive as lone surrogates
        except UnicodeEncodeError:
            raise InputError(
                f"TEXT {number} is not valid text (it holds bytes that are not UTF-8, or a lone "
                f"surrogate); pass UTF-8 text"
            ) from None
    engine = _open_engine(args)
    previews = engine.preview(texts)  # the predictions and the reply each would get; nothing is logged
    if args.json:
        rows = [
            {"text": v.text, **{h: p.to_dict() for h, p in v.predictions.items()}, "reply": v.to_dict()}
            for v in previews
        ]
        print(json.dumps({"model_version": engine.model_version, "predictions": rows}, ensure_ascii=False))
    else:
        for v in previews:
            tags = "  ".join(f"{h}={p.label} ({p.confidence:.2f})" for h, p in v.predictions.items())
            print(f"{v.text}\t{tags}\t{_path_tag(v.path, v.level, v.link)}")
    return EXIT_OK


LEVEL_NAMES = {"polite": "존댓말", "casual": "반말"}


def _path_tag(path: str, level: str | None, link) -> str:
    """'linked 0.82 "너 이름이 뭐야?" · 반말': how a reply was found, as the chat and predict show it."""
    what = f'linked {link.similarity:.2f} "{link.example[:30]}"' if link is not None else path
    return f"{what} · {LEVEL_NAMES.get(level or '', '-')}"


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

    if args.low_priority:
        from .threads import lower_priority

        lower_priority()
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
    # the engine, not the store alone: a question/answer file may need the model to file its questions
    # under an intent (loaded only then; plain files never import torch)
    engine = _open_engine(args, load_model=False)
    try:
        result = engine.import_file(args.file)
    finally:
        engine.close()
    skipped = f", skipped {result.duplicates} duplicates (already present)" if result.duplicates else ""
    pairs = f", {result.pairs} question/answer pairs" if result.pairs else ""
    print(
        f"accepted {result.accepted} rows ({result.utterances} utterances, {result.answers} answers"
        f"{pairs}), rejected {len(result.rejected)}{skipped}"
    )
    if result.pairs:
        print(
            f"pairs: {result.pair_answers} new linked answers; {result.pair_examples} labeled questions "
            f"also added as training examples"
        )
    for label, intent in sorted(result.mapped_labels.items()):
        print(f"  label {label!r} -> intent {intent}")
    if result.predicted_labels:
        labels = ", ".join(
            f"{label or '(none)'!r} x{n}" for label, n in result.predicted_labels.most_common(8)
        )
        intents = ", ".join(f"{i} x{n}" for i, n in result.predicted_intents.most_common())
        print(
            f"  labels naming no intent ({labels}): filed under the intent model {result.model_version} "
            f"predicts: {intents}"
        )
    if result.new_heads:
        print(f"new label sets from the file: {', '.join(result.new_heads)}")
    for line, reason in result.rejected[:50]:
        print(f"  line {line}: {reason}", file=sys.stderr)
    if len(result.rejected) > 50:
        print(f"  ... and {len(result.rejected) - 50} more", file=sys.stderr)
    return EXIT_OK


def _export(args) -> int:
    from .import_export import export_file

    with _open_store() as store:
        utterances, answers = export_file(args.file, store)
    print(f"exported {utterances} labeled utterances and {answers} answers to {args.file}")
    return EXIT_OK


def _doctor(args) -> int:
    from . import atomic
    from .doctor import Finding
    from .labels import HEAD_DISPLAY

    saved = paths.data_home() / "doctor.json"  # the last run, so `--fix N` means what was shown
    engine = _open_engine(args)
    try:
        if args.fix:
            if len(args.fix) not in (2, 3) or not args.fix[0].isdigit():
                raise InputError("--fix takes N keep|remove|relabel [LABEL] (N from the last `doctor` run)")
            try:
                findings = [Finding.from_dict(f) for f in json.loads(saved.read_text(encoding="utf-8"))]
            except (OSError, ValueError, KeyError) as e:
                raise InputError(f"run `doctor` first: no usable last run in {saved} ({_one_line(e)})") from e
            number, action = int(args.fix[0]), args.fix[1]
            if not 1 <= number <= len(findings):
                raise InputError(f"no finding {number}: the last run had {len(findings)}")
            engine.apply_doctor_fix(findings[number - 1], action, args.fix[2] if len(args.fix) == 3 else None)
            print(f"finding {number}: {action} done (takes effect at the next retrain)")
            return EXIT_OK
        findings = engine.doctor()
    finally:
        engine.close()
    atomic.write_text(saved, json.dumps([f.to_dict() for f in findings], ensure_ascii=False))
    if args.json:
        print(json.dumps({"findings": [f.to_dict() for f in findings]}, ensure_ascii=False))
        return EXIT_OK
    if not findings:
        print("문제가 될 만한 라벨을 찾지 못했어요. (no likely label problems found)")
    for i, f in enumerate(findings, 1):
        what = (
            "같은 문장에 다른 라벨"
            if f.kind == "conflict"
            else f"모델이 {f.confidence:.0%} 확신하며 다르게 봄"
        )
        print(
            f"{i}. [{HEAD_DISPLAY.get(f.head, f.head)}] {f.text[:60]!r}: {f.label} -> {f.suggested} ({what}; {f.ref})"
        )
        for n in f.evidence:
            print(f"     비슷한 문장: {n.text[:50]!r} = {n.label}")
    if findings:
        print(f"\n고치기: kobert-chat doctor --fix N keep|remove|relabel [LABEL]  ({len(findings)}개)")
    return EXIT_OK


def _models(args) -> int:
    if args.models_command == "list":  # the store alone: listing must not wait for torch to import
        with _open_store() as store:
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
    # activate and rollback load the version and smoke-test it first: a damaged one is refused
    engine = _open_engine(args, load_model=False)
    try:
        if args.models_command == "activate":
            print(f"active: {engine.activate(args.version).id}")
        else:
            print(f"rolled back; active: {engine.rollback().id}")
    finally:
        engine.close()
    return EXIT_OK


def _labels(args) -> int:
    from .labels import DEFAULT_HEADS

    with _open_store() as store:
        if args.labels_command == "list":
            for head, labels in store.label_sets().items():
                use = store.label_set_use(head)
                shown = ", ".join(
                    label if display == label else f"{label} ({display})" for label, display in labels
                )
                print(
                    f"{head} ({len(labels)}): {shown}  [{use.message_labels} message labels, "
                    f"{use.examples} imported examples]"
                )
            return EXIT_OK
        head = args.head
        use = store.label_set_use(head) if head in store.label_sets() else None
        in_use = use is not None and (use.message_labels or use.examples)
        if in_use and not args.yes and head not in DEFAULT_HEADS:  # (built-in heads: the store says no)
            assert use is not None
            raise InputError(
                f"label set {head!r} is used by {use.message_labels} message labels and {use.examples} "
                f"imported examples; `labels remove {head} --yes` deletes those labels too (the messages "
                f"stay, an example left with no label goes)"
            )
        removed = store.remove_label_set(head)
    print(
        f"removed label set {head!r} ({removed.labels} labels): deleted {removed.message_labels} labels on "
        f"messages (the messages stay), took its label off {removed.examples_changed} imported examples "
        f"and deleted {removed.examples_deleted} that had no other label. Model versions keep their "
        f"{head!r} output until the next retrain; it is no longer shown, labeled or exported."
    )
    return EXIT_OK
