"""`groundqa eval GOLD`: score gold questions through the real pipeline (or the reader alone)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from eval.gold import load_gold, sample
from eval.runner import NEVER_ABSTAIN, calibrate, rows_to_json, run_pipeline, run_reader_only, summarize
from groundqa.settings import Settings


def add_eval_parser(sub, common: argparse.ArgumentParser) -> None:
    parser = sub.add_parser("eval", parents=[common], help="score gold questions (JSONL or SQuAD JSON)")
    parser.add_argument("gold", type=Path, help="gold JSONL or SQuAD v1.1/v2.0 JSON(.gz)")
    parser.add_argument("--reader-only", action="store_true", help="SQuAD: read only the gold paragraph")
    parser.add_argument("--limit", type=int, help="sample this many questions")
    parser.add_argument("--seed", type=int, default=0, help="sampling seed")
    parser.add_argument("--top-k", type=int, help="passages per question")
    parser.add_argument("--no-answer-margin", type=float, help="abstention margin to score with")
    parser.add_argument("--calibrate", action="store_true", help="find the margin that maximizes F1")
    parser.add_argument("--report", type=Path, help="write the JSON report here")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(run=run_eval)


def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    from service.pipeline import build_pipeline, make_reader

    questions = sample(load_gold(args.gold), args.limit, args.seed)
    recording = settings.model_copy(update={"no_answer_margin": NEVER_ABSTAIN,
                                            **({"top_k": args.top_k} if args.top_k else {})})
    if args.reader_only:
        if any(q.context is None for q in questions):
            raise SystemExit("error: --reader-only needs SQuAD JSON (each question with its paragraph)")
        rows = run_reader_only(make_reader(recording), questions, progress=not args.quiet)
    else:
        rows = run_pipeline(build_pipeline(recording), questions, progress=not args.quiet)
    summary = summarize(rows, settings.no_answer_margin)
    if args.calibrate:
        margin, best_f1 = calibrate(rows)
        summary["calibration"] = {"no_answer_margin": margin, "f1": round(best_f1, 2),
                                  "setting": f"GROUNDQA_NO_ANSWER_MARGIN={margin}"}
    print(json.dumps(summary, indent=2))
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps({"summary": summary, "rows": rows_to_json(rows)}, indent=1, ensure_ascii=False))
    return 0
