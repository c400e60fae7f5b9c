"""Train the cross-check (service/cross_check.py) on train-split text only.

Pairs of (question, evidence) where the evidence is a sentence with one span marked:
- right: a SQuAD 1.1 train answer in its sentence, the article's title as the heading;
- wrong: another span of the same shape (a number for a number, a name for a name) from the same
  sentence or paragraph; the question with one number or name swapped for one its article lacks
  (eval/near_miss.py), beside its own answer; the question beside a span of another paragraph;
- the benchmark's train sets (eval/gold/splits.toml) add the same kinds of pairs on their documents:
  the gold answer in its line under its headings against the other values of its table or list;
- with --recorded, what the pipeline itself read for those train-split questions (a `groundqa calibrate
  --suite-train --recorded` file): its first candidates, right against wrong, and an unanswerable
  question's as wrong. The file's other questions (SQuAD 2.0 dev-A) are never trained on.

Only the top layers and the head are trained; the file keeps just those (fp16). With --only-sets, only
the train sets named are learned from: a model for cross-fitting (`groundqa calibrate --cross-fit`), which
judges the other sets' questions for the verifier's fit as the shipped model judges questions it never saw.

    python -m groundqa.eval.train_cross_check --squad ../shared/data/squad/squad-v1.1-train.json.gz \
        --suite eval/gold --recorded RECORDING.pkl --questions 7000 --trained-layers 4 \
        --learning-rate 1.5e-4 --out service/cross_check.safetensors

(the shipped file's command; RECORDING.pkl from the calibrate command in eval/BENCHMARKS.md)
"""

from __future__ import annotations

import argparse
import random
import re
import time
from dataclasses import dataclass
from pathlib import Path

import torch

from groundqa.eval.gold import GoldQuestion, load_squad
from groundqa.eval.near_miss import near_misses
from groundqa.service.cross_check import MAX_TOKENS, base_model_path, evidence, trained_layers

# Candidate spans of a shape: numbers with what follows them, runs of capitalized words, short phrases.
_NUMBERED = re.compile(r"(?<![\w.])[$\u00a3\u20ac]?\d[\d,.:/-]*(?:\s?(?:%|[a-z]{1,10}))?")
_NAMED = re.compile(r"(?<![\w])[A-Z][\w'-]+(?:\s+(?:of\s+|the\s+|de\s+)?[A-Z][\w'-]+)*")
_WORDS = re.compile(r"(?<!\w)\w[\w'-]*(?:\s+\w[\w'-]*){0,3}")


@dataclass(frozen=True)
class Pair:
    question: str
    evidence: str
    label: float


def shape_of(answer: str) -> re.Pattern:
    if any(c.isdigit() for c in answer):
        return _NUMBERED
    if answer[:1].isupper():
        return _NAMED
    return _WORDS


def rival_spans(text: str, answer_start: int, answer_end: int, answer: str) -> list[tuple[int, int]]:
    """Spans of the answer's shape in `text` that share no character with the answer nor its words."""
    answer_words = set(answer.lower().split())
    spans = []
    for found in shape_of(answer).finditer(text):
        start, end = found.span()
        if end > answer_start and start < answer_end:
            continue
        if set(found.group().lower().split()) & answer_words:
            continue
        spans.append((start, end))
    return spans


