"""`groundqa calibrate GOLD...`: fit the answer verifier on gold questions and write its file.

Each gold question goes through the shipped pipeline (verification off, so every candidate is kept, and
every passage the token budget affords is read); each candidate answer becomes one example: its verifier
features, labelled right when its F1 against the gold answers is at least 0.5 and its numbers are the
gold's (metrics.right_f1; never, for a question the documents cannot answer). A logistic regression
over the standardized features gives the probability; the threshold is the one that maximizes mean
(official SQuAD) F1 over the questions when the most probable candidate is answered at or above it.
SQuAD files are asked in open mode (all their paragraphs indexed); JSONL gold files against the
configured index.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import pickle
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from groundqa.service.verify import sigmoid

from groundqa.eval.gold import GoldQuestion, load_gold, sample
from groundqa.eval.open_index import hold_out
from groundqa.eval.metrics import f1_score, right_f1
from groundqa.eval.near_miss import near_misses
from groundqa.settings import Settings, setting_default

RIGHT = 0.5  # a candidate with at least this F1 (its numbers the gold's: metrics.right_f1) counts as right


def add_calibrate_parser(sub, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("calibrate", parents=[common], help="fit the answer verifier on gold questions")
    parser.add_argument("gold", type=Path, nargs="*", help="gold JSONL (asked against the index) or SQuAD JSON (open mode)")
    parser.add_argument("--limit", type=int, help="sample this many questions from each file (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed")
    parser.add_argument("--holdout-articles", type=int, default=0,
                        help="SQuAD files without unanswerable questions (v1.1): leave this many whole articles out "
                             "of the index, so that their questions become unanswerable")
    parser.add_argument("--leave-out", metavar="LIMIT:SEED", action="append", default=[],
                        help="leave out the questions `groundqa eval --limit LIMIT --seed SEED` asks of a SQuAD file, "
                             "to check on them (repeatable)")
    parser.add_argument("--near-misses", type=int, default=0,
                        help="SQuAD files: also ask this many near-miss questions made from answerable ones (one "
                             "number or name swapped for one the article lacks: eval/near_miss.py), as unanswerable")
    parser.add_argument("--max-answerable-loss", type=float,
                        help="choose the threshold among those that cost the answerable questions (those people "
                             "wrote) at most this many F1 points against never abstaining (default: no limit)")
    parser.add_argument("--suite-train", type=Path, metavar="SUITE",
                        help="also the train sets of this benchmark (its splits.toml), each set weighing as a file")
    parser.add_argument("--recorded", type=Path, metavar="FILE",
                        help="keep the asked candidates here and, when it exists, fit on them without asking "
                             "again (a local cache: valid for the same questions, models and settings)")
    parser.add_argument("--cross-check", type=Path, metavar="MODEL",
                        help="also fit how the cross-check model (service/cross_check.py) weighs in on the first "
                             "candidates; the threshold then applies to the combined probability")
    parser.add_argument("--cross-check-candidates", type=int, default=3, metavar="N",
                        help="how many of the verifier's first candidates the cross-check judges again")
    parser.add_argument("--cross-fit", metavar="MODEL:SETS", action="append", default=[],
                        help="cross-fitting: a cross-check trained without these train sets (comma-separated; "
                             "eval/train_cross_check.py --only-sets the others) judges their questions, so the "
                             "fit sees the cross-check on questions it never learned from (repeatable)")
    parser.add_argument("--reader-for", metavar="MODEL:SETS", action="append", default=[],
                        help="cross-fitting the reader: a reader fine-tuned without these train sets (comma-separated; "
                             "eval/train_reader_suite.py --only-sets the others) reads their questions, so the fit sees "
                             "the reader on documents it never learned from (repeatable)")
    parser.add_argument("--features-from", type=Path, metavar="VERIFIER",
                        help="keep this verifier file's fit of the features; fit only the cross-check and threshold")
    parser.add_argument("--out", type=Path, required=True, help="write the verifier here; use it with GROUNDQA_VERIFIER=PATH")
    parser.add_argument("--cache-dir", type=Path, default=Path(".groundqa/eval"), help="open-mode index cache")
    parser.add_argument("--top-k", type=int, help=f"passages per question ({setting_default('top_k')})")
    parser.set_defaults(run=run_calibrate)


@dataclass(frozen=True)
class Asked:
    question: str
    answerable: bool
    # each candidate's features, its F1 against the gold (the threshold's measure) and whether it is right
    # (F1 >= RIGHT with the gold's numbers, metrics.right_f1: what the probability is of)
    candidates: list[tuple[np.ndarray, float, bool, str]]  # ... and what the cross-check reads
    weight: float = 1.0  # each gold file weighs the same in the fit, however many questions it has
    made: bool = False  # a near miss made by eval/near_miss.py, not a question someone wrote
    checked: dict[int, float] = dataclasses.field(default_factory=dict)  # candidate -> cross-check probability

    def scores(self, verifier) -> list[tuple[float, float]]:
        """(probability, F1) of each candidate the verifier decides among (with a cross-check, its first)."""
        if verifier.cross_check is None:
            return [(verifier.probability(c[0]), c[1]) for c in self.candidates]
        return [(sigmoid(verifier.cross_check.log_odds(verifier.log_odds(self.candidates[i][0]), p)),
                 self.candidates[i][1]) for i, p in self.checked.items()]


def run_calibrate(args: argparse.Namespace, settings: Settings) -> int:
    from groundqa.service.verify import Verifier
    from groundqa.wiring import models_fitted_for

    if args.cross_fit and not args.cross_check:
        raise SystemExit("--cross-fit needs --cross-check: the model that serves, which the fit weighs in")
    # With the verifier off there is no verdict to stop reading at: every passage the budget affords is
    # read, as the served pipeline does whenever the best passage's answer is not verified at
    # early_exit_probability.
    recording = settings.model_copy(update={"verifier": "off", "early_exit_margin": None,
                                            **({"top_k": args.top_k} if args.top_k else {})})
    if args.recorded and args.recorded.is_file():
        asked, fitted_on = pickle.loads(args.recorded.read_bytes())
    else:
        asked, fitted_on = ask_all(args, recording)
        if args.recorded:
            args.recorded.parent.mkdir(parents=True, exist_ok=True)
            args.recorded.write_bytes(pickle.dumps((asked, fitted_on)))
    features_from = Verifier.load(args.features_from) if args.features_from else None
    verifier, summary = fit(asked, args.max_answerable_loss, args.cross_check, features_from,
                            args.cross_check_candidates, cross_fitted(args.cross_fit, asked, fitted_on))
    verifier = dataclasses.replace(verifier, fitted_for=models_fitted_for(settings))
    summary["fitted_on"] = fitted_on
    summary["date"] = datetime.date.today().isoformat()
    summary["command"] = " ".join(["groundqa", *sys.argv[1:]])
    verifier = dataclasses.replace(verifier, about=summary)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(verifier.to_json(), indent=2) + "\n")
    print(json.dumps(summary, indent=2))
    print(f"wrote {args.out}")
    return 0


def _train_set(about: str) -> str | None:
    """The train set a recording's summary line names ("hospital (train split): 45 questions"), if any."""
    return about.split(" (train split)")[0] if "(train split)" in about else None


