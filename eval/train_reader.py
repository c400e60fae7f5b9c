"""Continue fine-tuning the reader so that its no-answer logit also fires on near-miss questions (GPU).

The shipped reader learned "no answer" only from a question paired with another paragraph of its
article. Here it also sees SQuAD 1.1 train questions with one number or name swapped for one the
article never mentions (`near_miss.near_misses`, the verifier's own near misses), labelled at [CLS].
Only train-split text is trained on. Before and after, the same script scores the reader alone (gold
paragraph given) on SQuAD 1.1 dev (EM/F1, no abstention) and on SQuAD 2.0 dev-A (F1 at the best
no-answer threshold, which is fitted there: a threshold, never weights).

    python -m groundqa.eval.train_reader --reader DIR --train squad-v1.1-train.json.gz \
        --dev squad-v1.1-dev.json.gz --dev2 squad-v2.0-dev-A.json.gz --out DIR
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from transformers import AutoModelForQuestionAnswering, AutoTokenizer

from groundqa.eval.gold import GoldQuestion, load_squad
from groundqa.eval.metrics import exact_match, f1_score
from groundqa.eval.near_miss import near_misses

MAX_LEN, STRIDE, MAX_QUESTION_TOKENS = 384, 128, 64
N_BEST, MAX_ANSWER_TOKENS = 20, 30


@dataclass(frozen=True)
class Example:
    question: str
    context: str
    answer_start: int | None  # None: no answer in this context
    answer_end: int | None = None


def training_examples(questions: list[GoldQuestion], near_miss_share: float, other_share: float,
                      seed: int) -> list[Example]:
    """Every answerable question, near misses for `near_miss_share` of them, and the question paired
    with another paragraph of its article for `other_share` of them (as the reader was first taught)."""
    rng = random.Random(seed)
    examples = []
    for q in questions:
        start = q.context.find(q.answers[0])
        if start >= 0:
            examples.append(Example(q.question, q.context, start, start + len(q.answers[0])))
    for q in near_misses(questions, int(near_miss_share * len(questions)), seed):
        examples.append(Example(q.question, q.context, None))
    by_title: dict[str | None, list[str]] = {}
    for q in questions:
        paragraphs = by_title.setdefault(q.title, [])
        if q.context not in paragraphs[-1:]:
            paragraphs.append(q.context)
    for q in rng.sample(questions, int(other_share * len(questions))):
        others = [p for p in by_title[q.title] if p != q.context and q.answers[0] not in p]
        if others:
            examples.append(Example(q.question, rng.choice(others), None))
    rng.shuffle(examples)
    return examples


def encode(tokenizer, questions: list[str], contexts: list[str]):
    questions = [tokenizer.convert_tokens_to_string(tokenizer.tokenize(q)[:MAX_QUESTION_TOKENS]) for q in questions]
    return tokenizer(questions, contexts, truncation="only_second", max_length=MAX_LEN, stride=STRIDE,
                     return_overflowing_tokens=True, return_offsets_mapping=True, padding="max_length",
                     return_tensors="np")


def training_windows(tokenizer, examples: list[Example]) -> dict[str, torch.Tensor]:
    """Windows with start/end token labels; a window that does not hold the whole answer points at [CLS]."""
    encoded = encode(tokenizer, [e.question for e in examples], [e.context for e in examples])
    starts, ends = [], []
    for window, example_index in enumerate(encoded["overflow_to_sample_mapping"]):
        example = examples[example_index]
        start = end = 0
        if example.answer_start is not None:
            sequence = encoded.sequence_ids(window)
            offsets = encoded["offset_mapping"][window]
            context = [i for i, s in enumerate(sequence) if s == 1]
            if offsets[context[0]][0] <= example.answer_start and offsets[context[-1]][1] >= example.answer_end:
                start = next(i for i in context if offsets[i][1] > example.answer_start)
                end = next(i for i in reversed(context) if offsets[i][0] < example.answer_end)
        starts.append(start)
        ends.append(end)
    return {"input_ids": torch.tensor(encoded["input_ids"]), "attention_mask": torch.tensor(encoded["attention_mask"]),
            "token_type_ids": torch.tensor(encoded["token_type_ids"]),
            "start_positions": torch.tensor(starts), "end_positions": torch.tensor(ends)}


def train(model, windows: dict[str, torch.Tensor], device: str, epochs: float, batch: int, lr: float,
          log, max_seconds: float = math.inf) -> None:
    count = len(windows["input_ids"])
    steps = max(1, int(epochs * count / batch))
    warmup = max(1, steps // 10)
    decay, no_decay = [], []
    for name, parameter in model.named_parameters():
        (no_decay if "bias" in name or "LayerNorm" in name else decay).append(parameter)
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                                  lr=lr, fused=device == "cuda")
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (steps - step) / max(1, steps - warmup))))
    windows = {key: value.to(device) for key, value in windows.items()}
    model.train()
    order = torch.randperm(count, device=device)
    began = time.time()
    for step in range(steps):
        picked = order[(step * batch) % count:][:batch]
        if len(picked) < batch:
            order = torch.randperm(count, device=device)
            picked = order[:batch]
        inputs = {key: value[picked] for key, value in windows.items()}
        width = int(inputs["attention_mask"].sum(1).max())
        inputs = {key: value[:, :width] if value.dim() == 2 else value for key, value in inputs.items()}
        with torch.autocast(device, dtype=torch.bfloat16, enabled=device == "cuda"):
            loss = model(**inputs).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad(set_to_none=True)
        if step % 20 == 0 or step == steps - 1:
            log(f"step {step + 1}/{steps} loss {loss.item():.3f} {time.time() - began:.0f}s")
        if time.time() - began > max_seconds:
            log(f"stopped after {step + 1} of {steps} steps: --max-train-seconds reached")
            break
    model.eval()


@torch.no_grad()
def read(model, tokenizer, questions: list[GoldQuestion], device: str, batch: int = 256):
    """Per question: the best span's text, its start+end logit and the lowest [CLS] logit of its windows."""
    encoded = encode(tokenizer, [q.question for q in questions], [q.context for q in questions])
    starts, ends = [], []
    for first in range(0, len(encoded["input_ids"]), batch):
        inputs = {key: torch.tensor(encoded[key][first:first + batch]).to(device)
                  for key in ("input_ids", "attention_mask", "token_type_ids")}
        with torch.autocast(device, dtype=torch.bfloat16, enabled=device == "cuda"):
            output = model(**inputs)
        starts.append(output.start_logits.float().cpu().numpy())
        ends.append(output.end_logits.float().cpu().numpy())
    start_logits, end_logits = np.concatenate(starts), np.concatenate(ends)
    best: dict[int, tuple[float, str]] = {}
    null: dict[int, float] = {}
    for window, index in enumerate(encoded["overflow_to_sample_mapping"]):
        start, end = start_logits[window], end_logits[window]
        null[index] = min(null.get(index, math.inf), float(start[0] + end[0]))
        sequence = encoded.sequence_ids(window)
        offsets = encoded["offset_mapping"][window]
        context = np.array([s == 1 for s in sequence])
        for s in np.argsort(start)[::-1][:N_BEST]:
            if not context[s]:
                continue
            for e in np.argsort(end)[::-1][:N_BEST]:
                if not context[e] or e < s or e - s + 1 > MAX_ANSWER_TOKENS:
                    continue
                score = float(start[s] + end[e])
                if score > best.get(index, (-math.inf, ""))[0]:
                    best[index] = (score, questions[index].context[offsets[s][0]:offsets[e][1]])
    return [(best.get(i, (-math.inf, ""))[1], best.get(i, (-math.inf, ""))[0], null[i]) for i in range(len(questions))]


