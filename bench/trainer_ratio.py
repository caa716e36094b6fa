"""Training throughput: our `train` against a plain transformers `Trainer` on the same model and data.

The model is the starter's encoder shape (same tokenizer, same BertConfig, intent + emotion heads)
without the n-gram channel, whose sparse gradients the Trainer's AdamW cannot take. Both start
from the same random weights, see the same training lines for the same number of epochs with the
same batch size, learning rate, warmup, weight decay and clipping, and are scored on the bundled
held-out split. Ours also scores its validation split after every epoch (it early-stops on it);
that time counts against us.
"""

from __future__ import annotations

import copy
import logging
import tempfile
import time
from dataclasses import replace

import torch
from torch import nn
from transformers import PrinterCallback, Trainer, TrainerCallback, TrainingArguments
from transformers.utils import logging as hf_logging

from bench.stats import spread
from kobert_chat import progress
from kobert_chat.labels import DEFAULT_HEADS
from kobert_chat.nlu.examples import Example, stratified_split
from kobert_chat.nlu.model import HeadsConfig, KoBertClassifier, starter_bert_config
from kobert_chat.nlu.starter import DEFAULT_RECIPE
from kobert_chat.nlu.tokenizer import Batch, KoBertTokenizer, pad
from kobert_chat.nlu.training import TrainConfig, evaluate_examples, train


class _TrainerModel(nn.Module):
    """Our classifier with the interface Trainer expects: keyword tensors in, {"loss": ...} out."""

    def __init__(self, model: KoBertClassifier):
        super().__init__()
        self.model = model
        self.ce = nn.CrossEntropyLoss()

    def forward(self, input_ids, attention_mask, token_type_ids, intent=None, emotion=None):
        logits = self.model(Batch(input_ids, attention_mask, token_type_ids))
        loss = self.ce(logits["intent"], intent) + self.ce(logits["emotion"], emotion)
        return {"loss": loss, "intent_logits": logits["intent"], "emotion_logits": logits["emotion"]}


def _collate(features: list[dict]) -> dict:
    batch = pad([f["input_ids"] for f in features])  # dynamic padding, as DataCollatorWithPadding does
    return {
        "input_ids": batch.input_ids,
        "attention_mask": batch.attention_mask,
        "token_type_ids": batch.token_type_ids,
        "intent": torch.tensor([f["intent"] for f in features]),
        "emotion": torch.tensor([f["emotion"] for f in features]),
    }


def _fresh_model(tokenizer: KoBertTokenizer, seed: int) -> KoBertClassifier:
    torch.manual_seed(seed)
    heads = {name: [lab for lab, _ in labels] for name, labels in DEFAULT_HEADS.items()}
    r = DEFAULT_RECIPE
    return KoBertClassifier(
        starter_bert_config(tokenizer.vocab_size, layers=r.layers, hidden=r.hidden, heads=r.attention_heads),
        HeadsConfig(heads=heads, ngram_buckets=0),
    )


class _EpochClock(TrainerCallback):
    """When each of the Trainer's epochs ended (perf_counter)."""

    def __init__(self) -> None:
        self.ends: list[float] = []

    def on_epoch_end(self, args, state, control, **kwargs):
        self.ends.append(time.perf_counter())


def _durations(t0: float, ends: list[float]) -> list[float]:
    return [b - a for a, b in zip([t0, *ends[:-1]], ends, strict=True)]


def _scores(model, tokenizer, test: list[Example]) -> dict:
    report = evaluate_examples(model, tokenizer, test, torch.device("cpu"))
    return {head: round(rep["macro_f1"], 4) for head, rep in report.items()}


def compare(
    tokenizer: KoBertTokenizer, examples: list[Example], test: list[Example], epochs: int, seed: int = 0
) -> dict:
    hf_logging.set_verbosity_error()
    logging.getLogger("transformers").setLevel(logging.ERROR)
    r = DEFAULT_RECIPE
    config = TrainConfig(
        mode="full",
        epochs=epochs,
        batch_size=r.batch_size,
        lr=r.lr,
        head_lr=r.lr,
        patience=epochs + 1,
        seed=seed,
        max_length=r.max_length,
    )
    train_set, val_set = stratified_split(examples, config.val_fraction, seed)
    start = _fresh_model(tokenizer, seed)

    ours_model = copy.deepcopy(start)
    ours_ends: list[float] = []

    def on_event(event) -> None:
        if isinstance(event, progress.Epoch):
            ours_ends.append(time.perf_counter())

    t0 = time.perf_counter()
    result = train(ours_model, tokenizer, train_set, config, val_examples=val_set, progress=on_event)
    ours_s = time.perf_counter() - t0
    ours_epoch_s = _durations(t0, ours_ends)
    ours_epochs = len(result.history)

    heads = start.heads_config.heads
    rows = [
        {
            "input_ids": tokenizer.encode(ex.text, r.max_length),
            "intent": heads["intent"].index(ex.labels["intent"]),
            "emotion": heads["emotion"].index(ex.labels["emotion"]),
        }
        for ex in train_set
    ]
    theirs_model = copy.deepcopy(start)
    with tempfile.TemporaryDirectory() as tmp:
        args = TrainingArguments(
            output_dir=tmp,
            per_device_train_batch_size=r.batch_size,
            num_train_epochs=epochs,
            learning_rate=r.lr,
            weight_decay=config.weight_decay,
            warmup_steps=config.warmup_ratio,
            max_grad_norm=config.max_grad_norm,
            lr_scheduler_type="linear",
            save_strategy="no",
            eval_strategy="no",
            logging_strategy="no",
            report_to="none",
            use_cpu=True,
            seed=seed,
            dataloader_num_workers=0,
            disable_tqdm=True,
            label_names=["intent", "emotion"],
        )
        trainer = Trainer(
            model=_TrainerModel(theirs_model), args=args, train_dataset=rows, data_collator=_collate
        )
        trainer.remove_callback(PrinterCallback)  # its end-of-run dict would clutter the bench table
        clock = _EpochClock()
        trainer.add_callback(clock)
        t0 = time.perf_counter()
        trainer.train()
        theirs_s = time.perf_counter() - t0
        theirs_epoch_s = _durations(t0, clock.ends)
    theirs_model.eval()

    ours_rate = len(train_set) * ours_epochs / ours_s
    theirs_rate = len(train_set) * epochs / theirs_s
    return {
        "epochs": epochs,
        "n_train": len(train_set),
        "ours_s": ours_s,
        "trainer_s": theirs_s,
        "ours_samples_per_s": ours_rate,
        "trainer_samples_per_s": theirs_rate,
        "ratio": ours_rate / theirs_rate,
        # epoch by epoch (the same lines per epoch): the spread of the ratio
        "epoch_ratio": spread([t / o for o, t in zip(ours_epoch_s, theirs_epoch_s, strict=False)]),
        "ours_epoch_s": spread(ours_epoch_s, 2),
        "trainer_epoch_s": spread(theirs_epoch_s, 2),
        "torch_threads": torch.get_num_threads(),
        "ours_macro_f1": _scores(result.model, tokenizer, test),
        "trainer_macro_f1": _scores(theirs_model, tokenizer, test),
        "ours_config": replace(config).to_dict(),
    }
