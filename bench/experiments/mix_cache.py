"""Experiments on the encoder + TF-IDF expert mix at the cost of a few expert fits, then none.

    python bench/experiments/mix_cache.py expert CACHE.npz [--copies 0] [--copy-weight 0.5] [--val-variants 2]
    python bench/experiments/mix_cache.py encoder MODEL_DIR CACHE.npz [--val-variants 2]
    python bench/experiments/mix_cache.py baseline BASELINE.json
    python bench/experiments/mix_cache.py score EXPERT.npz ENCODER.npz [...] [--baseline BASELINE.json] [--boot 300]

`expert`: the shipped expert (analyzer, min_df 2) fit exactly as a build fits it on the seed-0
train/validation split (train-only fits over the C grid, each warm-started from the previous; then
for every C the refit on train + validation warm-started from that C's train-only weights), and its
logits saved: train-only fits on the validation lines and on `--val-variants` augmented copies of
them (kobert_chat/nlu/augment.py; marks drawn from training lines only), refits on the bundled test
split and the out-of-style set. `--copies N` adds N augmented copies of every training line (sample
weight `--copy-weight`) to the expert's training data (idea 2); they add rows over the original
lines' vocabulary unless `--copies-vocabulary` lets their n-grams in too.

`encoder`: a built model's encoder-only logits on the same lines.

`score`: each mixing policy chooses everything (C, temperatures, weight) on validation lines only
(the plain split, or the split plus its augmented copies), then is scored on both test sets. The
out-of-style set is only scored, never used to choose.
"""

from __future__ import annotations

import argparse
import copy
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import numpy as np  # noqa: E402
import torch  # noqa: E402

from bench.quality_data import HEADS, format_styles, format_table, head_labels, scores, test_sets  # noqa: E402
from kobert_chat.nlu.augment import Augmenter  # noqa: E402
from kobert_chat.nlu.examples import stratified_split  # noqa: E402
from kobert_chat.nlu.korean_features import collapse_repeats  # noqa: E402
from kobert_chat.nlu.mixing import C_GRID, _carry_weights, _select, _softmax, log_loss, temperature  # noqa: E402
from kobert_chat.nlu.starter import DEFAULT_RECIPE  # noqa: E402
from kobert_chat.nlu.tfidf import fit_head, fit_vocabulary  # noqa: E402
from kobert_chat.training_data import bundled_examples  # noqa: E402

WEIGHTS = np.linspace(0.0, 1.0, 21)


def split(seed: int = 0):
    examples = [ex for ex in bundled_examples("train") if ex.text.strip() and ex.labels]
    return stratified_split(examples, 0.1, seed)  # what train() does for a build


def val_variants(train, val, n: int) -> list[str]:
    """n augmented copies of every validation line, copy-major: [copy0 of all lines, copy1, ...]."""
    aug = Augmenter([e.text for e in train], [e.labels.get("emotion") for e in train])
    rng = random.Random(1234)
    return [aug.variant(e.text, e.labels.get("emotion"), rng) for _ in range(n) for e in val]


def label_ids(examples, head: str) -> np.ndarray:
    index = {lab: i for i, lab in enumerate(head_labels(head))}
    return np.array([index.get(ex.labels.get(head), -1) for ex in examples])


def _fit(expert, head, x, y, w, rows, c):
    """One head's fit on the given rows, as mixing._Fits.fit does."""
    fit_head(
        expert,
        head,
        _select(x, rows, len(y)),
        torch.from_numpy(y[rows]).long(),
        torch.from_numpy(w[rows]).float(),
        c,
    )


