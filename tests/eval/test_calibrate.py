"""Fitting the verifier: near-miss questions made from answerable ones turn on one identifier the
article lacks; the threshold keeps the answerable questions' loss within the bound asked for; and
`groundqa calibrate` writes a file the service loads (real models, real index)."""

import json
import subprocess
import sys

import numpy as np
import pytest

from groundqa.eval.calibrate import Asked, best_threshold, fit
from groundqa.eval.gold import GoldQuestion
from groundqa.eval.near_miss import near_misses
from groundqa.service.verify import FEATURES, Verifier
from tests.conftest import REPO

PARAGRAPH = "Firmware 3.2 was released in 2019 by Halden. It fixed the Wi-Fi bug reported by Osei."


def test_a_near_miss_swaps_one_number_or_name_for_one_its_article_lacks():
    questions = [GoldQuestion("q1", "When was firmware 3.2 released?", ["2019"], "a#0", PARAGRAPH, "a"),
                 GoldQuestion("q2", "Who reported the bug that Halden fixed?", ["Osei"], "a#0", PARAGRAPH, "a"),
                 GoldQuestion("q3", "Who wrote about Paris?", ["Ann"], "b#0", "Ann wrote about Paris and Rome.", "b"),
                 GoldQuestion("q4", "What is unanswerable?", [], "a#0", PARAGRAPH, "a")]
    made = near_misses(questions, 10, seed=0)
    assert {q.id for q in made} == {"q1/near-miss", "q2/near-miss", "q3/near-miss"}
    for near_miss in made:
        original = next(q for q in questions if f"{q.id}/near-miss" == near_miss.id)
        assert near_miss.answers == [] and near_miss.context == original.context
        old, new = set(original.question.split()), set(near_miss.question.split())
        assert len(old - new) == 1 and len(new - old) == 1, (original.question, near_miss.question)
        swapped = (new - old).pop().rstrip("?")
        assert swapped not in original.context
    numbers_first = near_misses(questions, 1, seed=0)
    assert numbers_first[0].id == "q1/near-miss" and "3.2" not in numbers_first[0].question


def _asked(rng, answerable: bool, right: bool, made: bool = False) -> Asked:
    features = rng.normal(size=len(FEATURES))
    features[0] += 1.0 if right else -1.0  # one feature tells them apart, not cleanly
    return Asked(answerable, [(features, 1.0 if right else 0.0, right)], weight=1.0, made=made)


def test_the_threshold_keeps_the_answerable_loss_within_the_bound():
    rng = np.random.default_rng(0)
    asked = ([_asked(rng, True, True) for _ in range(80)] + [_asked(rng, True, False) for _ in range(20)]
             + [_asked(rng, False, False) for _ in range(100)] + [_asked(rng, False, False, made=True) for _ in range(50)])
    verifier, summary = fit(asked)
    free_threshold, free_f1, free_loss = best_threshold(verifier, asked)
    bounded_threshold, bounded_f1, bounded_loss = best_threshold(verifier, asked, max_answerable_loss=1.0)
    assert bounded_loss <= 0.01 + 1e-9 < free_loss
    assert bounded_threshold <= free_threshold and bounded_f1 <= free_f1
    assert summary["near_misses_made"] == 50 and 0.0 < summary["threshold"] < 1.0
    assert verifier.probability(asked[0].candidates[0][0]) > verifier.probability(asked[-1].candidates[0][0])


@pytest.mark.slow
def test_calibrate_writes_a_verifier_the_service_loads(tmp_path):
    """Fit on the router-docs training set against a real index, then answer with the file."""
    env = {"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin", "GROUNDQA_INDEX_DIR": str(tmp_path / "index"),
           "GROUNDQA_MODEL_CACHE_DIR": str(tmp_path / "cache")}
    groundqa = [sys.executable, "-m", "groundqa.cli"]
    subprocess.run([*groundqa, "index", str(REPO / "eval" / "gold" / "router-docs"), "--quiet"], env=env, check=True,
                   cwd=tmp_path, capture_output=True)
    out = tmp_path / "verifier.json"
    fitted = subprocess.run([*groundqa, "calibrate", str(REPO / "eval" / "gold" / "router-docs.jsonl"),
                             "--max-answerable-loss", "5", "--out", str(out)], env=env, cwd=tmp_path,
                            capture_output=True, text=True)
    assert fitted.returncode == 0, fitted.stderr[-2000:]
    verifier = Verifier.load(out)
    assert verifier.about["questions"] == 95 and verifier.about["answerable_f1_lost"] <= 5.0
    asked = subprocess.run([*groundqa, "ask", "--json", "When was firmware 5.4.1 released?"],
                           env={**env, "GROUNDQA_VERIFIER": str(out)}, cwd=tmp_path, capture_output=True, text=True)
    assert asked.returncode == 0, asked.stderr[-2000:]
    answer = json.loads(asked.stdout)["answers"][0]
    assert answer["text"] == "January 28, 2025" and answer["score"] >= verifier.threshold
