"""How well a message finds the linked example it paraphrases, and how rarely an unrelated one does.

    python bench/linked_answers.py [--model DIR] [--json]

bench/data/qa_pairs.csv: 60 question/answer pairs written for this project (everyday chatbot
questions: the bot itself, how to use it, food, worries, love, thanks...). bench/data/qa_probes.csv:
for each question one paraphrase a user might type instead (other words, spacing, 존댓말 <-> 반말,
typos), and 58 lines that share words or a topic with a question but ask something else (they must
not get its answer).

Each similarity is scored the way a reply uses it: the probe's nearest question, accepted when its
similarity reaches the threshold. A paraphrase counts as right only if its nearest question is its
own; a non-match counts as right if nothing reaches the threshold. `all intents` searches the 60
questions at once (the hard case); `within intent` first keeps the questions the model files under
the probe's predicted intent, as replies do (needs --model, or the active model of KOBERT_CHAT_HOME).

Variants: the shipped n-grams (linked_answers.grams), simpler char n-gram sets, and with a model the
encoder's pooled features (cosine) alone and averaged with the shipped TF-IDF.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kobert_chat.linked_answers import CROSS_INTENT_MARGIN, LinkIndex, grams, normalize  # noqa: E402
from kobert_chat.settings import Settings  # noqa: E402
from kobert_chat.store import AnswerLink  # noqa: E402

DATA = ROOT / "bench" / "data"
THRESHOLDS = [round(0.20 + 0.05 * i, 2) for i in range(13)]  # 0.20 .. 0.80


def word_grams(sizes: tuple[int, ...], clean: bool = True) -> Callable[[str], list[str]]:
    def analyzer(text: str) -> list[str]:
        t = normalize(text) if clean else unicodedata.normalize("NFC", text).lower()
        out = []
        for word in t.split():
            padded = f" {word} "
            for n in sizes:
                out.extend(padded[i : i + n] for i in range(len(padded) - n + 1) if padded[i : i + n] != " ")
        return out

    return analyzer


def spaceless_grams(sizes: tuple[int, ...]) -> Callable[[str], list[str]]:
    def analyzer(text: str) -> list[str]:
        t = re.sub(r"\s+", "", normalize(text))
        return [t[i : i + n] for n in sizes for i in range(len(t) - n + 1)]

    return analyzer


VARIANTS: dict[str, Callable[[str], list[str]]] = {
    "shipped: word 1-3 + spaceless 2-3": grams,
    "word 1-3 (char_wb)": word_grams((1, 2, 3)),
    "word 1-4 (char_wb)": word_grams((1, 2, 3, 4)),
    "word 2-4 (char_wb)": word_grams((2, 3, 4)),
    "word 1-3, no clean-up": word_grams((1, 2, 3), clean=False),
    "spaceless 1-3": spaceless_grams((1, 2, 3)),
    "spaceless 2-3": spaceless_grams((2, 3)),
}


def load() -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    with (DATA / "qa_pairs.csv").open(encoding="utf-8", newline="") as f:
        pairs = [(r["Q"], r["A"], r["label"]) for r in csv.DictReader(f)]
    with (DATA / "qa_probes.csv").open(encoding="utf-8", newline="") as f:
        probes = [(r["text"], r["expected"]) for r in csv.DictReader(f)]
    return pairs, probes


def links_of(questions: list[str], intents: list[str]) -> list[AnswerLink]:
    return [
        AnswerLink(i + 1, i + 1, q, intent, "label", None, None, "bench", "")
        for i, (q, intent) in enumerate(zip(questions, intents, strict=True))
    ]


Nearest = list[tuple[str | None, float]]  # per probe: (nearest question, similarity)


def nearest_tfidf(
    analyzer, questions: list[str], q_intents: list[str], probes: list[str], p_intents: list[list[str]]
) -> Nearest:
    index = LinkIndex(links_of(questions, q_intents), analyzer)
    out: Nearest = []
    for text, intents in zip(probes, p_intents, strict=True):
        matches = index.search(text, intents, limit=1)
        out.append((matches[0].link.text, matches[0].similarity) if matches else (None, 0.0))
    return out


def nearest_dense(
    q_vecs, p_vecs, questions: list[str], q_intents: list[str], p_intents: list[list[str]]
) -> Nearest:
    import numpy as np

    sims = p_vecs @ q_vecs.T  # (P, Q), rows unit length
    out: Nearest = []
    for i, intents in enumerate(p_intents):
        allowed = np.array([intent in intents for intent in q_intents])
        if not allowed.any():
            out.append((None, 0.0))
            continue
        row = np.where(allowed, sims[i], -1.0)
        j = int(row.argmax())
        out.append((questions[j], float(max(0.0, row[j]))))
    return out


def score(nearest: Nearest, expected: list[str]) -> dict:
    rows = []
    for t in THRESHOLDS:
        hits = sum(1 for (q, s), e in zip(nearest, expected, strict=True) if e and q == e and s >= t)
        wrong = sum(1 for (q, s), e in zip(nearest, expected, strict=True) if e and q != e and s >= t)
        false = sum(1 for (q, s), e in zip(nearest, expected, strict=True) if not e and q and s >= t)
        n_pos = sum(1 for e in expected if e)
        n_neg = len(expected) - n_pos
        rows.append(
            {
                "threshold": t,
                "paraphrases_found": hits / n_pos,
                "wrong_answer": wrong / n_pos,
                "non_matches_answered": false / n_neg,
                "accuracy": (hits + n_neg - false) / len(expected),
            }
        )
    best = max(rows, key=lambda r: (r["accuracy"], -abs(r["threshold"] - 0.5)))
    return {"best": best, "curve": rows}


def score_shipped(
    questions: list[str],
    q_intents: list[str],
    texts: list[str],
    p_intents: list[list[str]],
    expected: list[str],
) -> dict:
    """What replies do (ChatEngine._linked): the nearest example within the intents at t, else the
    nearest in any intent at t + CROSS_INTENT_MARGIN."""
    index = LinkIndex(links_of(questions, q_intents))
    curves: dict[float, Nearest] = {}
    for t in THRESHOLDS:
        nearest: Nearest = []
        for text, intents in zip(texts, p_intents, strict=True):
            within = [m for m in index.search(text, intents, limit=1) if m.similarity >= t]
            anywhere = [
                m for m in index.search(text, None, limit=1) if m.similarity >= t + CROSS_INTENT_MARGIN
            ]
            best = (within or anywhere)[:1]
            nearest.append((best[0].link.text, best[0].similarity) if best else (None, 0.0))
        curves[t] = nearest
    rows = [next(r for r in score(curves[t], expected)["curve"] if r["threshold"] == t) for t in THRESHOLDS]
    best = max(rows, key=lambda r: (r["accuracy"], -abs(r["threshold"] - 0.5)))
    return {"best": best, "curve": rows}


def encoder_vectors(model_dir: Path, texts: list[str]):
    import numpy as np
    import torch

    from kobert_chat.nlu.inference import length_sorted_batches
    from kobert_chat.nlu.model_io import load_model

    model, tokenizer = load_model(model_dir, torch.device("cpu"))
    model.eval()
    out = np.zeros((len(texts), model.feature_dim if False else model.bert_config.hidden_size), np.float32)
    with torch.inference_mode():
        for idx, batch in length_sorted_batches(tokenizer, texts, 64, torch.device("cpu")):
            out[idx] = model.encode(batch).numpy()
    out -= out.mean(0, keepdims=True)  # centre: raw pooled features all point one way
    return out / np.linalg.norm(out, axis=1, keepdims=True).clip(1e-9)


def speed(sizes=(100, 1000, 5000)) -> dict:
    """Index build time and query time with N linked examples (bundled utterances as the examples,
    other bundled lines as the messages), the way replies search: within one or two intents, then
    in any intent."""
    from kobert_chat.data.bundled import load_utterances

    pool = load_utterances("train")
    queries = [u.text for u in load_utterances("test")[:300]]
    out = {}
    for n in sizes:
        links = [
            AnswerLink(i + 1, i + 1, u.text, u.intent, "label", None, None, "bench", "")
            for i, u in enumerate(pool[:n])
        ]
        started = time.perf_counter()
        index = LinkIndex(links)
        build = time.perf_counter() - started
        times = []
        for text in queries:
            started = time.perf_counter()
            index.search(text, ["worry", "smalltalk"], 10)
            index.search(text, None, 10)
            times.append(time.perf_counter() - started)
        times.sort()
        out[n] = {
            "build_ms": 1000 * build,
            "query_p50_ms": 1000 * times[len(times) // 2],
            "query_p95_ms": 1000 * times[int(len(times) * 0.95)],
        }
    return out


def active_model_dir() -> Path | None:
    from kobert_chat import paths
    from kobert_chat.store import Store

    db = paths.database_path()
    if not db.exists():
        return None
    with Store.open(db) as store:
        active = store.active_model_version()
    return Path(active.path) if active else None


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", type=Path, help="a model folder (default: the active model of the data home)")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    pairs, probes = load()
    questions = [q for q, _, _ in pairs]
    texts = [t for t, _ in probes]
    expected = [e for _, e in probes]
    everywhere = ["all"] * len(questions)
    anywhere = [["all"]] * len(texts)
    results: dict[str, dict] = {}
    for name, analyzer in VARIANTS.items():
        started = time.perf_counter()
        nearest = nearest_tfidf(analyzer, questions, everywhere, texts, anywhere)  # one intent: all
        results[f"all intents | {name}"] = {
            **score(nearest, expected),
            "ms": 1000 * (time.perf_counter() - started),
        }
    model_dir = args.model or active_model_dir()
    if model_dir is not None:
        from kobert_chat.nlu.inference import Classifier

        classifier = Classifier.load(model_dir, "cpu")
        q_intents = [r["intent"].label for r in classifier.predict_many(questions)]
        predicted = [r["intent"] for r in classifier.predict_many(texts)]
        top1 = [[p.label] for p in predicted]
        settings = Settings()
        unsure = [
            [
                label
                for label, _ in p.top[
                    : 2 if p.confidence < settings.threshold or p.margin < settings.margin else 1
                ]
            ]
            for p in predicted
        ]
        results["within intent (top 1) | shipped TF-IDF"] = score(
            nearest_tfidf(grams, questions, q_intents, texts, top1), expected
        )
        results["within intent (top 2 if unsure) | shipped TF-IDF"] = score(
            nearest_tfidf(grams, questions, q_intents, texts, unsure), expected
        )
        results[f"shipped: within intent, or any intent at t + {CROSS_INTENT_MARGIN}"] = score_shipped(
            questions, q_intents, texts, unsure, expected
        )
        own = sum(
            1 for (_, e), p in zip(probes, top1, strict=True) if e and q_intents[questions.index(e)] in p
        )
        results["paraphrases the model files under their question's intent"] = own / sum(
            1 for e in expected if e
        )
        vectors = encoder_vectors(model_dir, questions + texts)
        q_vecs, p_vecs = vectors[: len(questions)], vectors[len(questions) :]
        results["all intents | encoder cosine"] = score(
            nearest_dense(q_vecs, p_vecs, questions, everywhere, anywhere), expected
        )
        results["within intent | encoder cosine"] = score(
            nearest_dense(q_vecs, p_vecs, questions, q_intents, top1), expected
        )
        mixed = _mix(questions, texts, q_vecs, p_vecs)
        results["all intents | (TF-IDF + encoder) / 2"] = score(mixed, expected)
    results["speed"] = speed()
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=1))
        return 0
    print(
        f"{len(questions)} questions, {sum(1 for e in expected if e)} paraphrases, "
        f"{sum(1 for e in expected if not e)} non-matches; model: {model_dir or 'none'}\n"
    )
    print(f"{'similarity':<52}{'best t':>7}{'found':>8}{'wrong':>8}{'false':>8}{'acc':>7}")
    for name, r in results.items():
        if name == "speed":
            continue
        if not isinstance(r, dict):
            print(f"{name}: {r:.1%}")
            continue
        b = r["best"]
        print(
            f"{name:<52}{b['threshold']:>7.2f}{b['paraphrases_found']:>8.1%}{b['wrong_answer']:>8.1%}"
            f"{b['non_matches_answered']:>8.1%}{b['accuracy']:>7.1%}"
        )
    key = next(
        (k for k in results if k.startswith("shipped: within")),
        "all intents | shipped: word 1-3 + spaceless 2-3",
    )
    shipped = results[key]["curve"]
    print(f"\n{key}, by threshold:")
    for r in shipped:
        print(
            f"  {r['threshold']:.2f}: found {r['paraphrases_found']:.1%}  wrong {r['wrong_answer']:.1%}  "
            f"non-matches answered {r['non_matches_answered']:.1%}  accuracy {r['accuracy']:.1%}"
        )
    print("\nspeed (pure Python, one core): linked examples -> index build, per-message search (p50 / p95)")
    for n, s in results["speed"].items():
        print(
            f"  {n:>5}: build {s['build_ms']:.0f} ms, search {s['query_p50_ms']:.2f} / {s['query_p95_ms']:.2f} ms"
        )
    return 0


def _mix(questions, texts, q_vecs, p_vecs) -> Nearest:
    import numpy as np

    index = LinkIndex(links_of(questions, ["all"] * len(questions)))
    out: Nearest = []
    dense = p_vecs @ q_vecs.T
    for i, text in enumerate(texts):
        sparse = np.zeros(len(questions))
        for m in index.search(text, ["all"], limit=len(questions)):
            sparse[m.link.id - 1] = m.similarity
        both = (sparse + np.clip(dense[i], 0, 1)) / 2
        j = int(both.argmax())
        out.append((questions[j], float(both[j])))
    return out


if __name__ == "__main__":
    sys.exit(main())