def train_sets(fitted_on: list[str]) -> set[str]:
    """The benchmark's train sets a recording's summary lines name."""
    return {name for name in map(_train_set, fitted_on) if name}


def sources(asked: list[Asked], fitted_on: list[str]) -> list[str]:
    """The file or train set each asked question came from, read from the recording's summary lines
    ("hospital (train split): 45 questions", "squad-....json.gz: 300 questions (seed 5), 100 near
    misses ..."; a made near miss is of its file)."""
    names = []
    for about in fitted_on:
        count = sum(int(n) for n in re.findall(r"(\d+) (?:questions|near misses)", about))
        names += [_train_set(about) or about.split(":")[0]] * count
    if len(names) != len(asked):
        raise SystemExit(f"the recording's summary counts {len(names)} questions; it holds {len(asked)}")
    return names


def models_by_set(specs: list[str], flag: str) -> dict[str, Path]:
    """MODEL:SET,SET,... specs as the model named for each set."""
    by_set: dict[str, Path] = {}
    for spec in specs:
        model, _, names = spec.rpartition(":")
        if not model or not names:
            raise SystemExit(f"{flag} {spec!r}: expected MODEL:SET,SET,...")
        by_set.update({name: Path(model) for name in names.split(",")})
    return by_set


def cross_fitted(specs: list[str], asked: list[Asked], fitted_on: list[str]) -> dict[int, Path]:
    """--cross-fit MODEL:SETS as the model that judges each of those sets' questions (by index in `asked`)."""
    by_set = models_by_set(specs, "--cross-fit")
    named = sources(asked, fitted_on) if by_set else []
    unknown = sorted(set(by_set) - set(named))
    if unknown:
        raise SystemExit(f"--cross-fit names sets the recording lacks: {', '.join(unknown)}")
    return {i: by_set[name] for i, name in enumerate(named) if name in by_set}


