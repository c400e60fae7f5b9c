"""Check eval/gold/product-docs.jsonl against the documents in this folder (no models).

Run from the repository root: .venv/bin/python eval/gold/product-docs/check_gold.py
- ids unique; kinds known; answerable questions name an existing document, near misses name none;
- every answer occurs verbatim in its document: raw text (.md, .txt); visible text (.html: BeautifulSoup
  get_text with a space separator, whitespace collapsed); one line written to the PDF (.pdf: LINES in
  make_install_guide.py);
- also, as information: whether it occurs (whitespace collapsed) in the text groundqa's own loaders give;
- the strings that near-miss questions hinge on appear in no document.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

from bs4 import BeautifulSoup

HERE = Path(__file__).resolve().parent.parent / "product-docs"  # the documents
GOLD = HERE.parent / "product-docs.jsonl"
KINDS = {"fact", "number", "range", "list", "procedure", "table", "date", "name", "near_miss"}
# Strings a near-miss question turns on; none may occur in any document (case-insensitive).
ABSENT = ["3.3", "3.1.1", "3.0.1", "3.2.3", "T9", "T7", "T5 Pro", "T5 Lite", "NIM-9999", "NIM-1043", "NIM-1059",
          "NIM-1200", "CVE-2024-38113", "CVE-2023-38112", "CVE-2024-21888", "humidifier", "CEO", "Chief",
          "camera", "fax", "euro", "€", "Sunday", "v4.0", "4.3", "UK", "United Kingdom", "5 more years",
          "sales team", "sales phone", "sales@"]


def collapse(text: str) -> str:
    return " ".join(text.split())


def visible_html(html: str) -> str:
    soup = BeautifulSoup(html, "lxml")
    for tag in soup(["script", "style", "head", "noscript", "template"]):
        tag.decompose()
    return collapse(soup.get_text(" "))


def pdf_lines() -> list[str]:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from make_install_guide import LINES
    return [text for _, text in LINES]


def reference(path: Path):
    """A predicate: does this answer occur verbatim in the document, by the rules above."""
    if path.suffix == ".html":
        text = visible_html(path.read_text(encoding="utf-8"))
        return lambda answer: answer in text
    if path.suffix == ".pdf":
        lines = pdf_lines()
        return lambda answer: any(answer in line for line in lines)
    text = path.read_text(encoding="utf-8")
    return lambda answer: answer in text


def loader_text(path: Path) -> str | None:
    try:
        sys.path.insert(0, str(HERE.parents[2]))
        from groundqa.index.loaders import document_from_bytes
    except ImportError:
        return None
    return collapse(document_from_bytes(path.read_bytes(), doc_id=path.name, source=str(path), suffix=path.suffix).text)


def main() -> int:
    records = [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]
    errors, notes = [], []
    ids = Counter(r["id"] for r in records)
    errors += [f"duplicate id {i}" for i, n in ids.items() if n > 1]
    documents = {p.name: p for p in HERE.iterdir() if p.suffix in {".md", ".txt", ".html", ".pdf"}}
    checks, loaded = {}, {}
    for r in records:
        if r.get("kind") not in KINDS:
            errors.append(f"{r['id']}: unknown kind {r.get('kind')!r}")
        if not r["answers"]:
            if r["doc_id"] is not None or r["kind"] != "near_miss":
                errors.append(f"{r['id']}: no answers but doc_id {r['doc_id']!r} / kind {r['kind']!r}")
            continue
        if r["kind"] == "near_miss":
            errors.append(f"{r['id']}: near_miss with answers")
        name = (r["doc_id"] or "").removeprefix("product-docs/")
        if not r["doc_id"] or not r["doc_id"].startswith("product-docs/") or name not in documents:
            errors.append(f"{r['id']}: unknown doc_id {r['doc_id']!r}")
            continue
        check = checks.setdefault(name, reference(documents[name]))
        if name not in loaded:
            loaded[name] = loader_text(documents[name])
        for answer in r["answers"]:
            if not check(answer):
                errors.append(f"{r['id']}: {answer!r} not verbatim in {name}")
            if loaded[name] is not None and collapse(answer) not in loaded[name]:
                notes.append(f"{r['id']}: {answer!r} not in groundqa's loader text of {name} (whitespace collapsed)")
    for name, path in documents.items():
        if not path.exists():
            continue
        text = visible_html(path.read_text(encoding="utf-8")) if path.suffix == ".html" else (
            "\n".join(pdf_lines()) if path.suffix == ".pdf" else path.read_text(encoding="utf-8"))
        for probe in ABSENT:
            if re.search(re.escape(probe) if not probe.isalnum() else rf"\b{re.escape(probe)}\b", text, re.IGNORECASE):
                errors.append(f"near-miss probe {probe!r} occurs in {name}")
    kinds = Counter(r["kind"] for r in records)
    answerable = sum(1 for r in records if r["answers"])
    per_doc = Counter(r["doc_id"] for r in records if r["answers"])
    print(f"{len(records)} questions: {answerable} answerable, {len(records) - answerable} near misses")
    print("by kind:", dict(sorted(kinds.items())))
    print("by document:", dict(sorted(per_doc.items())))
    for note in notes:
        print("note:", note)
    for error in errors:
        print("ERROR:", error)
    print("OK" if not errors else f"{len(errors)} errors")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