def cmd_expert(args) -> None:
    train, val = split()
    sets = test_sets()
    texts = [e.text for e in train]
    ys = {h: label_ids(train, h) for h in HEADS}
    w = np.ones(len(train))
    if args.copies:
        aug = Augmenter(texts, [e.labels.get("emotion") for e in train])
        rng = random.Random(0)
        for _ in range(args.copies):
            texts = texts + [aug.variant(e.text, e.labels.get("emotion"), rng) for e in train]
            ys = {h: np.concatenate([ys[h], label_ids(train, h)]) for h in HEADS}
            w = np.concatenate([w, np.full(len(train), args.copy_weight)])
    heads = {h: len(head_labels(h)) for h in HEADS}
    an, mdf = DEFAULT_RECIPE.tfidf_analyzer, DEFAULT_RECIPE.tfidf_min_df
    t0 = time.perf_counter()
    # Without --copies-vocabulary the copies read the original lines' n-grams only: more rows, the same
    # vocabulary (and model size); the n-grams only a copy has are dropped from its row.
    originals = texts[: len(train)] if not args.copies_vocabulary else texts
    expert = fit_vocabulary(originals, heads, an, mdf)
    x = expert.features(texts)
    vtexts = [e.text for e in val]
    vaug = val_variants(train, val, args.val_variants)
    out: dict[str, np.ndarray] = {}
    weights = {}
    for c in sorted(C_GRID):
        for h in HEADS:
            _fit(expert, h, x, ys[h], w, np.flatnonzero(ys[h] >= 0), c)
        lv, la = expert.logits(vtexts), expert.logits(vaug)
        for h in HEADS:
            out[f"val/{h}/{c}"] = lv[h].numpy()
            out[f"vaug/{h}/{c}"] = la[h].numpy()
        weights[c] = expert
        print(
            f"train-only C {c}: {time.perf_counter() - t0:.0f} s (load {os.getloadavg()[0]:.1f})", flush=True
        )
        expert = _clone(expert)
    # refit on train + validation for every C, warm-started from that C's train-only weights
    all_texts = texts + vtexts
    all_y = {h: np.concatenate([ys[h], label_ids(val, h)]) for h in HEADS}
    all_w = np.concatenate([w, np.ones(len(val))])
    for c in sorted(C_GRID):
        grown = fit_vocabulary(originals + vtexts, heads, an, mdf)
        _carry_weights(weights[c], grown)
        gx = grown.features(all_texts)
        for h in HEADS:
            _fit(grown, h, gx, all_y[h], all_w, np.flatnonzero(all_y[h] >= 0), c)
        for name, exs in sets.items():
            lg = grown.logits([e.text for e in exs])
            for h in HEADS:
                out[f"{name}/{h}/{c}"] = lg[h].numpy()
        print(
            f"refit C {c}: {time.perf_counter() - t0:.0f} s (load {os.getloadavg()[0]:.1f}); "
            f"{grown.n_features} n-grams",
            flush=True,
        )
    np.savez_compressed(args.out, **out)


def _clone(expert):
    return copy.deepcopy(expert)


def cmd_baseline(args) -> None:
    """The TF-IDF + LR baseline (bench/baseline.py) fit as bench/quality.py fits it (every bundled
    training line), its labels on both test sets saved as JSON for `score --baseline`."""
    import json

    from bench.baseline import fit_tfidf_lr

    train = [ex for ex in bundled_examples("train") if ex.text.strip() and ex.labels]
    out: dict[str, dict[str, list[str]]] = {name: {} for name in test_sets()}
    for h in HEADS:
        rows = [ex for ex in train if h in ex.labels]
        predict = fit_tfidf_lr([ex.text for ex in rows], [ex.labels[h] for ex in rows])
        for name, exs in test_sets().items():
            out[name][h] = predict([ex.text for ex in exs])
    args.out.write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")


def cmd_encoder(args) -> None:
    from kobert_chat.nlu.inference import probabilities
    from kobert_chat.nlu.model_io import load_model

    torch.set_num_threads(args.threads)
    model, tok = load_model(args.model)
    model.heads_config.tfidf_mix = {}  # encoder heads only
    train, val = split()
    groups = {"val": [e.text for e in val], "vaug": val_variants(train, val, args.val_variants)}
    groups.update({name: [e.text for e in exs] for name, exs in test_sets().items()})
    out = {}
    for name, texts in groups.items():
        if args.norm:  # test-time normalisation: the encoder reads ㅋㅋㅋㅋㅋ as ㅋㅋ
            texts = [collapse_repeats(t) for t in texts]
        probs = probabilities(model, tok, texts)
        for h in HEADS:
            out[f"{name}/{h}"] = np.log(np.clip(probs[h], 1e-30, None))
    np.savez_compressed(args.out, **out)


# -- policies --------------------------------------------------------------------------------------


def _choose(enc, exp_by_c, y, blend):
    """-> (C, T_enc, T_exp, w) minimising validation log-loss (the build's rule), for a blend kind."""
    t_enc = temperature(enc, y)
    best = None
    for c, lg in exp_by_c.items():
        t_exp = temperature(lg, y)
        for w in WEIGHTS:
            loss = log_loss(_mix(enc / t_enc, lg / t_exp, w, blend), y)
            if best is None or round(loss, 4) < round(best[0], 4):
                best = (loss, c, t_enc, t_exp, float(w))
    return best[1:]


def _mix(enc_logits, exp_logits, w, blend):
    if blend == "linear":
        return (1 - w) * _softmax(enc_logits) + w * _softmax(exp_logits)
    return _softmax((1 - w) * np.log(_softmax(enc_logits)) + w * np.log(_softmax(exp_logits)))  # log-linear


