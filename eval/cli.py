"""`groundqa eval GOLD`: score gold questions through the real pipeline, the reader alone, or a server."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from groundqa.eval.gold import load_gold, sample
from groundqa.eval.report import write_reports
from groundqa.eval.runner import NEVER_ABSTAIN, reading_on_as_served, run_http, run_pipeline, run_reader_only
from groundqa.eval.suite import SPLITS, load_sets, run_suite, to_markdown, write_suite_report
from groundqa.eval.summary import calibrate, summarize
from groundqa.errors import GroundQAError
from groundqa.settings import Settings, setting_default


def add_eval_parser(sub, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("eval", parents=[common], help="score gold questions (JSONL or SQuAD JSON)")
    parser.add_argument("gold", type=Path, nargs="?", help="gold JSONL or SQuAD v1.1/v2.0 JSON(.gz)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--suite", type=Path, help="instead of GOLD: every set of --split in this folder's "
                                                 "splits.toml (eval/gold), each against its own documents")
    mode.add_argument("--open", action="store_true", help="SQuAD: index every paragraph, ask against all of them")
    mode.add_argument("--reader-only", action="store_true", help="SQuAD: read only the gold paragraph")
    mode.add_argument("--url", help="ask a running server (e.g. http://127.0.0.1:8000) instead")
    mode.add_argument("--conversations", type=Path, metavar="FILE",
                      help="instead of GOLD: conversations (JSONL) over the sets of --split in the splits.toml "
                           "beside FILE; follow-ups reported apart, and against the same turns standalone")
    parser.add_argument("--api-key", help="X-API-Key for --url, if the collection is private")
    parser.add_argument("--holdout-articles", type=int, default=0,
                        help="--open: leave this many articles out of the index; their questions become unanswerable")
    parser.add_argument("--split", choices=SPLITS, default="dev",
                        help="--suite, --conversations: which sets (default: dev)")
    parser.add_argument("--limit", type=int, help="sample this many questions (default: all)")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed")
    parser.add_argument("--top-k", type=int, help=f"passages per question ({setting_default('top_k')})")
    parser.add_argument("--no-answer-margin", type=float,
                        help="without the verifier (GROUNDQA_VERIFIER=off) only: the reader's margin over "
                             f"no-answer to abstain below ({setting_default('no_answer_margin')}); with it, "
                             "answers are scored at the verifier's threshold (GROUNDQA_ANSWER_THRESHOLD)")
    parser.add_argument("--calibrate", action="store_true", help="find the margin that maximizes F1")
    parser.add_argument("--report", type=Path, help="write the JSON report here (Markdown and PNG beside it)")
    parser.add_argument("--cache-dir", type=Path, default=Path(".groundqa/eval"), help="--open index cache")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=run_eval)


def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    if args.suite:
        return _run_suite(args, settings)
    if args.conversations:
        from groundqa.eval.conversation_cli import run_conversation_eval

        return run_conversation_eval(args, settings)
    if args.gold is None:
        raise GroundQAError("name a gold file, or --suite FOLDER --split train|dev|test")
    from groundqa.eval.open_index import hold_out, open_pipeline
    from groundqa.wiring import answers, build_pipeline, decision_threshold, make_reader

    everything, held = hold_out(load_gold(args.gold), args.holdout_articles if args.open else 0, args.seed)
    questions = sample(everything, args.limit, args.seed)
    needs_paragraphs = args.open or args.reader_only
    if needs_paragraphs and any(q.context is None for q in questions):
        raise GroundQAError("--open and --reader-only need SQuAD JSON (each question with its paragraph)")
    if args.calibrate and args.url:
        raise GroundQAError("--calibrate needs the margins, which only an in-process run sees; drop --url")
    # Recorded without abstaining (every best candidate and its decision score); scored at the threshold.
    threshold = settings.no_answer_margin if args.reader_only else decision_threshold(settings)
    recording = settings.model_copy(update={"no_answer_margin": NEVER_ABSTAIN, "answer_threshold": 0.0,
                                            **({"top_k": args.top_k} if args.top_k else {})})
    progress = not args.quiet
    if args.reader_only:
        run = run_reader_only(make_reader(recording), questions, answers(recording), progress)
    elif args.url:
        run = run_http(args.url, questions, recording.top_k, progress, settings.collection, args.api_key)
    elif args.open:
        pipeline = open_pipeline(recording, everything, args.gold, args.cache_dir, progress, held)
        run = run_pipeline(reading_on_as_served(pipeline, threshold), questions, progress)
    else:
        run = run_pipeline(reading_on_as_served(build_pipeline(recording)[0], threshold), questions, progress)
    summary = summarize(run, threshold)
    if args.calibrate:
        margin, best_f1 = calibrate(run.rows)
        summary["calibration"] = {"no_answer_margin": margin, "f1": round(best_f1, 2),
                                  "setting": f"GROUNDQA_NO_ANSWER_MARGIN={margin}"}
    print(json.dumps(summary, indent=2))
    if args.report:
        mode = "reader-only" if args.reader_only else "open" if args.open else "over HTTP" if args.url else "pipeline"
        for path in write_reports(run, summary, args.report, f"{args.gold.name} ({mode}, n={summary['n']})"):
            print(f"wrote {path}")
    return 0


def _run_suite(args: argparse.Namespace, settings: Settings) -> int:
    if args.gold is not None or args.limit or args.top_k:
        raise GroundQAError("--suite runs whole sets as served: no GOLD, --limit or --top-k with it")
    result = run_suite(settings, load_sets(args.suite, args.split), args.cache_dir, not args.quiet)
    print(to_markdown(result))
    report = args.report or Path(f".groundqa/eval/suite-{args.split}.json")
    for path in write_suite_report(result, report):
        print(f"wrote {path}")
    return 0
