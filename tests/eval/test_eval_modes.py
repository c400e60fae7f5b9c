"""Each eval mode end to end on a small slice, through `groundqa eval` as users run it."""

import gzip
import json

import pytest

from groundqa.eval.gold import load_gold, load_squad
from groundqa.cli import main
from groundqa.settings import REPO_ROOT

pytestmark = pytest.mark.slow
SQUAD_DEV = REPO_ROOT.parent / "shared" / "data" / "squad" / "squad-v1.1-dev.json.gz"


@pytest.fixture(scope="module")
def small_squad(tmp_path_factory):
    """Two articles, three paragraphs each, two questions per paragraph, plus one v2 impossible question."""
    data = json.loads(gzip.decompress(SQUAD_DEV.read_bytes()))
    articles = []
    for article in data["data"][:2]:
        paragraphs = [{"context": p["context"], "qas": p["qas"][:2]} for p in article["paragraphs"][:3]]
        articles.append({"title": article["title"], "paragraphs": paragraphs})
    articles[0]["paragraphs"][0]["qas"].append(
        {"question": "What is the airspeed of an unladen swallow?", "answers": [], "is_impossible": True})
    path = tmp_path_factory.mktemp("squad") / "small-v2.json"
    path.write_text(json.dumps({"version": "v2.0", "data": articles}))
    return path


def run_cli(capsys, *args):
    assert main(["eval", *map(str, args), "--quiet"]) == 0
    out = capsys.readouterr().out
    return json.loads(out[: out.rindex("}") + 1])


def test_squad_loading_counts_v2_impossible_as_no_answer(small_squad):
    questions = load_squad(small_squad)
    assert len(questions) == 13
    assert [q for q in questions if not q.answers][0].question.startswith("What is the airspeed")
    assert all(q.context and q.doc_id for q in questions)


def test_reader_only_mode(small_squad, capsys, tmp_path):
    summary = run_cli(capsys, small_squad, "--reader-only", "--report", tmp_path / "r.json")
    assert summary["n"] == 13 and summary["has_answer"]["n"] == 12 and summary["no_answer"]["n"] == 1
    assert summary["has_answer"]["f1"] > 60
    report = json.loads((tmp_path / "r.json").read_text())
    assert len(report["rows"]) == 13 and {"prediction", "gold", "margin", "timings_ms"} <= set(report["rows"][0])
    assert (tmp_path / "r.md").read_text().startswith("# small-v2.json (reader-only, n=13)")
    assert (tmp_path / "r.png").read_bytes()[:4] == b"\x89PNG"


def test_open_mode_retrieves_among_all_paragraphs(small_squad, capsys, tmp_path):
    summary = run_cli(capsys, small_squad, "--open", "--top-k", "3", "--cache-dir", tmp_path / "cache",
                      "--calibrate")
    assert summary["retrieval"]["recall@3"] >= 75 and 0 < summary["retrieval"]["mrr"] <= 1
    assert set(summary["latency_ms"]) == {"embed", "search", "read", "verify", "total"}
    assert summary["has_answer"]["f1"] > 50
    assert "GROUNDQA_NO_ANSWER_MARGIN=" in summary["calibration"]["setting"]
    assert len(list((tmp_path / "cache").iterdir())) == 1, "the paragraph index is cached for the next run"
    again = run_cli(capsys, small_squad, "--open", "--top-k", "3", "--cache-dir", tmp_path / "cache", "--limit", "4")
    assert again["n"] == 4
    held = run_cli(capsys, small_squad, "--open", "--holdout-articles", "1", "--cache-dir", tmp_path / "cache",
                   "--calibrate")
    assert held["no_answer"]["n"] in (6, 7), "one whole article left out: its questions cannot be answered"
    assert held["has_answer"]["n"] == 13 - held["no_answer"]["n"]


def test_gold_jsonl_mode_with_sampling(capsys, real_settings, corpus_pipeline, monkeypatch, tmp_path):
    monkeypatch.setenv("GROUNDQA_INDEX_DIR", str(real_settings.index_dir))
    gold = REPO_ROOT / "eval" / "gold" / "default-corpus.jsonl"
    ids = []
    for attempt in range(2):
        summary = run_cli(capsys, gold, "--limit", "8", "--seed", "3", "--report", tmp_path / f"{attempt}.json")
        assert summary["n"] == 8 and summary["f1"] > 80
        ids.append([row["id"] for row in json.loads((tmp_path / f"{attempt}.json").read_text())["rows"]])
    assert ids[0] == ids[1], "the same seed samples the same questions"
    assert set(ids[0]) <= {q.id for q in load_gold(gold)} and len(set(ids[0])) == 8
