"""`groundqa feedback export`: users' verdicts become gold questions (`groundqa eval`, `groundqa
calibrate` read them) and a list of what a person should look at.

A question's confirmed answers ("correct" verdicts) make one gold question; a confirmed "not found"
makes an unanswerable one. Wrong answers and missed ones go to the review file with the user's note:
what the right answer is, only a person can say. A question whose verdicts disagree (an answer both
confirmed and marked wrong, a "not found" both confirmed and disputed) goes to review, not to gold."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from groundqa.errors import GroundQAError
from groundqa.service.feedback import Feedback, all_feedback
from groundqa.settings import Settings


@dataclass
class Export:
    gold: list[dict]
    review: list[dict]


def question_key(question: str) -> str:
    return " ".join(question.split()).casefold()


def to_gold(entries: list[Feedback]) -> Export:
    groups: dict[str, list[Feedback]] = {}
    for entry in entries:
        groups.setdefault(question_key(entry.question), []).append(entry)
    export = Export([], [])
    for key, group in groups.items():
        gold_id = "fb-" + hashlib.sha256(key.encode()).hexdigest()[:12]
        confirmed = list(dict.fromkeys(e.answer for e in group if e.verdict == "correct" and e.answer is not None))
        wrong = {e.answer for e in group if e.verdict == "wrong"}
        not_found_confirmed = any(e.verdict == "correct" and e.answer is None for e in group)
        missed = any(e.verdict == "not_found_but_should" for e in group)
        conflict = bool(set(confirmed) & wrong) or (not_found_confirmed and (bool(confirmed) or missed))
        disputed = [e for e in group if e.verdict != "correct" or conflict]
        for entry in disputed:
            export.review.append({"id": gold_id, "question": entry.question, "verdict": entry.verdict,
                                  "answer": entry.answer, "doc_id": entry.doc_id, "start": entry.start,
                                  "end": entry.end, "note": entry.note, "feedback_id": entry.id,
                                  "reason": "conflicting verdicts" if conflict else _reason(entry.verdict)})
        if conflict or not (confirmed or not_found_confirmed):
            continue
        record = {"id": gold_id, "question": group[0].question, "answers": confirmed, "source": "feedback",
                  "votes": sum(e.verdict == "correct" for e in group)}
        first = next((e for e in group if e.verdict == "correct" and e.answer is not None), None)
        if first is not None:
            record["doc_id"] = first.doc_id
        export.gold.append(record)
    return export


def _reason(verdict: str) -> str:
    return {"wrong": "answer marked wrong: what is the right one?",
            "not_found_but_should": "marked as answerable: where is the answer?"}[verdict]


def add_feedback_parser(sub, common: argparse.ArgumentParser) -> None:
    feedback = sub.add_parser("feedback", parents=[common], help="users' verdicts on answers: export them as gold")
    actions = feedback.add_subparsers(dest="action", required=True, metavar="ACTION")
    export = actions.add_parser("export", parents=[common],
                                help="confirmed answers as gold questions (JSONL for `groundqa eval`), "
                                     "wrong and missed ones to a review file")
    export.add_argument("--gold", type=Path, required=True, help="gold questions to write (JSONL)")
    export.add_argument("--review", type=Path, help="verdicts to review (default: GOLD with .review.jsonl)")
    export.add_argument("--url", help="read from a running server (needs --api-key) instead of the index directory")
    export.add_argument("--api-key", help="the server's API key, for --url")
    export.set_defaults(run=_run_export)


def _run_export(args: argparse.Namespace, settings: Settings) -> int:
    review_path = args.review or args.gold.with_name(args.gold.name.removesuffix(".jsonl") + ".review.jsonl")
    if not args.gold.parent.is_dir():
        raise GroundQAError(f"no such folder: {args.gold.parent}")
    entries = _remote(args, settings.collection) if args.url else _local(settings)
    export = to_gold(entries)
    _write_jsonl(args.gold, export.gold)
    _write_jsonl(review_path, export.review)
    unanswerable = sum(not record["answers"] for record in export.gold)
    print(f"{len(entries)} verdicts: wrote {len(export.gold)} gold questions to {args.gold} "
          f"({len(export.gold) - unanswerable} answered, {unanswerable} not in the documents) and "
          f"{len(export.review)} verdicts to review to {review_path}", file=sys.stderr)
    return 0


def _local(settings: Settings) -> list[Feedback]:
    from groundqa.wiring import make_catalog, make_feedback

    if settings.vector_store == "faiss" and not (settings.index_dir / "feedback.sqlite3").is_file():
        raise GroundQAError(f"no feedback in {settings.index_dir} yet (users send it with POST /v1/feedback or "
                            "the widget's thumbs)")
    catalog = make_catalog(settings, None)
    store = make_feedback(settings, catalog)
    try:
        return all_feedback(store.page)
    finally:
        store.close()
        catalog.close()


def _remote(args: argparse.Namespace, collection: str) -> list[Feedback]:
    from groundqa.client import Client

    if not args.api_key:
        raise GroundQAError("reading a server's feedback needs its API key: --api-key")
    with Client(args.url, api_key=args.api_key, collection=collection) as client:
        return all_feedback(client.feedback)


def _write_jsonl(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
