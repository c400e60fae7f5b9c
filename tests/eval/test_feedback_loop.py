"""The feedback loop with the real models and a real server: users ask and mark answers, the
verdicts are exported as gold, and `groundqa eval` runs on that gold and counts it."""

import json
import shutil

import pytest

from groundqa.cli import main as groundqa
from groundqa.client import Client
from groundqa.service.feedback import Feedback
from tests.servers import groundqa_server

pytestmark = pytest.mark.slow
KEY = "loop-key"


def test_ask_mark_export_eval(tmp_path, real_settings, corpus_pipeline, capsys):
    index_dir = tmp_path / "index"
    shutil.copytree(real_settings.index_dir, index_dir)
    with groundqa_server({"GROUNDQA_INDEX_DIR": str(index_dir), "GROUNDQA_API_KEY": KEY}) as (url, _), \
            Client(url, api_key=KEY) as client:
        def mark(question, verdict, note=""):
            response = client.ask(question)
            if response.no_answer:
                return client.send_feedback(Feedback(question, verdict, note=note))
            best = response.answers[0]
            return client.send_feedback(Feedback(question, verdict, best.text, best.citation.doc_id,
                                                 best.citation.start, best.citation.end, note))

        mark("Who is the president of Microsoft?", "correct")
        mark("Who is the new CEO of IBM?", "correct")
        mark("What is the capital of France?", "correct")  # "not found", and rightly so
        wrong = mark("How long is Amazon's ban on police use of its facial recognition technology?", "wrong",
                     "a test verdict: the reviewer decides")
        gold, review = tmp_path / "from-users.jsonl", tmp_path / "from-users.review.jsonl"
        assert groundqa(["feedback", "export", "--gold", str(gold), "--url", url, "--api-key", KEY]) == 0
        assert "4 verdicts: wrote 3 gold questions" in capsys.readouterr().err
        flagged = [json.loads(line) for line in review.read_text().splitlines()]
        assert [(f["question"], f["answer"], f["note"]) for f in flagged] == [(wrong.question, wrong.answer, wrong.note)]

        report = tmp_path / "report.json"
        assert groundqa(["eval", str(gold), "--url", url, "--report", str(report), "--quiet"]) == 0
    summary = json.loads(report.read_text())["summary"]
    assert summary["n"] == 3
    assert summary["has_answer"]["n"] == 2 and summary["has_answer"]["em"] == 100.0
    assert summary["no_answer"]["n"] == 1 and summary["no_answer"]["abstained"] == 1
