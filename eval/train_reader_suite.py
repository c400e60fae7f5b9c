"""Fine-tune the reader on the benchmark's train sets, with SQuAD 1.1 train beside them (CPU is enough).

The shipped reader knows SQuAD's encyclopedia paragraphs; the benchmark's documents are prices,
tables, policies and field lines. Each train-split question is paired with the passage retrieval
gives it (the chunk text as the reader reads it): an answerable one with the first of its top
passages that holds a gold answer (its gold document's first), the answer's first occurrence there
as the label, and with the best passage that holds none as a no-answer window for a share of them;
an unanswerable one with its best passage, labelled at [CLS]. Train conversations' standalone
questions count as questions of their set. With --tables-per-set, questions are also made from the
train documents' table rows ("What is the <column> for <row>?", the cell its answer; not yet measured).
SQuAD 1.1 train questions (a sample) are mixed in so that the reader keeps what it knew. Only
train-split text is trained on; dev and test sets never (eval/BENCHMARKS.md, "The reader fine-tuned
on the train sets, on the CPU").

    python -m groundqa.eval.train_reader_suite --suite eval/gold \
        --conversations eval/gold/conversations.jsonl --squad ../shared/data/squad/squad-v1.1-train.json.gz \
        --squad-questions 1000 --out DIR
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path

import torch
from transformers import AutoModelForQuestionAnswering, AutoTokenizer

from groundqa.eval.conversations import load_conversations
from groundqa.eval.gold import GoldQuestion, load_gold, load_squad
from groundqa.eval.suite import load_sets, set_pipeline
from groundqa.eval.train_reader import Example, train, training_examples, training_windows
from groundqa.service.reader import as_read
from groundqa.service.tables import SEPARATOR
from groundqa.settings import Settings, shared_reader_model

PASSAGES = 5  # passages retrieved per question to look for its answer in


def suite_questions(suite: Path, conversations: Path | None,
                    only_sets: set[str] | None = None) -> dict[str, list[GoldQuestion]]:
    """Each train set's questions (of `only_sets` where given), its train conversations' standalone
    questions after them."""
    by_set = {gold_set.name: load_gold(gold_set.gold) for gold_set in load_sets(suite, "train")
              if only_sets is None or gold_set.name in only_sets}
    for conversation in load_conversations(conversations) if conversations else []:
        if conversation.set in by_set:
            for number, (turn, question) in enumerate(zip(conversation.turns, conversation.standalone)):
                by_set[conversation.set].append(GoldQuestion(f"{conversation.id}#{number + 1}", question,
                                                             turn.answers, turn.doc_id))
    return by_set


def labelled(question: GoldQuestion, passages, wrong_share: float, rng: random.Random) -> tuple[list[Example], bool]:
    """The question's examples over its retrieved passages, and whether an answer was found in them."""
    texts = [(p.chunk.doc_id, as_read(p.chunk.text)) for p in passages]
    if not question.answers:
        return ([Example(question.question, texts[0][1], None)] if texts else []), True
    ordered = sorted(texts, key=lambda t: t[0] != question.doc_id) if question.doc_id else texts
    for _, text in ordered:
        for answer in question.answers:
            start = text.find(answer)
            if start >= 0:
                examples = [Example(question.question, text, start, start + len(answer))]
                wrong = next((t for _, t in texts if not any(a.lower() in t.lower() for a in question.answers)), None)
                if wrong is not None and rng.random() < wrong_share:
                    examples.append(Example(question.question, wrong, None))
                return examples, True
    return [], False


def table_examples(chunk_texts: list[str], per_set: int, rng: random.Random) -> list[Example]:
    """Up to `per_set` questions made from the table rows of the chunks (as the loaders write them:
    "label | header: cell | header: cell"): "What is the <header> for <label>?", the cell its answer."""
    made = []
    for text in chunk_texts:
        at = 0
        for line in text.split("\n"):
            cells = line.split(SEPARATOR)
            label = cells[0].strip()
            if len(cells) > 1 and label and ": " not in label:
                position = at + len(cells[0])
                for cell in cells[1:]:
                    position += len(SEPARATOR)
                    header, colon, value = cell.partition(": ")
                    if colon and header.strip() and value.strip():
                        start = position + len(header) + len(colon)
                        made.append(Example(f"What is the {header.strip()} for {label}?", text, start, start + len(value.rstrip())))
                    position += len(cell)
            at += len(line) + 1
    return rng.sample(made, min(per_set, len(made)))


