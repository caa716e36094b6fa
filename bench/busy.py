"""A busy machine on purpose: bounded CPU-bound processes beside a measurement, and thread counts
compared in the same process while they run.

    python bench/busy.py threads [--busy 2] [--rounds 3] [--steps 20]
    python bench/busy.py predict --model FOLDER [--busy 2] [--rounds 3] [--steps 10]

`busy_processes(n)` starts n Python busy loops (each ends by itself after `max_s`, and is killed when
the block exits, whatever happens). `thread_steps` times training steps of the starter-shaped model
(the shipped recipe's encoder, n-gram channel and heads; the real optimisers) at several torch thread
counts, alternating the counts round by round so a change in the other programs' load falls on all
of them alike; a ratio of two counts measured that way holds on a busy machine where absolute times
do not.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stats import spread  # noqa: E402

# A loop that ends by itself after max_s, or as soon as the benchmark that started it is gone (killed
# by a timeout, say): a benchmark never leaves a CPU hog behind.
BUSY_LOOP = (
    "import os, sys, time\n"
    "parent, end = os.getppid(), time.monotonic() + float(sys.argv[1])\n"
    "while time.monotonic() < end and os.getppid() == parent:\n"
    "    sum(range(1000))\n"
)


def load() -> float:
    return round(os.getloadavg()[0], 2)


@contextmanager
def busy_processes(n: int = 2, max_s: float = 1800.0) -> Iterator[list[subprocess.Popen]]:
    """n CPU-bound processes for the duration of the block (each stops by itself after max_s)."""
    procs: list[subprocess.Popen] = []
    try:
        for _ in range(n):
            procs.append(subprocess.Popen([sys.executable, "-c", BUSY_LOOP, str(max_s)]))
        time.sleep(1.0)  # let the scheduler see them
        yield procs
    finally:
        for p in procs:
            p.kill()
        for p in procs:
            p.wait()


def _step_runner(seed: int = 0):
    """One training step of the starter's shape on a fixed batch sequence: returns step()."""
    import torch

    from bench.fixtures import text_set
    from kobert_chat.labels import DEFAULT_HEADS
    from kobert_chat.nlu import objective, optim
    from kobert_chat.nlu.model import HeadsConfig, KoBertClassifier, starter_bert_config
    from kobert_chat.nlu.ngrams import batch_from_features, ngram_features
    from kobert_chat.nlu.starter import DEFAULT_RECIPE as R
    from kobert_chat.nlu.tokenizer import pad
    from kobert_chat.nlu.training import TrainConfig
    from kobert_chat.training_data import bundled_examples

    torch.manual_seed(seed)
    heads = {name: [lab for lab, _ in labels] for name, labels in DEFAULT_HEADS.items()}
    model = KoBertClassifier(
        starter_bert_config(4000, layers=R.layers, hidden=R.hidden, heads=R.attention_heads),
        HeadsConfig(heads=heads, ngram_buckets=R.ngram_buckets, ngram_dim=R.ngram_dim),
    )
    model.train()
    config = TrainConfig(lr=R.lr, head_lr=R.head_lr)
    opts = optim.optimizers(model, config)
    examples = {ex.text: ex for ex in bundled_examples("test")}
    texts = [t for t in text_set(256) if t in examples]
    rng = random.Random(seed)
    # Token ids: a stand-in tokenizer (characters mod the vocabulary) keeps this free of the starter build.
    batches = []
    for start in range(0, len(texts) - 31, 32):
        chunk = texts[start : start + 32]
        ids = [[2] + [4 + (ord(c) % 3990) for c in t[:62]] + [3] for t in chunk]
        grams = batch_from_features([ngram_features(t, R.ngram_buckets) for t in chunk])
        exs = [examples[t] for t in chunk]
        batches.append((pad(ids), grams, objective.targets(model, exs)))
    rng.shuffle(batches)
    weights = objective.class_weights(model, batches[0][2], torch.device("cpu"))
    state = {"i": 0}

    def step() -> None:
        inputs, grams, tg = batches[state["i"] % len(batches)]
        state["i"] += 1
        logits = model(inputs, grams)
        loss = objective.loss(logits, tg, torch.ones(len(inputs.input_ids)), weights)
        for o in opts:
            o.zero_grad(set_to_none=True)
        loss.backward()
        for o in opts:
            o.step()

    return step


def thread_steps(thread_counts: Sequence[int] = (1, 2), rounds: int = 3, steps: int = 20) -> dict:
    """ms per training step at each thread count: {count: spread}, plus the ratio of the first two
    counts' medians (round by round: ratio[r] = time(a) / time(b) in round r)."""
    import torch

    step = _step_runner()
    for _ in range(3):
        step()  # warm up allocations and the thread pool
    times: dict[int, list[float]] = {n: [] for n in thread_counts}
    loads = []
    for r in range(rounds):
        order = list(thread_counts) if r % 2 == 0 else list(reversed(thread_counts))
        for n in order:
            torch.set_num_threads(n)
            step()  # the pool resizes on the first op
            t0 = time.perf_counter()
            for _ in range(steps):
                step()
            times[n].append((time.perf_counter() - t0) / steps * 1000)
        loads.append(load())
    out: dict = {f"ms_per_step_{n}_threads": spread(v) for n, v in times.items()}
    if len(thread_counts) >= 2:
        a, b = thread_counts[0], thread_counts[1]
        out[f"speedup_{a}_over_{b}_threads"] = spread(
            [tb / ta for ta, tb in zip(times[a], times[b], strict=True)]
        )
    out["load"] = spread(loads)
    out["steps_per_round"] = steps
    return out


def thread_predicts(
    folder: Path, thread_counts: Sequence[int] = (1, 2), rounds: int = 3, n: int = 10
) -> dict:
    """ms per one-sentence predict (what a chat reply runs) of a model folder at each thread count,
    alternating the counts round by round (as thread_steps)."""
    import torch

    from bench.fixtures import text_set
    from kobert_chat.nlu.inference import Classifier

    clf = Classifier.load(folder, device="cpu")
    texts = text_set(256)
    clf.predict(texts[0])
    times: dict[int, list[float]] = {k: [] for k in thread_counts}
    loads = []
    with torch.inference_mode():
        for r in range(rounds):
            for k in thread_counts if r % 2 == 0 else list(reversed(thread_counts)):
                torch.set_num_threads(k)
                clf.predict(texts[1])
                t0 = time.perf_counter()
                for text in texts[r * n : (r + 1) * n]:
                    clf.predict(text)
                times[k].append((time.perf_counter() - t0) / n * 1000)
            loads.append(load())
    out: dict = {f"ms_per_predict_{k}_threads": spread(v) for k, v in times.items()}
    a, b = thread_counts[0], thread_counts[1]
    out[f"speedup_{a}_over_{b}_threads"] = spread(
        [tb / ta for ta, tb in zip(times[a], times[b], strict=True)]
    )
    out["load"] = spread(loads)
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("what", choices=["threads", "predict"])
    ap.add_argument(
        "--model", type=Path, help="predict: the model folder (e.g. bench/out/cache/kobert-size-random)"
    )
    ap.add_argument("--busy", type=int, default=2, help="CPU-bound processes beside it (0: none)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--threads", default="1,2")
    args = ap.parse_args()
    counts = [int(x) for x in args.threads.split(",")]
    before = load()
    with busy_processes(args.busy):
        if args.what == "threads":
            result = thread_steps(counts, args.rounds, args.steps)
        else:
            result = thread_predicts(args.model, counts, args.rounds, args.steps)
    result["busy_processes"] = args.busy
    result["load_before"] = before
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
