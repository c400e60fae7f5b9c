"""`groundqa eval --conversations eval/gold/conversations.jsonl --split dev`: conversations of two or
three turns, each asked as a user asks it in the widget (a follow-up with the conversation so far as
its history, answered as the service answers it: resolved into a standalone question, and beside it
the plain combination with the previous question where the rules may have misread it, the verifier
choosing, service/followup_choice.py), against the same follow-ups written out standalone.

The file is JSONL, one conversation a line: {"id", "set", "turns": [{"question", "answers",
"doc_id"?}, ...], "standalone": [the same turns written out standalone]}; "set" names a set of the
split file beside it (splits.toml), so conversations split with their sets and are asked against
that set's documents. Each turn's history holds the earlier turns, each as the question answered
(its resolved_question) with the answer the user was shown (none where the service abstained), as the
widget sends it."""

from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from tqdm import tqdm

from groundqa.errors import GroundQAError
from groundqa.eval.conversation_report import figures
from groundqa.eval.gold import load_gold
from groundqa.eval.runner import Row, reading_on_as_served
from groundqa.eval.suite import load_sets
from groundqa.service.followup import Turn, embedder_similarity, resolve
from groundqa.service.followup_choice import ask_follow_up
from groundqa.settings import Settings


@dataclass(frozen=True)
class GoldTurn:
    question: str
    answers: list[str]  # empty: the documents cannot answer it
    doc_id: str | None = None


@dataclass(frozen=True)
class Conversation:
    id: str
    set: str
    turns: list[GoldTurn]
    standalone: list[str]  # each turn written out to stand alone (the first as it is)


def load_conversations(path: Path) -> list[Conversation]:
    """The conversations of a JSONL file; GroundQAError naming the line of a malformed one."""
    try:
        lines = path.read_text(encoding="utf-8").split("\n")
    except OSError as exc:
        raise GroundQAError(f"cannot read {path}: {exc}") from None
    conversations = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            turns = [GoldTurn(str(t["question"]), [str(a) for a in t.get("answers", [])], t.get("doc_id"))
                     for t in record["turns"]]
            standalone = [str(q) for q in record["standalone"]]
            conversation = Conversation(str(record["id"]), str(record["set"]), turns, standalone)
        except (ValueError, KeyError, TypeError) as exc:
            raise GroundQAError(f"{path}:{number}: not a conversation ({exc})") from None
        if len(turns) < 2 or len(standalone) != len(turns):
            raise GroundQAError(f"{path}:{number}: a conversation needs two turns or more, and one "
                                "standalone question for each")
        conversations.append(conversation)
    return conversations


@dataclass
class Asked:
    """One turn as asked: its row (answer, decision score), the question answered and the gold
    standalone form."""
    conversation: str
    set: str
    turn: int
    row: Row
    resolved: str
    standalone: str


def run_conversations(settings: Settings, conversations: list[Conversation], suite: Path, split: str,
                      cache_root: Path, progress: bool = True) -> dict:
    """Every conversation of the split's sets through the served pipeline, at the served threshold:
    each turn as asked (with its history), and each follow-up again as written standalone, and as
    asked without its history (what resolution is worth)."""
    from groundqa.eval.suite import set_pipeline
    from groundqa.wiring import decision_threshold, make_embedder, make_reader

    sets = {gold_set.name: gold_set for gold_set in load_sets(suite, split)}
    known = {name for name in _all_sets(suite)}
    unknown = sorted({c.set for c in conversations} - known)
    if unknown:
        raise GroundQAError(f"conversations name sets that {suite / 'splits.toml'} lacks: {', '.join(unknown)}")
    chosen = [c for c in conversations if c.set in sets]
    if not chosen:
        raise GroundQAError(f"no conversation over a {split} set")
    threshold = decision_threshold(settings)
    recording = settings.model_copy(update={"answer_threshold": 0.0, "no_answer_margin": float("-inf")})
    embedder, reader = make_embedder(recording), make_reader(recording)
    embedder.warm_up()
    reader.warm_up()
    similarity = embedder_similarity(embedder)
    by_set: dict[str, list[Conversation]] = defaultdict(list)
    for conversation in chosen:
        by_set[conversation.set].append(conversation)
    asked, alone, bare = [], [], []
    bar = tqdm(total=sum(len(c.turns) for c in chosen), desc="conversations", disable=not progress, unit="turn")
    for name, group in by_set.items():
        pipeline = reading_on_as_served(set_pipeline(recording, sets[name], embedder, reader, cache_root), threshold)
        for conversation in group:
            history: list[Turn] = []
            for number, turn in enumerate(conversation.turns):
                result = ask_follow_up(lambda q: _as_served(pipeline.ask(q), threshold), turn.question, history,
                                       similarity, settings.max_question_chars)
                row = _row(f"{conversation.id}#{number + 1}", turn.question, turn, result)
                asked.append(Asked(conversation.id, name, number, row, result.question, conversation.standalone[number]))
                history.append(Turn(result.question, row.answer_at(threshold) or ""))
                if number:
                    row_id, question = f"{conversation.id}#{number + 1}", conversation.standalone[number]
                    again = _row(row_id, question, turn, pipeline.ask(question))
                    alone.append(Asked(conversation.id, name, number, again, question, question))
                    unresolved = _row(row_id, turn.question, turn, pipeline.ask(turn.question))
                    bare.append(Asked(conversation.id, name, number, unresolved, turn.question, question))
                bar.update()
    bar.close()
    kept = [left_alone(gold_set.gold, similarity) for gold_set in sets.values()]
    changed, questions = sum(k[0] for k in kept), sum(k[1] for k in kept)
    return {"split": split, "threshold": threshold, **figures(asked, alone, bare, threshold),
            "standalone_questions": {"asked_after_another": questions, "changed": changed,
                                     "changed_pct": round(100 * changed / questions, 2) if questions else None},
            "turns": asked, "standalone_turns": alone}


def left_alone(gold: Path, similarity) -> tuple[int, int]:
    """(how many were changed, how many were asked): each question of a gold set (they stand alone)
    resolved with the question before it, and its answer, as its history."""
    questions = load_gold(gold)
    changed = sum(resolve(q.question, [Turn(p.question, p.answers[0] if p.answers else "")], similarity)
                  != q.question.strip() for p, q in zip(questions, questions[1:]))
    return changed, max(len(questions) - 1, 0)


def _as_served(result, threshold: float):
    """A recorded result as the service gives it: without answers where it abstains at `threshold`
    (the verifier choosing between readings sees what the service sees)."""
    if result.answers and (result.best_margin is None or result.best_margin < threshold):
        return dataclasses.replace(result, answers=[], no_answer=True)
    return result


def _row(row_id: str, question: str, turn: GoldTurn, result) -> Row:
    best = result.answers[0] if result.answers else None
    return Row(row_id, question, turn.answers, best.text if best else None, result.best_margin,
               best.citation.doc_id if best else None, None, result.timings_ms)


def _all_sets(suite: Path) -> set[str]:
    import tomllib

    try:
        return set(tomllib.loads((suite / "splits.toml").read_text(encoding="utf-8"))["sets"])
    except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
        raise GroundQAError(f"{suite / 'splits.toml'}: cannot read the split file ({exc})") from None