def ask_all(args: argparse.Namespace, recording: Settings) -> tuple[list[Asked], list[str]]:
    """Every gold question asked, each candidate recorded; and what was asked, for people."""
    asked: list[Asked] = []
    fitted_on = []
    for path in args.gold:
        questions = load_gold(path)
        all_answerable = all(q.answers for q in questions)
        squad = bool(questions) and questions[0].context is not None  # the eval samples and near misses come from these
        everything, held = hold_out(questions, args.holdout_articles if all_answerable else 0, args.seed)
        for limit, seed in ((int(part) for part in spec.split(":")) for spec in args.leave_out if squad):
            checked = {q.id for q in sample(questions, limit, seed)}
            everything = [q for q in everything if q.id not in checked]
        questions = everything
        asked_here = sample(questions, args.limit, args.seed)
        made = near_misses(questions, args.near_misses, args.seed) if squad and args.near_misses else []
        recorded = record(path, load_gold(path), held, asked_here + made, recording, args.cache_dir)
        recorded = [dataclasses.replace(a, weight=1.0 / len(recorded), made=number >= len(asked_here))
                    for number, a in enumerate(recorded)]
        asked += recorded
        fitted_on.append(f"{path.name}: {len(asked_here)} questions"
                         + (f" (seed {args.seed})" if len(asked_here) < len(questions) else "")
                         + (f", {len(made)} near misses made from its answerable questions" if made else "")
                         + (f", {len(held)} articles held out" if held else "")
                         + (f", leaving out eval samples {' '.join(args.leave_out)}" if args.leave_out and squad else ""))
    if args.suite_train:
        readers = models_by_set(args.reader_for, "--reader-for")
        for name, recorded in record_train_sets(args.suite_train, recording, args.cache_dir, readers):
            asked += [dataclasses.replace(a, weight=1.0 / len(recorded)) for a in recorded]
            fitted_on.append(f"{name} (train split): {len(recorded)} questions"
                             + (f", read by {readers[name]}" if name in readers else ""))
    return asked, fitted_on


def record(path: Path, everything: list[GoldQuestion], held: set[str], questions: list[GoldQuestion],
           settings: Settings, cache_dir: Path) -> list[Asked]:
    from groundqa.eval.open_index import open_pipeline
    from groundqa.wiring import build_pipeline

    if questions and questions[0].context is not None:
        pipeline = open_pipeline(settings, everything, path, cache_dir, progress=True, exclude_titles=held)
    else:
        pipeline, _ = build_pipeline(settings)
    return asked_of(pipeline, questions, path.name)