def squad_pairs(questions: list[GoldQuestion], count: int, rng: random.Random) -> list[Pair]:
    pool = [q for q in questions if q.answers and q.context and q.answers[0] in q.context]
    chosen = rng.sample(pool, min(count, len(pool)))
    by_title: dict[str | None, list[str]] = {}
    for q in pool:
        paragraphs = by_title.setdefault(q.title, [])
        if q.context not in paragraphs[-1:]:
            paragraphs.append(q.context)
    swapped = {q.id.removesuffix("/near-miss"): q for q in near_misses(chosen, count // 3, seed=rng.randrange(1 << 30))}
    pairs = []
    for q in chosen:
        heading = [(q.title or "").replace("_", " ")]
        answer = q.answers[0]
        start = q.context.find(answer)
        end = start + len(answer)
        pairs.append(Pair(q.question, evidence(q.context, start, end, heading), 1.0))
        rivals = rival_spans(q.context, start, end, answer)
        if rivals:
            near = [s for s in rivals if abs(s[0] - start) < 200] or rivals
            rival = rng.choice(near)
            pairs.append(Pair(q.question, evidence(q.context, *rival, heading), 0.0))
        near_miss = swapped.get(q.id)
        if near_miss is not None:
            pairs.append(Pair(near_miss.question, evidence(q.context, start, end, heading), 0.0))
        others = [p for p in by_title.get(q.title, []) if p != q.context]
        if others and rng.random() < 0.5:
            other = rng.choice(others)
            spans = rival_spans(other, -1, -1, answer)
            if spans:
                pairs.append(Pair(q.question, evidence(other, *rng.choice(spans), heading), 0.0))
    return pairs


def train_set_pairs(suite: Path, rng: random.Random, repeat: int, only: set[str] | None = None) -> list[Pair]:
    """The benchmark's train sets (those named in `only`, when given): each answerable gold answer in
    its document, against its rivals."""
    from groundqa.eval.gold import load_gold
    from groundqa.eval.suite import load_sets
    from groundqa.index.loaders import document_from_bytes
    from groundqa.index.sections import headings_at

    pairs = []
    for gold_set in load_sets(suite, "train"):
        if only is not None and gold_set.name not in only:
            continue
        documents = {}
        for path in sorted(gold_set.docs.iterdir()):
            documents[path.name] = document_from_bytes(path.read_bytes(), doc_id=path.name,
                                                                 source=str(path), suffix=path.suffix)
        for q in load_gold(gold_set.gold):
            document = documents.get(Path(q.doc_id or "").name)
            if not q.answers or document is None or q.answers[0] not in document.text:
                continue
            answer, text = q.answers[0], document.text
            start = text.find(answer)
            end = start + len(answer)
            heading = [document.plain_title, *headings_at(document.meta, start)]
            rivals = [s for s in rival_spans(text, start, end, answer) if abs(s[0] - start) < 400]
            for _ in range(repeat):
                pairs.append(Pair(q.question, evidence(text, start, end, heading), 1.0))
                if rivals:
                    rival = rng.choice(rivals)
                    pairs.append(Pair(q.question, evidence(text, *rival, heading), 0.0))
    return pairs


def recorded_pairs(recording: Path, candidates: int, repeat: int, only: set[str] | None = None) -> list[Pair]:
    """The first `candidates` of each train-split question of a calibrate recording (of the sets named
    in `only`, when given), as the cross-check reads them; right only where the question is answerable
    and the span right."""
    import itertools
    import pickle

    from groundqa.eval.calibrate import sources, train_sets

    asked, fitted_on = pickle.loads(recording.read_bytes())
    learned = train_sets(fitted_on)
    pairs = []
    for name, block in itertools.groupby(zip(asked, sources(asked, fitted_on)), key=lambda pair: pair[1]):
        if name in learned and (only is None or name in only):
            pairs += [Pair(a.question, text, float(a.answerable and right))
                      for a, _ in block for _, _, right, text in a.candidates[:candidates]] * repeat
    return pairs


def build_model(trained: int):
    from transformers import BertForSequenceClassification

    model = BertForSequenceClassification.from_pretrained(base_model_path(), num_labels=1, dtype=torch.float32)
    layers = set(trained_layers(model.config.num_hidden_layers, trained))
    for name, parameter in model.named_parameters():
        parameter.requires_grad = name.startswith(("bert.pooler", "classifier")) or any(
            name.startswith(f"bert.encoder.layer.{i}.") for i in layers)
    return model


def train(pairs: list[Pair], trained: int, epochs: int, batch_size: int, learning_rate: float,
          rng: random.Random) -> torch.nn.Module:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_model_path())
    model = build_model(trained)
    parameters = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(parameters, lr=learning_rate, weight_decay=0.01)
    steps = epochs * (len(pairs) + batch_size - 1) // batch_size
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min(1.0, step / max(1, steps // 10)) * max(0.0, 1 - step / steps))
    loss_of = torch.nn.BCEWithLogitsLoss()
    model.train()
    step, began, recent = 0, time.time(), []
    for _ in range(epochs):
        order = rng.sample(pairs, len(pairs))
        for i in range(0, len(order), batch_size):
            batch = order[i:i + batch_size]
            encoded = tokenizer([p.question for p in batch], [p.evidence for p in batch], truncation="only_second",
                                max_length=MAX_TOKENS, padding=True, return_tensors="pt")
            logits = model(**encoded).logits[:, 0]
            loss = loss_of(logits, torch.tensor([p.label for p in batch]))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(parameters, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            recent = [*recent[-49:], loss.item()]
            if step % 50 == 0:
                print(f"step {step}/{steps} mean loss of the last 50 {sum(recent) / len(recent):.3f} "
                      f"{time.time() - began:.0f}s", flush=True)
    return model.eval()


@torch.inference_mode()
def accuracy(model, pairs: list[Pair]) -> float:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(base_model_path())
    right = 0
    for i in range(0, len(pairs), 64):
        batch = pairs[i:i + 64]
        encoded = tokenizer([p.question for p in batch], [p.evidence for p in batch], truncation="only_second",
                            max_length=MAX_TOKENS, padding=True, return_tensors="pt")
        predicted = model(**encoded).logits[:, 0] > 0
        right += sum(int(bool(p) == (pair.label > 0.5)) for p, pair in zip(predicted, batch))
    return 100 * right / max(1, len(pairs))


def save_delta(model, trained: int, out: Path) -> None:
    from safetensors.torch import save_file

    layers = trained_layers(model.config.num_hidden_layers, trained)
    keep = ("bert.pooler", "classifier", *(f"bert.encoder.layer.{i}." for i in layers))
    delta = {name: tensor.detach().half().contiguous() for name, tensor in model.state_dict().items()
             if name.startswith(keep)}
    save_file(delta, str(out), metadata={"trained_layers": str(trained), "max_tokens": str(MAX_TOKENS)})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--squad", type=Path, required=True, help="SQuAD 1.1 train JSON (gz)")
    parser.add_argument("--suite", type=Path, help="the benchmark's root: its train sets are added")
    parser.add_argument("--questions", type=int, default=12000)
    parser.add_argument("--suite-repeat", type=int, default=4, help="times each train-set pair is repeated")
    parser.add_argument("--recorded", type=Path, help="a `groundqa calibrate --suite-train --recorded` file")
    parser.add_argument("--recorded-candidates", type=int, default=3, help="first candidates taken of each question")
    parser.add_argument("--only-sets", help="comma-separated train sets: learn from these alone (cross-fitting: "
                        "a model that has not seen the other sets scores them for the verifier's fit)")
    parser.add_argument("--trained-layers", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--learning-rate", type=float, default=5e-5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    rng = random.Random(args.seed)
    pairs = squad_pairs(load_squad(args.squad), args.questions, rng)
    held = pairs[-1000:]
    pairs = pairs[:-1000]
    only = set(args.only_sets.split(",")) if args.only_sets else None
    if only is not None and args.suite:
        from groundqa.eval.suite import load_sets

        unknown = sorted(only - {gold_set.name for gold_set in load_sets(args.suite, "train")})
        if unknown:
            raise SystemExit(f"--only-sets names no train set of {args.suite}: {', '.join(unknown)}")
    if args.suite:
        pairs += train_set_pairs(args.suite, rng, args.suite_repeat, only)
    if args.recorded:
        pairs += recorded_pairs(args.recorded, args.recorded_candidates, args.suite_repeat, only)
    print(f"{len(pairs)} pairs, {sum(p.label for p in pairs):.0f} right; {len(held)} held out", flush=True)
    model = train(pairs, args.trained_layers, args.epochs, args.batch_size, args.learning_rate, rng)
    print(f"held-out SQuAD train pairs: accuracy {accuracy(model, held):.1f}%", flush=True)
    save_delta(model, args.trained_layers, args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
