"""`groundqa bench` and `groundqa load` through the real models and a real server."""

import gzip
import json

import pytest

from groundqa.eval.load import require_loopback
from groundqa.cli import main
from groundqa.errors import GroundQAError
from groundqa.settings import REPO_ROOT
from tests.servers import groundqa_server

pytestmark = pytest.mark.slow
SQUAD_DEV = REPO_ROOT.parent / "shared" / "data" / "squad" / "squad-v1.1-dev.json.gz"


@pytest.fixture(scope="module")
def small_squad(tmp_path_factory):
    data = json.loads(gzip.decompress(SQUAD_DEV.read_bytes()))
    article = data["data"][0]
    path = tmp_path_factory.mktemp("squad") / "small.json"
    path.write_text(json.dumps({"version": "1.1", "data": [
        {"title": article["title"], "paragraphs": article["paragraphs"][:6]}]}))
    return path


def test_bench_prints_reference_and_project_paths_side_by_side(small_squad, tmp_path, capsys):
    out_json = tmp_path / "bench.json"
    assert main(["bench", str(small_squad), "--questions", "6", "--index-chunks", "6",
                 "--cache-dir", str(tmp_path / "cache"), "--json", str(out_json)]) == 0
    printed = capsys.readouterr().out
    assert "| reference |" in printed and "| shipped |" in printed and "indexing 6 chunks" in printed
    report = json.loads(out_json.read_text())
    assert set(report["answering"]) == {"reference", "fp32", "shipped"}
    for path in report["answering"].values():
        assert path["p50_ms"] > 0 and 0 <= path["f1"] <= 100
    assert report["answering"]["shipped"]["f1"] > 40  # real answers, not noise
    assert report["indexing"]["cosine_to_plain_min"] > 0.99  # the faster path embeds the same vectors


def test_load_refuses_other_hosts():
    require_loopback("http://127.0.0.1:8000")
    require_loopback("http://localhost:8000")
    with pytest.raises(GroundQAError, match="loopback"):
        require_loopback("http://192.0.2.1:8000")


def test_load_against_a_real_server_and_overload_answers_503_quickly(real_settings, corpus_pipeline, tmp_path,
                                                                     capsys):
    questions = tmp_path / "q.txt"
    questions.write_text("Which companies halted sales of facial recognition to police?\nWho is IBM's CEO?\n")
    env = {"GROUNDQA_INDEX_DIR": str(real_settings.index_dir)}
    with groundqa_server(env) as (url, _):
        assert main(["load", url, "--questions", str(questions), "--clients", "4", "--requests", "12",
                     "--json", str(tmp_path / "load.json")]) == 0
        summary = json.loads((tmp_path / "load.json").read_text())
        assert summary["ok"] == 12 and summary["statuses"] == {"200": 12}
    # One slot, no queue: of 8 clients at once most are refused, each with Retry-After, none hangs.
    with groundqa_server({**env, "GROUNDQA_MAX_CONCURRENT_ASKS": "1", "GROUNDQA_MAX_QUEUED_ASKS": "0"}) as (url, _):
        main(["load", url, "--questions", str(questions), "--clients", "8", "--requests", "40",
              "--json", str(tmp_path / "over.json")])
        summary = json.loads((tmp_path / "over.json").read_text())
    assert summary["statuses"].get("503", 0) > 0 and summary["statuses"].get("200", 0) > 0
    assert set(summary["statuses"]) <= {"200", "503"} and not summary["transport_errors"]
    assert summary["rejected_without_retry_after"] == 0


def test_bench_answers_every_question_on_every_path(small_squad, tmp_path):
    """EM and F1 compare the paths' spans: the verifier abstains on none, even where the documents hold
    no answer (a question from another article)."""
    data = json.loads(small_squad.read_text())
    paragraph = data["data"][0]["paragraphs"][0]
    data["data"][0]["paragraphs"] = [{"context": paragraph["context"], "qas": [
        paragraph["qas"][0],
        {"id": "elsewhere", "question": "Who won the 1998 FIFA World Cup final in Paris?",
         "answers": [{"text": "France", "answer_start": 0}]}]}]
    gold = tmp_path / "two.json"
    gold.write_text(json.dumps(data))
    out_json = tmp_path / "bench.json"
    assert main(["bench", str(gold), "--questions", "2", "--index-chunks", "0", "--cache-dir", str(tmp_path / "cache"),
                 "--json", str(out_json)]) == 0
    for path in json.loads(out_json.read_text())["answering"].values():
        assert path["answered"] == 100.0
