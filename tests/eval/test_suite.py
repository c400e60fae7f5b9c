"""`groundqa eval --suite DIR --split S`: each set of a split against its own documents, one row per
set and the macro average, on a small suite written for this test."""

from __future__ import annotations

import json

import pytest

from groundqa.cli import main
from groundqa.errors import GroundQAError
from groundqa.eval.suite import load_sets, macro

SPLITS = """
[sets.bakery]
split = "dev"
docs = "bakery/docs"
gold = "bakery/gold.jsonl"

[sets.garage]
split = "dev"
docs = "garage/docs"
gold = "garage/gold.jsonl"

[sets.library]
split = "train"
docs = "library/docs"
gold = "library/gold.jsonl"
"""
DOCUMENTS = {
    "bakery": ("hours.md", "# Crumb & Co. bakery\n\nThe bakery opens at 7 a.m. on weekdays. Sourdough loaves "
                           "cost $6.50 each. Our head baker is Ines Okafor.\n"),
    "garage": ("services.txt", "Halden Garage services\n\nAn oil change costs $89 and takes about 45 minutes. "
                               "Tyre rotation is free with any service. The workshop manager is Tom Becker.\n"),
    "library": ("rules.md", "# Library rules\n\nBooks may be borrowed for 21 days.\n"),
}
QUESTIONS = {
    "bakery": [{"id": "b1", "question": "What does a sourdough loaf cost?", "answers": ["$6.50"]},
               {"id": "b2", "question": "Who is the head baker?", "answers": ["Ines Okafor"]},
               {"id": "b3", "question": "How much is a baguette?", "answers": [], "kind": "near_miss"}],
    "garage": [{"id": "g1", "question": "How long does an oil change take?", "answers": ["about 45 minutes", "45 minutes"]},
               {"id": "g2", "question": "Who runs the workshop?", "answers": ["Tom Becker"]},
               {"id": "g3", "question": "What is the capital of Peru?", "answers": [], "kind": "out_of_scope"}],
    "library": [{"id": "l1", "question": "How long can I keep a book?", "answers": ["21 days"]}],
}


@pytest.fixture(scope="module")
def suite(tmp_path_factory):
    root = tmp_path_factory.mktemp("suite")
    (root / "splits.toml").write_text(SPLITS)
    for name, (file, text) in DOCUMENTS.items():
        (root / name / "docs").mkdir(parents=True)
        (root / name / "docs" / file).write_text(text)
        (root / name / "gold.jsonl").write_text("".join(json.dumps(q) + "\n" for q in QUESTIONS[name]))
    return root


def test_a_split_is_its_own_sets(suite):
    assert [s.name for s in load_sets(suite, "dev")] == ["bakery", "garage"]
    assert [s.name for s in load_sets(suite, "train")] == ["library"]
    with pytest.raises(GroundQAError, match="names no test set"):
        load_sets(suite, "test")
    with pytest.raises(GroundQAError, match="--split must be one of"):
        load_sets(suite, "holdout")


def test_the_macro_average_weighs_each_set_alike_and_skips_missing_figures():
    rows = {"a": {"answerable_f1": 90.0, "out_of_scope_abstained": None, "ece": 0.1},
            "b": {"answerable_f1": 50.0, "out_of_scope_abstained": 100.0, "ece": 0.3}}
    average = macro(rows)
    assert average["answerable_f1"] == 70.0 and average["out_of_scope_abstained"] == 100.0
    assert average["ece"] == pytest.approx(0.2) and average["latency_p50_ms"] is None


@pytest.mark.slow
def test_suite_through_the_cli(suite, tmp_path, capsys):
    report = tmp_path / "dev.json"
    cache = tmp_path / "cache"
    assert main(["eval", "--suite", str(suite), "--split", "dev", "--report", str(report),
                 "--cache-dir", str(cache), "--quiet"]) == 0
    table = capsys.readouterr().out
    assert "| bakery | 3 |" in table and "| garage | 3 |" in table and "macro (2 sets)" in table
    result = json.loads(report.read_text())
    assert set(result["sets"]) == {"bakery", "garage"} and "library" not in table
    bakery, garage = result["sets"]["bakery"], result["sets"]["garage"]
    assert bakery["answerable"] == 2 and bakery["unanswerable"] == 1
    assert bakery["answerable_f1"] >= 50.0 and garage["answerable_f1"] >= 50.0  # the real models read these
    assert bakery["out_of_scope_abstained"] is None and garage["near_miss_abstained"] is None
    assert result["macro"]["answerable_f1"] == pytest.approx((bakery["answerable_f1"] + garage["answerable_f1"]) / 2, abs=0.01)
    answers = {row["id"]: row["answer"] for row in result["rows"]["bakery"]}
    assert "Okafor" in answers["b2"]  # each question's answer is in the report
    assert report.with_suffix(".png").stat().st_size > 0 and report.with_suffix(".md").read_text() in table
    indexes = sorted(p.name for p in cache.iterdir())
    assert len(indexes) == 2  # one index a set, reused when asked again:
    assert main(["eval", "--suite", str(suite), "--split", "dev", "--cache-dir", str(cache),
                 "--report", str(tmp_path / "again.json"), "--quiet"]) == 0
    assert sorted(p.name for p in cache.iterdir()) == indexes
    (suite / "bakery" / "docs" / "hours.md").write_text(DOCUMENTS["bakery"][1].replace("7 a.m.", "8 a.m."))
    assert main(["eval", "--suite", str(suite), "--split", "dev", "--cache-dir", str(cache),
                 "--report", str(tmp_path / "changed.json"), "--quiet"]) == 0
    assert len(list(cache.iterdir())) == 3  # a changed document: the set indexed anew
