"""The `groundqa` command line: index, ask, documents, status, eval, bench, load, scale, serve. Every
command checks its arguments, files and index before it loads a model."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Sequence

import groundqa
from groundqa.errors import GroundQAError
from groundqa.settings import Settings, load_settings, setting_default


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = _parser().parse_args(argv)
    try:
        settings = _settings(args)
        return args.run(args, settings)
    except GroundQAError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def loading_models(what: str = "the models") -> None:
    """Say so before the slow part (seconds to a minute)."""
    print(f"loading {what}...", file=sys.stderr, flush=True)


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {name: getattr(args, name) for name in ("index_dir", "reader_model", "embedding_model",
                                                        "no_answer_margin", "threads")
                 if getattr(args, name, None) is not None}
    settings = load_settings(**overrides)
    name = getattr(args, "collection", None) or settings.collection
    if getattr(args, "command", None) == "collections" or name == "default":
        return settings
    if args.command == "serve":  # it would serve that collection's index as the default one, keys ignored
        raise GroundQAError("serve serves every collection (/v1/collections/NAME/...): drop --collection "
                            "and GROUNDQA_COLLECTION")
    return _collection_settings(settings, name, create=args.command == "index", remote=bool(getattr(args, "url", None)))


def _collection_settings(settings: Settings, name: str, create: bool, remote: bool) -> Settings:
    """The settings of named collection `name`: `index` creates it if need be; other commands need it
    to exist (asked of a server with --url, the server says)."""
    from groundqa.service.collections import Record, make_shelf, settings_for, validate_name

    validate_name(name)
    if not remote:
        shelf = make_shelf(settings)
        if shelf.record(name) is None:
            if not create:
                raise GroundQAError(f"no collection {name!r}: create it with `groundqa collections create {name}` "
                                    f"or `groundqa index PATH --collection {name}`")
            shelf.add(Record.new(name))
    return settings_for(settings, name)


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Every option's default in its help: argparse's own, or the setting it falls back to."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "default:" in text or any(action.default is nothing for nothing in (None, False, argparse.SUPPRESS)):
            return text
        return super()._get_help_string(action)


def _use_everywhere(parser: argparse.ArgumentParser, formatter: type) -> None:
    parser.formatter_class = formatter
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                _use_everywhere(child, formatter)


def _parser() -> argparse.ArgumentParser:
    formatter = HelpFormatter
    parser = argparse.ArgumentParser(prog="groundqa", formatter_class=formatter,
                                     description="Answer questions from your documents, with citations.")
    parser.add_argument("--version", action="version", version=f"groundqa {groundqa.__version__}")
    models = argparse.ArgumentParser(add_help=False)
    models.add_argument("--index-dir", type=Path, help=f"index directory ({setting_default('index_dir')})")
    models.add_argument("--embedding-model", help=f"sentence-transformers model path or id ({setting_default('embedding_model')})")
    models.add_argument("--reader-model", help=f"extractive QA model folder or hub id ({setting_default('reader_model')})")
    models.add_argument("--threads", type=int, help="CPU threads for inference (default: $GROUNDQA_THREADS, else all cores)")
    common = argparse.ArgumentParser(add_help=False, parents=[models])
    common.add_argument("--collection", help=f"work on this named collection ({setting_default('collection')})")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    index = sub.add_parser("index", parents=[common], formatter_class=formatter,
                           help="add, update and remove documents incrementally")
    index.add_argument("paths", nargs="*", metavar="PATH|URL",
                       help="files, folders or web sites (http(s) URLs) (default: the shipped corpus/)")
    index.add_argument("--as", dest="name", metavar="NAME",
                       help="name the folder's documents NAME/... instead of by the folder's own name (one path)")
    index.add_argument("--quiet", action="store_true", help="no progress bar")
    index.add_argument("--workers", type=int, default=1, metavar="N",
                       help="embed in N processes on this machine, each with its share of the cores (default 1)")
    index.add_argument("--shard", metavar="I/N", type=_shard,
                       help="index only shard I of N (by document id): N processes, on as many machines, "
                            "into one Milvus server index what one run would")
    from groundqa.cli_index import add_site_options
    add_site_options(index)
    index.set_defaults(run=_run_index)

    ask = sub.add_parser("ask", parents=[common], formatter_class=formatter, help="answer a question with cited spans")
    ask.add_argument("question", nargs="?", help="the question (or use --file)")
    ask.add_argument("--file", type=Path, help="one question per line")
    ask.add_argument("--top-k", type=int, help=f"passages to read ({setting_default('top_k')})")
    ask.add_argument("--json", action="store_true", help="print JSON (with --file: one object per line)")
    ask.add_argument("--no-answer-margin", type=float, help=f"abstention margin ({setting_default('no_answer_margin')})")
    ask.add_argument("--url", help="ask a running server (e.g. http://127.0.0.1:8000) instead of loading the models")
    ask.add_argument("--api-key", help="X-API-Key for --url, if the server wants one for reads")
    ask.add_argument("--history", "--follow-up", dest="history", type=Path, metavar="FILE",
                     help="a conversation kept in FILE (JSON, made if missing): the question may follow up on "
                          "its turns, and is added to it (groundqa chat asks turn after turn)")
    ask.set_defaults(run=_run_ask)

    from groundqa.cli_chat import add_chat_parser
    from groundqa.cli_collections import add_collections_parser
    from groundqa.cli_documents import add_document_parsers
    from groundqa.eval.bench import add_bench_parser
    from groundqa.eval.calibrate import add_calibrate_parser
    from groundqa.eval.cli import add_eval_parser
    from groundqa.eval.from_feedback import add_feedback_parser
    from groundqa.eval.load import add_load_parser
    from groundqa.eval.scale import add_scale_parser
    for add in (add_chat_parser, add_document_parsers, add_collections_parser, add_eval_parser, add_calibrate_parser, add_feedback_parser, add_bench_parser,
                add_load_parser, add_scale_parser):
        add(sub, common)

    serve = sub.add_parser("serve", parents=[models], formatter_class=formatter, help="run the HTTP API")
    serve.add_argument("--collection", help=argparse.SUPPRESS)  # refused with its reason: serve serves them all
    serve.add_argument("--host", help=f"address to listen on ({setting_default('host')})")
    serve.add_argument("--port", type=int, help=f"port ({setting_default('port')})")
    serve.set_defaults(run=_run_serve)
    _use_everywhere(parser, formatter)
    return parser


def _shard(value: str):
    from groundqa.index.ingest import Shard

    index, _, count = value.partition("/")
    if not (index.isdigit() and count.isdigit() and int(index) < int(count)):
        raise argparse.ArgumentTypeError(f"expected I/N with 0 <= I < N, e.g. 0/4; got {value!r}")
    return Shard(int(index), int(count))


def _run_index(args: argparse.Namespace, settings: Settings) -> int:
    from groundqa.cli_index import run_index

    return run_index(args, settings)


def _run_ask(args: argparse.Namespace, settings: Settings) -> int:
    from groundqa.service.pipeline import validate_question, validate_top_k

    from groundqa.cli_chat import asker, read_history, turn_of, write_history

    if (args.question is None) == (args.file is None):
        raise GroundQAError("give either a question or --file")
    if args.history is not None and args.file is not None:
        raise GroundQAError("--history goes with one question, not --file")
    questions = [args.question] if args.file is None else _questions_in(args.file)
    validate_top_k(args.top_k)
    if args.question is not None:
        validate_question(args.question, settings.max_question_chars)
    history = read_history(args.history) if args.history is not None else []
    ask = asker(args, settings)
    failures = 0
    for question in questions:
        try:
            result = ask(question, args.top_k, history)
        except GroundQAError as exc:
            if args.file is None:
                raise
            failures += 1
            result = {"question": question, "error": {"code": exc.code, "message": str(exc)}}
        print(render_answer(result, args.json, one_line=args.file is not None), flush=True)
    if args.history is not None:
        write_history(args.history, history + [turn_of(result)])
    if args.file is None:
        return 1 if result.get("no_answer") else 0  # as grep: 1 when nothing was found, 2 on a mistake
    return 1 if failures else 0


def _questions_in(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise GroundQAError(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise GroundQAError(f"cannot read {path}: {exc}") from None
    return [line.strip() for line in lines if line.strip()]


def render_answer(result: dict, as_json: bool, one_line: bool) -> str:
    if as_json:
        return json.dumps(result, ensure_ascii=False, indent=None if one_line else 2)
    if "error" in result:
        return f"Q: {result['question']}\n   error: {result['error']['message']}"
    text = _human(result)
    resolved = result.get("resolved_question")
    if resolved and resolved != result["question"]:
        text = f"(understood as: {resolved})\n{text}"
    return f"Q: {result['question']}\n{text}\n" if one_line else text


def _human(result: dict) -> str:
    """An answer as JSON (AskResponse) made readable: each answer, its source, its sentence."""
    if result["no_answer"]:
        return "Not found in the documents."
    lines = []
    for number, answer in enumerate(result["answers"], start=1):
        c = answer["citation"]
        before = c["context"][: c["start"] - c["context_start"]]
        after = c["context"][c["end"] - c["context_start"]:]
        lines.append(f"{number}. {answer['text']}   (score {answer['score']:.2f})")
        where = f"{c['title']} \u203a {c['section']}" if c.get("section") else c["title"]
        lines.append(f"   {where} [{c['doc_id']}, characters {c['start']}-{c['end']}]")
        lines.append(f"   \u201c{before}\u00bb{answer['text']}\u00ab{after}\u201d")
    return "\n".join(lines)


def _run_serve(args: argparse.Namespace, settings: Settings) -> int:
    from groundqa.service.app import run_server

    return run_server(settings.model_copy(update={k: v for k, v in (("host", args.host), ("port", args.port)) if v}))


if __name__ == "__main__":
    sys.exit(main())
