"""Conversations on the command line: `groundqa chat` (a REPL that keeps the conversation, so a
follow-up such as "and on Sundays?" is answered as the standalone question it stands for), and the
history file of `groundqa ask --history FILE` (one turn of a conversation kept in a file)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Callable

from groundqa.errors import GroundQAError
from groundqa.settings import Settings, setting_default

# (question, top_k, history) -> the answer as the API gives it ({"question", "resolved_question", ...})
Asker = Callable[[str, "int | None", list], dict]


def add_chat_parser(sub, common: argparse.ArgumentParser) -> None:
    chat = sub.add_parser("chat", parents=[common], help="ask in a conversation: follow-ups refer to earlier turns")
    chat.add_argument("--top-k", type=int, help=f"passages to read ({setting_default('top_k')})")
    chat.add_argument("--json", action="store_true", help="print each answer as one JSON object a line")
    chat.add_argument("--url", help="ask a running server (e.g. http://127.0.0.1:8000) instead of loading the models")
    chat.add_argument("--api-key", help="X-API-Key for --url, if the server wants one for reads")
    chat.set_defaults(run=run_chat)


def run_chat(args: argparse.Namespace, settings: Settings) -> int:
    """Read questions line by line until end of input (or /quit); /new starts a new conversation."""
    from groundqa.cli import render_answer
    from groundqa.service.followup import MAX_TURNS, Turn
    from groundqa.service.pipeline import validate_top_k

    validate_top_k(args.top_k)
    ask = asker(args, settings)
    interactive = sys.stdin.isatty()
    if interactive:
        print("Ask a question (/new: a new conversation, /quit or Ctrl-D: leave).", file=sys.stderr)
    history: list[Turn] = []
    while True:
        try:
            line = input("you> ") if interactive else sys.stdin.readline()
        except EOFError:
            break
        if not interactive and not line:
            break
        question = line.strip()
        if question in ("/quit", "/exit"):
            break
        if question == "/new":
            history = []
            print("(a new conversation)", flush=True)
            continue
        if not question:
            continue
        try:
            result = ask(question, args.top_k, history)
        except GroundQAError as exc:
            print(f"error: {exc}", flush=True)
            continue
        history = (history + [turn_of(result)])[-MAX_TURNS:]
        print(render_answer(result, args.json, one_line=not interactive), flush=True)
    return 0


def asker(args: argparse.Namespace, settings: Settings) -> Asker:
    """Asking with a history: of a running server (--url), or of the models loaded here, resolving
    the follow-up as the server does."""
    if args.url:
        from groundqa.client import Client

        client = Client(args.url, api_key=args.api_key, collection=args.collection)

        def remote(question: str, top_k: int | None, history: list) -> dict:
            answer = client.ask(question, top_k=top_k, history=[(t.question, t.answer) for t in history])
            return dataclasses.asdict(answer)

        return remote
    from groundqa.service.followup import embedder_similarity, standalone
    from groundqa.service.pipeline import validate_question
    from groundqa.wiring import build_pipeline, make_catalog

    if settings.vector_store == "faiss" and not make_catalog(settings, None).exists():
        raise GroundQAError(f"no index at {settings.index_dir}; build one with `groundqa index`")
    from groundqa.cli import loading_models

    loading_models()
    pipeline, _ = build_pipeline(settings)
    similarity = embedder_similarity(pipeline.embedder)

    def local(question: str, top_k: int | None, history: list) -> dict:
        question = validate_question(question, settings.max_question_chars)
        resolved = standalone(question, history, similarity, settings.max_question_chars) if history else question
        return {**pipeline.ask(resolved, top_k).to_json(), "question": question, "resolved_question": resolved}

    return local


def turn_of(result: dict):
    """The turn a history keeps of an answer: the question answered, and the best answer shown."""
    from groundqa.service.followup import Turn

    best = result["answers"][0]["text"] if result.get("answers") and not result.get("no_answer") else ""
    return Turn(result.get("resolved_question") or result["question"], best)


def read_history(path: Path) -> list:
    """The turns of a history file (JSON: [{"question", "answer"}, ...]); none if it does not exist."""
    from groundqa.service.followup import Turn

    if not path.exists():
        return []
    try:
        turns = json.loads(path.read_text(encoding="utf-8"))
        return [Turn(str(t["question"]), str(t.get("answer") or "")) for t in turns]
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as exc:
        raise GroundQAError(f"{path}: not a history file (a JSON list of {{\"question\", \"answer\"}}): "
                            f"{exc}") from None


def write_history(path: Path, history: list) -> None:
    from groundqa.service.followup import MAX_TURNS

    turns = [{"question": t.question, "answer": t.answer} for t in history[-MAX_TURNS:]]
    path.write_text(json.dumps(turns, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