def suite_examples(settings: Settings, suite: Path, conversations: Path | None, cache_root: Path,
                   wrong_share: float, tables_per_set: int, seed: int,
                   only_sets: set[str] | None = None) -> tuple[list[Example], dict]:
    from groundqa.wiring import make_embedder, make_reader

    sets = {s.name: s for s in load_sets(suite, "train")}
    unknown = sorted((only_sets or set()) - set(sets))
    if unknown:
        raise SystemExit(f"--only-sets names no train set: {', '.join(unknown)}")
    rng = random.Random(seed)
    embedder, reader = make_embedder(settings), make_reader(settings)
    examples, counts = [], {}
    for name, questions in suite_questions(suite, conversations, only_sets).items():
        pipeline = set_pipeline(settings, sets[name], embedder, reader, cache_root)
        pipeline.prepare_search()
        vectors = embedder.embed([q.question for q in questions])
        missed = 0
        for question, vector in zip(questions, vectors):
            made, ok = labelled(question, pipeline.search(vector, question.question, PASSAGES), wrong_share, rng)
            examples.extend(made)
            missed += not ok
        tables = table_examples([as_read(c.text) for c in pipeline.collection.chunks.values()], tables_per_set, rng)
        examples.extend(tables)
        counts[name] = {"questions": len(questions), "answer_not_retrieved": missed, "table_questions": len(tables)}
    return examples, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", type=Path, required=True)
    parser.add_argument("--conversations", type=Path)
    parser.add_argument("--squad", type=Path, required=True, help="SQuAD 1.1 train, sampled beside the sets")
    parser.add_argument("--squad-questions", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=2, help="times each set example is seen per epoch")
    parser.add_argument("--wrong-share", type=float, default=0.5)
    parser.add_argument("--tables-per-set", type=int, default=0, help="questions made from each set's table rows")
    parser.add_argument("--epochs", type=float, default=1.0)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--cache", type=Path, default=Path(".groundqa/cache"))
    parser.add_argument("--only-sets", help="comma-separated train sets: learn from these alone (a reader for "
                        "cross-fitting the verifier: `groundqa calibrate --reader-for`)")
    parser.add_argument("--base", default=shared_reader_model(),
                        help="the reader to fine-tune (default: the shared SQuAD reader)")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    # Only retrieval is used here: no verifier (the shipped one is fitted for another reader than the base).
    settings = Settings(reader_model=args.base, verifier="off")
    torch.manual_seed(args.seed)
    began = time.time()
    ours, counts = suite_examples(settings, args.suite, args.conversations, args.cache, args.wrong_share,
                                   args.tables_per_set, args.seed,
                                   set(args.only_sets.split(",")) if args.only_sets else None)
    squad = [q for q in load_squad(args.squad) if q.answers and q.context]
    sample = random.Random(args.seed).sample(squad, min(args.squad_questions, len(squad)))
    examples = ours * args.repeat + training_examples(sample, 0.0, 0.3, args.seed)
    random.Random(args.seed).shuffle(examples)
    tokenizer = AutoTokenizer.from_pretrained(args.base)
    model = AutoModelForQuestionAnswering.from_pretrained(args.base, dtype=torch.float32).eval()
    windows = training_windows(tokenizer, examples)
    figures = {"sets": counts, "set_examples": len(ours), "no_answer": sum(e.answer_start is None for e in ours),
               "all_examples": len(examples), "windows": len(windows["input_ids"]),
               "prepared_seconds": round(time.time() - began, 1)}
    print(json.dumps(figures), flush=True)
    torch.set_num_threads(os.cpu_count() or 1)  # the service's reader set it to its own share
    began = time.time()
    train(model, windows, "cpu", args.epochs, args.batch, args.lr, lambda line: print(line, flush=True))
    figures["train_seconds"] = round(time.time() - began, 1)
    figures["args"] = {k: str(v) for k, v in vars(args).items()}
    (args.out / "figures.json").write_text(json.dumps(figures, indent=1))
    model.save_pretrained(args.out / "reader")
    tokenizer.save_pretrained(args.out / "reader")


if __name__ == "__main__":
    main()