def scores(model, tokenizer, dev: list[GoldQuestion], dev2: list[GoldQuestion], device: str) -> dict:
    readings = read(model, tokenizer, dev, device)
    figures = {"squad11_em": 100 * np.mean([exact_match(t, q.answers) for (t, _, _), q in zip(readings, dev)]),
               "squad11_f1": 100 * np.mean([f1_score(t, q.answers) for (t, _, _), q in zip(readings, dev)])}
    readings = read(model, tokenizer, dev2, device)
    margins = np.array([score - null for _, score, null in readings])
    answered_f1 = np.array([f1_score(t, q.answers) for (t, _, _), q in zip(readings, dev2)])
    abstained_f1 = np.array([float(not q.answers) for q in dev2])
    answerable = np.array([bool(q.answers) for q in dev2])
    best = (-1.0, 0.0)
    for threshold in np.unique(np.concatenate([margins, [np.inf]])):
        f1 = np.where(margins > threshold, answered_f1, abstained_f1).mean()
        if f1 > best[0]:
            best = (f1, threshold)
    answers = margins > best[1]
    figures.update({"dev2_best_f1": 100 * best[0], "dev2_best_threshold": float(best[1]),
                    "dev2_no_answer_recall": 100 * float(np.mean(~answers[~answerable])),
                    "dev2_answerable_f1": 100 * float(np.mean(np.where(answers, answered_f1, 0.0)[answerable])),
                    "dev2_f1_margin_0": 100 * float(np.where(margins > 0, answered_f1, abstained_f1).mean()),
                    "dev2_auc": _auc(margins[answerable], margins[~answerable])})
    return {key: round(value, 3) for key, value in figures.items()}


