"""`groundqa feedback export`: users' verdicts become gold questions (`groundqa eval`, `groundqa
calibrate` read them) and a list of what a person should look at.

Only verdicts that count are used: a verdict counts when a key holder sent it, or when at least
`min_clients` different senders gave it (the same verdict on the same answer). Questions and answers
are compared normalized (NFKC, case folded, runs of whitespace as one space).

A question's counted confirmed answers ("correct" verdicts) make one gold question; a counted
confirmed "not found" with no counted answer makes an unanswerable one. Wrong answers and missed ones
go to the review file with the user's note: what the right answer is, only a person can say; so do
confirmations that do not count. A question whose counted verdicts disagree (an answer both confirmed
and marked wrong, a "not found" confirmed beside a confirmed answer or a "not_found_but_should") goes
to review, not to gold."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from groundqa.errors import GroundQAError
from groundqa.service.feedback import Feedback, all_feedback
from groundqa.settings import Settings


MIN_CLIENTS = 3


@dataclass
class Export:
    gold: list[dict]
    review: list[dict]


def normalized(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold()).split())


def opinion(entry: Feedback) -> tuple[str, str | None]:
    """What a verdict says: its verdict on its answer (None: on a "not found")."""
    return entry.verdict, None if entry.answer is None else normalized(entry.answer)


def counted(group: list[Feedback], min_clients: int) -> set[tuple[str, str | None]]:
    """The opinions a key holder gave, or min_clients different senders (unrecorded senders are one)."""
    senders: dict[tuple[str, str | None], set[str | None]] = {}
    for entry in group:
        senders.setdefault(opinion(entry), set()).add(entry.sender)
    return {said for said, who in senders.items()
            if len(who) >= min_clients or any((s or "").startswith("key:") for s in who)}


def to_gold(entries: list[Feedback], min_clients: int = MIN_CLIENTS) -> Export:
    groups: dict[str, list[Feedback]] = {}
    for entry in entries:
        groups.setdefault(normalized(entry.question), []).append(entry)
    export = Export([], [])
    for key, group in groups.items():
        gold_id = "fb-" + hashlib.sha256(key.encode()).hexdigest()[:12]
        counts = counted(group, min_clients)
        confirmed = {answer for verdict, answer in counts if verdict == "correct" and answer is not None}
        wrong = {answer for verdict, answer in counts if verdict == "wrong"}
        not_found_confirmed = ("correct", None) in counts
        missed = ("not_found_but_should", None) in counts
        conflict = bool(confirmed & wrong) or (not_found_confirmed and bool(confirmed or missed))
        gold: list[Feedback] = []
        for entry in group:
            if not conflict and entry.verdict == "correct" and opinion(entry) in counts:
                gold.append(entry)
                continue
            reason = "conflicting verdicts" if conflict else _reason(entry.verdict, min_clients)
            export.review.append({"id": gold_id, "question": entry.question, "verdict": entry.verdict,
                                  "answer": entry.answer, "doc_id": entry.doc_id, "start": entry.start,
                                  "end": entry.end, "note": entry.note, "feedback_id": entry.id, "reason": reason})
        if not gold:
            continue
        answers: dict[str, Feedback] = {}  # the first verdict on each answer, as the user saw it
        for entry in gold:
            if entry.answer is not None:
                answers.setdefault(normalized(entry.answer), entry)
        record = {"id": gold_id, "question": gold[0].question, "answers": [e.answer for e in answers.values()],
                  "source": "feedback", "votes": len(gold)}
        if answers:
            record["doc_id"] = next(iter(answers.values())).doc_id
        export.gold.append(record)
    return export


def _reason(verdict: str, min_clients: int) -> str:
    return {"correct": f"confirmed by fewer than {min_clients} clients and no key holder",
            "wrong": "answer marked wrong: what is the right one?",
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
    export.add_argument("--min-clients", type=int, default=MIN_CLIENTS,
                        help="a verdict not from a key holder counts once this many different clients gave it "
                             f"(default: {MIN_CLIENTS})")
    export.set_defaults(run=_run_export)


def _run_export(args: argparse.Namespace, settings: Settings) -> int:
    review_path = args.review or args.gold.with_name(args.gold.name.removesuffix(".jsonl") + ".review.jsonl")
    if not args.gold.parent.is_dir():
        raise GroundQAError(f"no such folder: {args.gold.parent}")
    entries = _remote(args, settings.collection) if args.url else _local(settings)
    export = to_gold(entries, args.min_clients)
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
    # ASCII JSON: no raw U+2028/U+2029, which readers splitting on every line break would cut at.
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
