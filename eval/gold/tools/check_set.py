"""Check one benchmark set (eval/gold/domains/NAME) against the house format; no models needed.

Usage: .venv/bin/python eval/gold/tools/check_set.py eval/gold/domains/NAME [...]

- docs/: 6 documents, at least one each of .md, .html, .txt, .pdf; 400-1,500 visible words each;
  every .html has page furniture (nav or header, footer) and the set has at least one <table>;
  the PDF has at least two pages.
- gold.jsonl: 45 questions, unique ids; 28 answerable, each naming its document (doc_id "docs/FILE")
  and every answer found character for character in that document's visible text (whitespace
  collapsed); 17 unanswerable (answers []), each with a "why", at least 12 of kind "near_miss"
  (the rest "out_of_scope").
Visible text: raw text for .md and .txt; BeautifulSoup's text of the HTML without script, style,
head and noscript; pypdf's extracted text for .pdf. Exit 1 with one line per problem.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from bs4 import BeautifulSoup
from pypdf import PdfReader

FORMATS = {".md", ".html", ".txt", ".pdf"}
ANSWERABLE, UNANSWERABLE, NEAR_MISSES = 28, 17, 12


def collapse(text: str) -> str:
    return " ".join(text.split())


def visible_text(path: Path) -> str:
    if path.suffix == ".html":
        soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
        for tag in soup(["script", "style", "head", "noscript", "template"]):
            tag.decompose()
        return collapse(soup.get_text(" "))
    if path.suffix == ".pdf":
        return collapse(" ".join(page.extract_text() or "" for page in PdfReader(path).pages))
    return collapse(path.read_text(encoding="utf-8"))


def check_documents(docs: Path) -> tuple[list[str], dict[str, str]]:
    problems: list[str] = []
    files = sorted(p for p in docs.iterdir() if p.is_file() and not p.name.startswith("."))
    if len(files) != 6:
        problems.append(f"docs/ holds {len(files)} files, not 6")
    missing = FORMATS - {p.suffix for p in files}
    if missing:
        problems.append(f"docs/ has no {', '.join(sorted(missing))} document")
    texts = {}
    tables = 0
    for path in files:
        texts[f"docs/{path.name}"] = text = visible_text(path)
        words = len(text.split())
        if not 400 <= words <= 1500:
            problems.append(f"{path.name}: {words} visible words (400-1,500 wanted)")
        if path.suffix == ".html":
            soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
            tables += len(soup.find_all("table"))
            if not soup.find(["nav", "header"]) or not soup.find("footer"):
                problems.append(f"{path.name}: no page furniture (nav or header, and footer)")
        if path.suffix == ".pdf" and len(PdfReader(path).pages) < 2:
            problems.append(f"{path.name}: one page (a multi-page PDF wanted)")
    if tables == 0:
        problems.append("no HTML document has a <table>")
    return problems, texts


def check_gold(gold: Path, texts: dict[str, str]) -> list[str]:
    problems: list[str] = []
    records = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    ids = Counter(r.get("id") for r in records)
    problems += [f"duplicate id {i}" for i, n in ids.items() if n > 1]
    answerable = [r for r in records if r.get("answers")]
    unanswerable = [r for r in records if not r.get("answers")]
    if len(answerable) != ANSWERABLE or len(unanswerable) != UNANSWERABLE:
        problems.append(f"{len(answerable)} answerable and {len(unanswerable)} unanswerable "
                        f"({ANSWERABLE} and {UNANSWERABLE} wanted)")
    for r in answerable:
        text = texts.get(r.get("doc_id", ""))
        if text is None:
            problems.append(f"{r['id']}: doc_id {r.get('doc_id')!r} is not a document in docs/")
            continue
        problems += [f"{r['id']}: answer {a!r} not in {r['doc_id']}'s visible text"
                     for a in r["answers"] if collapse(a) not in text]
    kinds = Counter(r.get("kind") for r in unanswerable)
    if kinds["near_miss"] < NEAR_MISSES or set(kinds) - {"near_miss", "out_of_scope"}:
        problems.append(f"unanswerable kinds {dict(kinds)}: at least {NEAR_MISSES} near_miss, "
                        "the rest out_of_scope")
    problems += [f"{r['id']}: unanswerable without a 'why'" for r in unanswerable if not r.get("why")]
    problems += [f"{r['id']}: an unanswerable question names a document" for r in unanswerable if r.get("doc_id")]
    return problems


def check(folder: Path) -> list[str]:
    problems, texts = check_documents(folder / "docs")
    return problems + check_gold(folder / "gold.jsonl", texts)


def main(argv: list[str]) -> int:
    failed = False
    for name in argv or sys.exit(__doc__):
        problems = check(Path(name))
        failed |= bool(problems)
        print(f"{name}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
        for problem in problems:
            print(f"  {problem}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