def cmd_score(args) -> None:
    ex = np.load(args.expert)
    train, val = split()
    sets = test_sets()
    yv = {h: label_ids(val, h) for h in HEADS}
    n_var = len(ex[f"vaug/intent/{C_GRID[0]}"]) // len(val)
    results, chosen, all_preds = {}, {}, {}
    if args.baseline:
        import json

        all_preds["TF-IDF + LR baseline"] = json.loads(args.baseline.read_text(encoding="utf-8"))
        results["TF-IDF + LR baseline"] = {
            name: scores(exs, all_preds["TF-IDF + LR baseline"][name]) for name, exs in sets.items()
        }
    for enc_path in args.encoders:
        en = np.load(enc_path)
        tag = Path(enc_path).stem
        for valset in ("val", "val+aug", "aug"):
            for blend in ("linear", "loglin"):
                preds = {name: {} for name in sets}
                picks = {}
                for h in HEADS:
                    parts_e, parts_x, parts_y = [], {c: [] for c in C_GRID}, []
                    if valset in ("val", "val+aug"):
                        parts_e.append(en[f"val/{h}"])
                        for c in C_GRID:
                            parts_x[c].append(ex[f"val/{h}/{c}"])
                        parts_y.append(yv[h])
                    if valset in ("val+aug", "aug"):
                        parts_e.append(en[f"vaug/{h}"])
                        for c in C_GRID:
                            parts_x[c].append(ex[f"vaug/{h}/{c}"])
                        parts_y.append(np.tile(yv[h], n_var))
                    y = np.concatenate(parts_y)
                    keep = y >= 0
                    e = np.concatenate(parts_e)[keep]
                    xs = {c: np.concatenate(v)[keep] for c, v in parts_x.items()}
                    c, t_enc, t_exp, w = _choose(e, xs, y[keep], blend)
                    picks[h] = (c, round(t_enc, 2), round(t_exp, 2), w)
                    for name in sets:
                        p = _mix(en[f"{name}/{h}"] / t_enc, ex[f"{name}/{h}/{c}"] / t_exp, w, blend)
                        preds[name][h] = [head_labels(h)[j] for j in p.argmax(1)]
                key = f"{tag} {valset} {blend}"
                all_preds[key] = preds
                results[key] = {name: scores(exs, preds[name]) for name, exs in sets.items()}
                chosen[key] = picks
        for name in ("encoder only", "expert only"):
            preds = {s: {} for s in sets}
            for h in HEADS:
                for s in sets:
                    lg = en[f"{s}/{h}"] if name == "encoder only" else ex[f"{s}/{h}/10.0"]
                    preds[s][h] = [head_labels(h)[j] for j in lg.argmax(1)]
            results[f"{tag} {name}"] = {s: scores(exs, preds[s]) for s, exs in sets.items()}
            all_preds[f"{tag} {name}"] = preds
    print(format_table(results))
    print()
    print(format_styles(results))
    print()
    for k, v in chosen.items():
        print(f"{k:<44} (C, T_enc, T_exp, w): {v}")
    if args.boot:
        print()
        print(bootstrap(all_preds, sets["out-of-style"], args.boot))


def bootstrap(all_preds, examples, n: int) -> str:
    """Paired bootstrap over out-of-style lines: each model's macro-F1 minus the first model's, with a
    95 % interval; an interval holding 0 means the difference is within the noise of 1,315 lines."""
    from kobert_chat.nlu.evaluation import classification_report

    rng = np.random.default_rng(0)
    idx = [rng.integers(0, len(examples), len(examples)) for _ in range(n)]
    keys = list(all_preds)
    lines = [f"{'paired bootstrap vs ' + keys[0]:<56}{'intent':>22}{'emotion':>22}"]
    ref = {}
    for key in keys:
        row = f"{key:<56}"
        for h in HEADS:
            truth = np.array([ex.labels[h] for ex in examples])
            pred = np.array(all_preds[key]["out-of-style"][h])
            f = np.array(
                [
                    classification_report(list(truth[i]), list(pred[i]), head_labels(h))["macro_f1"]
                    for i in idx
                ]
            )
            if key == keys[0]:
                ref[h] = f
            d = f - ref[h]
            lo, hi = np.percentile(d, [2.5, 97.5])
            row += f"{d.mean():>+10.4f} [{lo:+.3f},{hi:+.3f}]"
        lines.append(row)
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("expert")
    a.add_argument("out", type=Path)
    a.add_argument("--copies", type=int, default=0)
    a.add_argument("--copy-weight", type=float, default=0.5)
    a.add_argument("--val-variants", type=int, default=2)
    a.add_argument(
        "--copies-vocabulary",
        action="store_true",
        help="let the copies add n-grams to the vocabulary (default: copies only add rows over the "
        "original lines' n-grams)",
    )
    c = sub.add_parser("baseline")
    c.add_argument("out", type=Path)
    b = sub.add_parser("encoder")
    b.add_argument("model", type=Path)
    b.add_argument("out", type=Path)
    b.add_argument("--val-variants", type=int, default=2)
    b.add_argument("--threads", type=int, default=1)
    b.add_argument("--norm", action="store_true", help="collapse repeated characters before the encoder")
    s = sub.add_parser("score")
    s.add_argument("expert", type=Path)
    s.add_argument("encoders", type=Path, nargs="+")
    s.add_argument(
        "--baseline", type=Path, help="baseline labels from `baseline` (then the bootstrap's reference)"
    )
    s.add_argument("--boot", type=int, default=0, help="paired bootstrap resamples (0: none)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    {"expert": cmd_expert, "encoder": cmd_encoder, "baseline": cmd_baseline, "score": cmd_score}[args.cmd](
        args
    )


if __name__ == "__main__":
    main()