def record_train_sets(suite: Path, settings: Settings, cache_dir: Path,
                      readers: dict[str, Path] | None = None) -> list[tuple[str, list[Asked]]]:
    """The benchmark's train sets, each against an index of its own documents (never dev or test); a set
    in `readers` is read by the reader named there."""
    from groundqa.eval.suite import load_sets, set_pipeline
    from groundqa.wiring import make_embedder, make_reader

    readers = readers or {}
    sets = load_sets(suite, "train")
    unknown = sorted(set(readers) - {gold_set.name for gold_set in sets})
    if unknown:
        raise SystemExit(f"--reader-for names no train set of {suite}: {', '.join(unknown)}")
    embedder, reader = make_embedder(settings), make_reader(settings)
    others = {model: make_reader(settings.model_copy(update={"reader_model": str(model)}))
              for model in set(readers.values())}
    return [(gold_set.name, asked_of(set_pipeline(settings, gold_set, embedder,
                                                  others.get(readers.get(gold_set.name), reader), cache_dir / "suite"),
                                     load_gold(gold_set.gold), gold_set.name))
            for gold_set in sets]


def asked_of(pipeline, questions: list[GoldQuestion], name: str) -> list[Asked]:
    asked = []
    for gold in tqdm(questions, desc=f"asking {name}", unit="q"):
        judged = pipeline.ask(gold.question).judged
        scored = [(features, f1_score(text, gold.answers), right_f1(text, gold.answers) >= RIGHT, checked)
                  if gold.answers else (features, 0.0, False, checked) for text, features, checked in judged]
        asked.append(Asked(gold.question, bool(gold.answers), scored))
    return asked


def fit(asked: list[Asked], max_answerable_loss: float | None = None, cross_check: Path | None = None,
        features_from=None, cross_check_candidates: int = 3, cross_fit: dict[int, Path] | None = None):
    """The logistic regression over every candidate (each file's questions weighing the same; or the
    one of `features_from`, a verifier, kept as it is), then with a cross-check model how it weighs in
    on the first candidates (`cross_fit`: another model judging some questions, by index), and the
    threshold that serves the questions best."""
    from sklearn.linear_model import LogisticRegression

    from groundqa.service.verify import Verifier

    y = np.array([int(a.answerable and right) for a in asked for _, _, right, _ in a.candidates])
    if features_from is None:
        X = np.array([features for a in asked for features, *_ in a.candidates])
        weights = np.array([a.weight / len(a.candidates) for a in asked for _ in a.candidates])
        mean, scale = X.mean(axis=0), X.std(axis=0) + 1e-9
        model = LogisticRegression(C=1.0, max_iter=5000).fit((X - mean) / scale, y, sample_weight=weights * len(y))
        verifier = _scaled_to_the_best_answers(
            Verifier(mean, scale, model.coef_[0], float(model.intercept_[0]), 0.5, {}), [a for a in asked if not a.made])
    else:
        verifier = dataclasses.replace(features_from, cross_check=None)
    summary = {}
    if cross_check is not None:
        verifier, summary = fit_cross_check(verifier, asked, cross_check, cross_check_candidates, cross_fit)
    threshold, best_f1, loss = best_threshold(verifier, asked, max_answerable_loss)
    return dataclasses.replace(verifier, threshold=threshold), {
        "questions": len(asked), "unanswerable": sum(not a.answerable for a in asked),
        "near_misses_made": sum(a.made for a in asked), "candidates": int(len(y)), "right": int(y.sum()),
        "threshold": round(threshold, 4), "f1_at_threshold": round(100 * best_f1, 2),
        "answerable_f1_lost": round(100 * loss, 2), **summary}