def _auc(positives: np.ndarray, negatives: np.ndarray) -> float:
    """How often an answerable question's margin beats an unanswerable one's."""
    ranks = np.argsort(np.argsort(np.concatenate([positives, negatives]))) + 1
    return float((ranks[:len(positives)].sum() - len(positives) * (len(positives) + 1) / 2)
                 / (len(positives) * len(negatives)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    for name in ("reader", "train", "dev", "dev2", "out"):
        parser.add_argument(f"--{name}", type=Path, required=True)
    parser.add_argument("--near-miss-share", type=float, default=0.4)
    parser.add_argument("--other-share", type=float, default=0.3)
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--lr", type=float, default=3e-5)
    parser.add_argument("--max-train-seconds", type=float, default=math.inf)
    parser.add_argument("--limit", type=int, help="questions of each set (a quick try)")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    device = "cuda" if torch.cuda.is_available() else "cpu"
    args.out.mkdir(parents=True, exist_ok=True)
    log_file = (args.out / "log.txt").open("a")

    def log(line: str) -> None:
        print(line, flush=True)
        log_file.write(line + "\n")
        log_file.flush()

    torch.manual_seed(args.seed)
    limit = args.limit
    train_set = [q for q in load_squad(args.train) if q.answers and q.context][:limit]
    dev = load_squad(args.dev)[:limit]
    dev2 = load_squad(args.dev2)[:limit]
    tokenizer = AutoTokenizer.from_pretrained(args.reader)
    model = AutoModelForQuestionAnswering.from_pretrained(args.reader, dtype=torch.float32).to(device).eval()
    figures = {"device": torch.cuda.get_device_name() if device == "cuda" else "cpu", "args": {
        k: str(v) for k, v in vars(args).items()}, "before": scores(model, tokenizer, dev, dev2, device)}
    log(json.dumps(figures["before"]))
    began = time.time()
    examples = training_examples(train_set, args.near_miss_share, args.other_share, args.seed)
    windows = training_windows(tokenizer, examples)
    figures["examples"] = {"all": len(examples), "no_answer": sum(e.answer_start is None for e in examples),
                           "windows": len(windows["input_ids"])}
    log(f"{figures['examples']} prepared in {time.time() - began:.0f}s")
    began = time.time()
    train(model, windows, device, args.epochs, args.batch, args.lr, log, args.max_train_seconds)
    figures["train_seconds"] = round(time.time() - began, 1)
    figures["after"] = scores(model, tokenizer, dev, dev2, device)
    log(json.dumps(figures["after"]))
    (args.out / "figures.json").write_text(json.dumps(figures, indent=1))
    model.half().save_pretrained(args.out / "reader")
    tokenizer.save_pretrained(args.out / "reader")


if __name__ == "__main__":
    main()
