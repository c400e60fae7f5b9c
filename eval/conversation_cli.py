"""`groundqa eval --conversations FILE --split SPLIT` (the hook in eval/cli.py)."""

from __future__ import annotations

import argparse
from pathlib import Path

from groundqa.errors import GroundQAError
from groundqa.eval.conversation_report import to_markdown, write_conversation_report
from groundqa.eval.conversations import load_conversations, run_conversations
from groundqa.settings import Settings


def run_conversation_eval(args: argparse.Namespace, settings: Settings) -> int:
    if args.gold is not None or args.limit or args.top_k:
        raise GroundQAError("--conversations runs whole conversations as served: no GOLD, --limit or --top-k with it")
    conversations = load_conversations(args.conversations)
    result = run_conversations(settings, conversations, args.conversations.parent, args.split, args.cache_dir,
                               not args.quiet)
    print(to_markdown(result))
    report = args.report or Path(f".groundqa/eval/conversations-{args.split}.json")
    for path in write_conversation_report(result, report):
        print(f"wrote {path}")
    return 0
