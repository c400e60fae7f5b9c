"""The `groundqa` command line: index, ask, eval, bench, serve."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Sequence

from groundqa.errors import GroundQAError
from groundqa.settings import Settings


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    _quiet_model_loading()
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        settings = _settings(args)
        return args.run(args, settings)
    except GroundQAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _quiet_model_loading() -> None:
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {name: getattr(args, name) for name in ("index_dir", "reader_model", "embedding_model",
                                                        "no_answer_margin", "threads")
                 if getattr(args, name, None) is not None}
    return Settings(**overrides)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="groundqa", description="Answer questions from your documents, with citations.")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index-dir", type=Path, help="index directory (env GROUNDQA_INDEX_DIR)")
    common.add_argument("--embedding-model", help="sentence-transformers model path or id (env GROUNDQA_EMBEDDING_MODEL)")
    common.add_argument("--reader-model", help="extractive QA model folder or hub id (env GROUNDQA_READER_MODEL)")
    common.add_argument("--threads", type=int, help="CPU threads for inference")
    sub = parser.add_subparsers(dest="command", required=True)

    index = sub.add_parser("index", parents=[common], help="add, update and remove documents incrementally")
    index.add_argument("paths", nargs="*", type=Path, help="files or folders (default: the shipped corpus/)")
    index.add_argument("--quiet", action="store_true", help="no progress bar")
    index.set_defaults(run=_run_index)

    ask = sub.add_parser("ask", parents=[common], help="answer a question with cited spans")
    ask.add_argument("question", nargs="?", help="the question (or use --file)")
    ask.add_argument("--file", type=Path, help="one question per line; one JSON object per line out")
    ask.add_argument("--top-k", type=int, help="passages to read (default 5)")
    ask.add_argument("--json", action="store_true", help="print the answer JSON")
    ask.add_argument("--no-answer-margin", type=float, help="abstention margin (env GROUNDQA_NO_ANSWER_MARGIN)")
    ask.set_defaults(run=_run_ask)

    from groundqa.eval.cli import add_eval_parser
    from groundqa.eval.bench import add_bench_parser
    add_eval_parser(sub, common)
    add_bench_parser(sub, common)
    from groundqa.eval.load import add_load_parser
    from groundqa.eval.scale import add_scale_parser
    add_load_parser(sub, common)
    add_scale_parser(sub, common)

    serve = sub.add_parser("serve", parents=[common], help="run the HTTP API")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.set_defaults(run=_run_serve)
    return parser


def _run_index(args: argparse.Namespace, settings: Settings) -> int:
    from groundqa.index.catalog import update_stored
    from groundqa.index.ingest import sync
    from groundqa.wiring import expected_manifest, make_catalog, make_embedder

    paths = args.paths or [settings.corpus_dir]
    embedder = make_embedder(settings)
    catalog = make_catalog(settings, embedder.dimension)
    try:
        collection, report = update_stored(catalog, expected_manifest(settings, embedder),
                                           lambda stored: sync(stored, paths, embedder, progress=not args.quiet))
    finally:
        catalog.close()
    for problem in report.problems:
        print(f"skipped {problem}", file=sys.stderr)
    up = report.upsert
    print(f"added {len(up.added)}, updated {len(up.updated)}, unchanged {len(up.unchanged)}, "
          f"removed {len(report.removed)} documents; embedded {up.chunks_embedded} chunks. "
          f"Index {catalog.location}: {len(collection)} documents, {collection.chunk_count} chunks.")
    return 1 if report.problems else 0


def _run_ask(args: argparse.Namespace, settings: Settings) -> int:
    from groundqa.service.pipeline import validate_question
    from groundqa.wiring import build_pipeline

    if (args.question is None) == (args.file is None):
        raise GroundQAError("give either a question or --file")
    if args.question is not None:
        validate_question(args.question, settings.max_question_chars)
    pipeline, _ = build_pipeline(settings)
    if args.question is not None:
        result = pipeline.ask(args.question, top_k=args.top_k)
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2) if args.json else _human(result))
        return 0
    failures = 0
    for line in args.file.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        try:
            record = pipeline.ask(line, top_k=args.top_k).to_json()
        except GroundQAError as exc:
            failures += 1
            record = {"question": line, "error": {"code": exc.code, "message": str(exc)}}
        print(json.dumps(record, ensure_ascii=False), flush=True)
    return 1 if failures else 0


def _human(result) -> str:
    if result.no_answer:
        return "Not found in the documents."
    lines = []
    for number, answer in enumerate(result.answers, start=1):
        c = answer.citation
        before = c.context[: c.start - c.context_start]
        after = c.context[c.end - c.context_start:]
        lines.append(f"{number}. {answer.text}   (score {answer.score:.2f})")
        lines.append(f"   {c.title} [{c.doc_id}, characters {c.start}-{c.end}]")
        lines.append(f"   \u201c{before}\u00bb{answer.text}\u00ab{after}\u201d")
    return "\n".join(lines)


def _run_serve(args: argparse.Namespace, settings: Settings) -> int:
    from groundqa.service.app import run_server

    return run_server(settings.model_copy(update={k: v for k, v in (("host", args.host), ("port", args.port)) if v}))


if __name__ == "__main__":
    sys.exit(main())
