"""`groundqa` as a user runs it: a real process, real models, a real index on disk."""

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import CORPUS, CORPUS_DOC_ID

pytestmark = pytest.mark.slow


def groundqa(*args, index_dir, check=True):
    env = {**os.environ, "GROUNDQA_INDEX_DIR": str(index_dir), "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-m", "groundqa.cli", *map(str, args)], env=env,
                            capture_output=True, text=True, timeout=600)
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}: {result.stderr[-2000:]}")
    return result


def test_index_then_ask_from_the_command_line(tmp_path):
    index_dir = tmp_path / "index"
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "article.txt").write_text((CORPUS / "microsoft-joins-facial-recognition-ban.txt").read_text())
    (docs / "zebra.md").write_text("# Zebras\n\nThe zebra named Ziggy lives in the Serengeti.\n")
    (docs / "junk.pdf").write_bytes(b"%PDF-1.4 broken")

    first = groundqa("index", docs, "--quiet", index_dir=index_dir, check=False)
    assert first.returncode == 1, "a skipped file makes the exit status non-zero"
    assert "junk.pdf: corrupt or unreadable PDF" in first.stderr
    assert "added 2, updated 0, unchanged 0, removed 0 documents" in first.stdout

    answer = json.loads(groundqa("ask", "Who is the president of Microsoft?", "--json", index_dir=index_dir).stdout)
    assert answer["no_answer"] is False
    best = answer["answers"][0]
    assert best["text"] == "Brad Smith" and best["citation"]["doc_id"] == "docs/article.txt"
    assert set(best["citation"]) == {"doc_id", "title", "source", "start", "end", "context", "context_start", "url",
                                     "section"}
    assert set(answer["timings_ms"]) == {"embed", "search", "read", "verify", "total"}

    (docs / "zebra.md").unlink()
    (docs / "junk.pdf").unlink()
    second = groundqa("index", docs, "--quiet", index_dir=index_dir)
    assert "added 0, updated 0, unchanged 1, removed 1 documents; embedded 0 chunks" in second.stdout

    questions = tmp_path / "q.txt"
    questions.write_text("Where does Ziggy the zebra live?\n\nWho is the new CEO of IBM?\n")
    lines = groundqa("ask", "--file", questions, "--json", "--top-k", "3", index_dir=index_dir).stdout.splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["question"] for r in records] == ["Where does Ziggy the zebra live?", "Who is the new CEO of IBM?"]
    assert records[0]["no_answer"] is True, "the deleted document is never cited"
    assert records[1]["answers"][0]["text"] == "Arvind Krishna"


def test_default_corpus_and_human_output(tmp_path):
    groundqa("index", "--quiet", index_dir=tmp_path)
    out = groundqa("ask", "Who is the president of Microsoft?", index_dir=tmp_path).stdout
    assert out.startswith("1. Brad Smith")
    assert CORPUS_DOC_ID in out and "»Brad Smith«" in out
    not_found = groundqa("ask", "What is the capital of France?", index_dir=tmp_path, check=False)
    assert not_found.stdout.strip() == "Not found in the documents."
    assert not_found.returncode == 1, "a script can tell 'not found' (1) from an answer (0) and a mistake (2)"


def test_clear_errors(tmp_path):
    missing = groundqa("ask", "Who?", index_dir=tmp_path / "none", check=False)
    assert missing.returncode == 2
    assert missing.stderr.strip().splitlines()[-1].startswith("error: no index at")
    empty = groundqa("ask", "  ", index_dir=tmp_path / "none", check=False)
    assert empty.returncode == 2 and empty.stderr.strip().splitlines()[-1] == "error: question is empty"
    both = groundqa("ask", "Who?", "--file", "q.txt", index_dir=tmp_path, check=False)
    assert both.returncode == 2 and "give either a question or --file" in both.stderr
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": "1", "question": "Who?", "answers": []}\n')
    not_squad = groundqa("eval", gold, "--reader-only", index_dir=tmp_path, check=False)
    assert not_squad.returncode == 2 and "need SQuAD JSON" in not_squad.stderr


def test_two_folders_of_one_name_never_overwrite_each_other(tmp_path):
    index_dir = tmp_path / "index"
    for site, hours in (("siteA", "9 am to 5 pm"), ("siteB", "10 am to 4 pm")):
        (tmp_path / site / "docs").mkdir(parents=True)
        (tmp_path / site / "docs" / "hours.txt").write_text(f"The {site} office is open from {hours}.")
    groundqa("index", tmp_path / "siteA" / "docs", "--quiet", index_dir=index_dir)
    clash = groundqa("index", tmp_path / "siteB" / "docs", "--quiet", index_dir=index_dir, check=False)
    assert clash.returncode == 2
    message = clash.stderr.strip().splitlines()[-1]
    assert message.startswith("error:") and str(tmp_path / "siteA" / "docs") in message
    assert str(tmp_path / "siteB" / "docs") in message and "--as" in message
    groundqa("index", tmp_path / "siteB" / "docs", "--as", "siteB-docs", "--quiet", index_dir=index_dir)
    listed = groundqa("documents", "list", index_dir=index_dir).stdout
    assert "docs/hours.txt" in listed and "siteB-docs/hours.txt" in listed
    shown = groundqa("documents", "show", "docs/hours.txt", index_dir=index_dir).stdout
    assert "9 am to 5 pm" in shown  # siteA's file, untouched