def fit_cross_check(verifier, asked: list[Asked], path: Path, candidates: int = 3,
                    cross_fit: dict[int, Path] | None = None):
    """The verifier with a cross-check: a logistic regression over the features' log-odds and the
    cross-check's log-odds of each question's first `candidates`, weighed as the first fit was. A
    question in `cross_fit` is judged by the model named there (one that never learned from it)."""
    from sklearn.linear_model import LogisticRegression

    from groundqa.service.cross_check import CrossCheck, CrossCheckFit, file_digest, logit

    cross_fit = cross_fit or {}
    models = {p: CrossCheck(p) for p in {path, *cross_fit.values()}}
    rows, labels, weights = [], [], []
    for number, a in enumerate(tqdm(asked, desc="cross-checking", unit="q")):
        first = sorted(range(len(a.candidates)), key=lambda i: -verifier.log_odds(a.candidates[i][0]))[:candidates]
        model = models[cross_fit.get(number, path)]
        probabilities = model.probabilities(a.question, [a.candidates[i][3] for i in first])
        a.checked.update({i: float(p) for i, p in zip(first, probabilities)})
        for i, p in zip(first, probabilities):
            rows.append([verifier.log_odds(a.candidates[i][0]), logit(float(p))])
            labels.append(int(a.answerable and a.candidates[i][2]))
            weights.append(a.weight / len(first))
    weights = np.array(weights) * len(weights)
    combination = LogisticRegression(C=1e3, max_iter=1000).fit(np.array(rows), labels, sample_weight=weights)
    fitted = CrossCheckFit(path, file_digest(path), (float(combination.coef_[0][0]), float(combination.coef_[0][1])),
                           float(combination.intercept_[0]), candidates)
    return dataclasses.replace(verifier, cross_check=fitted), {"cross_check": fitted.to_json()}


def _scaled_to_the_best_answers(verifier, asked: list[Asked]):
    """The verifier with its log-odds rescaled (Platt) so that the probability of each question's most
    probable candidate matches how often that candidate is right, over the questions people wrote:
    the fit weighs files and made near misses to learn what matters, which skews the probabilities
    a user sees. The scale is positive, so the ranking of candidates and every decision stay as they were."""
    from sklearn.linear_model import LogisticRegression

    asked = [a for a in asked if a.candidates]
    best = [max(a.candidates, key=lambda c: verifier.log_odds(c[0])) for a in asked]
    right = [int(a.answerable and is_right) for a, (_, _, is_right, _) in zip(asked, best)]
    if len(set(right)) < 2:
        return verifier
    z = np.array([[verifier.log_odds(features)] for features, *_ in best])
    platt = LogisticRegression(C=1e6, max_iter=1000).fit(z, right)
    a, b = float(platt.coef_[0][0]), float(platt.intercept_[0])
    if a <= 0:
        return verifier
    return dataclasses.replace(verifier, coef=verifier.coef * a, intercept=verifier.intercept * a + b)


def best_threshold(verifier, asked: list[Asked], max_answerable_loss: float | None = None) -> tuple[float, float, float]:
    """The threshold that maximizes the weighted mean F1 when each question's most probable candidate
    is answered at or above it (abstaining scores 1 on a question the documents cannot answer, else
    0), among those that cost the answerable questions people wrote at most `max_answerable_loss` F1
    points; with the F1 and that cost."""
    decisions = []
    for a in asked:
        best = max(a.scores(verifier), default=(-1.0, 0.0))
        decisions.append((best[0], best[1], 0.0 if a.answerable else 1.0, a.weight, a.answerable and not a.made))
    total = sum(weight for *_, weight, _ in decisions)
    answerable = [(p, f1) for p, f1, _, _, written in decisions if written]
    never_abstaining = float(np.mean([f1 for _, f1 in answerable])) if answerable else 0.0

    def loss(t: float) -> float:
        return never_abstaining - float(np.mean([f1 if p >= t else 0.0 for p, f1 in answerable])) if answerable else 0.0

    options = sorted({round(p, 4) for p, *_ in decisions if p >= 0} | {1.01, 0.0})
    if max_answerable_loss is not None:
        options = [t for t in options if loss(t) <= max_answerable_loss / 100 + 1e-9] or [0.0]
    scores = [(sum(w * (f1 if p >= t else silent) for p, f1, silent, w, _ in decisions) / total, t) for t in options]
    best_f1, threshold = max(scores, key=lambda pair: (pair[0], -pair[1]))
    return float(threshold), float(best_f1), loss(threshold)
