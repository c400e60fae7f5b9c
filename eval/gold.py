"""Gold questions from JSONL ({"id", "question", "answers", "doc_id"?}) or SQuAD v1.1/v2.0 JSON(.gz)."""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GoldQuestion:
    id: str
    question: str
    answers: list[str]  # empty: the documents cannot answer it
    doc_id: str | None = None
    context: str | None = None  # SQuAD: the gold paragraph
    title: str | None = None
    kind: str | None = None  # a label of the set's own: "near_miss" and "out_of_scope" are reported apart


def load_gold(path: Path) -> list[GoldQuestion]:
    """JSONL: one record a line, lines ending at a line feed only (str.splitlines would also cut at
    U+2028 and the like, which a question may hold)."""
    if path.name.endswith((".jsonl", ".jsonl.gz")):
        return [_from_jsonl(json.loads(line), number)
                for number, line in enumerate(_read(path).split("\n"), start=1) if line.strip()]
    return load_squad(path)


def _from_jsonl(record: dict, number: int) -> GoldQuestion:
    return GoldQuestion(id=str(record.get("id", number)), question=record["question"],
                        answers=list(record.get("answers", [])), doc_id=record.get("doc_id"),
                        kind=record.get("kind"))


def load_squad(path: Path) -> list[GoldQuestion]:
    questions = []
    for article in json.loads(_read(path))["data"]:
        for number, paragraph in enumerate(article["paragraphs"]):
            for question_number, qa in enumerate(paragraph["qas"]):
                answers = [] if qa.get("is_impossible") else [a["text"] for a in qa["answers"]]
                questions.append(GoldQuestion(id=qa.get("id") or f"{squad_doc_id(article['title'], number)}/{question_number}", question=qa["question"], answers=answers,
                                              doc_id=squad_doc_id(article["title"], number),
                                              context=paragraph["context"], title=article["title"]))
    return questions


def squad_doc_id(title: str, paragraph_number: int) -> str:
    return f"{title}#{paragraph_number}"


def sample(questions: list[GoldQuestion], limit: int | None, seed: int) -> list[GoldQuestion]:
    if limit is None or limit >= len(questions):
        return questions
    return random.Random(seed).sample(questions, limit)


def _read(path: Path) -> str:
    data = path.read_bytes()
    if path.suffix == ".gz":
        data = gzip.decompress(data)
    return data.decode("utf-8")
