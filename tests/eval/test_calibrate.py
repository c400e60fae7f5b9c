"""Fitting the verifier: near-miss questions made from answerable ones turn on one identifier the
article lacks; the threshold keeps the answerable questions' loss within the bound asked for; and
`groundqa calibrate` writes a file the service loads (real models, real index)."""

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from groundqa.eval.calibrate import Asked, best_threshold, cross_fitted, fit, record_train_sets, sources
from groundqa.eval.gold import GoldQuestion
from groundqa.eval.near_miss import near_misses
from groundqa.service.verify import FEATURES, Verifier

PARAGRAPH = "Firmware 3.2 was released in 2019 by Vossberg. It fixed the Wi-Fi bug reported by Osei."


def test_a_near_miss_swaps_one_number_or_name_for_one_its_article_lacks():
    questions = [GoldQuestion("q1", "When was firmware 3.2 released?", ["2019"], "a#0", PARAGRAPH, "a"),
                 GoldQuestion("q2", "Who reported the bug that Vossberg fixed?", ["Osei"], "a#0", PARAGRAPH, "a"),
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
    return Asked("a question?", answerable, [(features, 1.0 if right else 0.0, right, "evidence")], weight=1.0,
                 made=made)


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


class _CrossCheckSeeingRightness:
    """Stands in for the cross-encoder: sure of the candidates whose evidence says "right"."""

    def __init__(self, path):
        self.digest = "fake"

    def probabilities(self, question, evidences):
        return np.array([0.95 if text == "right" else 0.05 for text in evidences])


def test_the_cross_check_is_weighed_in_on_the_first_candidates(monkeypatch, tmp_path):
    import groundqa.service.cross_check as cross_check

    monkeypatch.setattr(cross_check, "CrossCheck", _CrossCheckSeeingRightness)
    model = tmp_path / "model.safetensors"
    model.write_bytes(b"weights")
    rng = np.random.default_rng(1)
    asked = []
    for number in range(120):
        answerable = number % 3 != 0
        candidates = []
        for rank in range(5):
            right = answerable and rank == number % 2  # the features rank the right one first or second
            features = rng.normal(size=len(FEATURES))
            features[0] += 1.0 - 0.3 * rank
            candidates.append((features, 1.0 if right else 0.0, right, "right" if right else "wrong"))
        asked.append(Asked(f"question {number}?", answerable, candidates, weight=1.0))
    plain, plain_summary = fit([dataclasses.replace(a, checked={}) for a in asked])
    checked, summary = fit(asked, cross_check=model)
    fitted = checked.cross_check
    assert fitted is not None and fitted.candidates == 3 and fitted.weights[1] > 0
    assert summary["cross_check"]["digest"] == cross_check.file_digest(model)
    assert all(len(a.checked) == 3 for a in asked)
    assert summary["f1_at_threshold"] > plain_summary["f1_at_threshold"]
    again = Verifier.from_json(json.loads(json.dumps(checked.to_json())), "test", tmp_path)
    assert again.cross_check == fitted
    kept, _ = fit(asked, cross_check=model, features_from=plain)  # only the cross-check and threshold fitted
    assert np.array_equal(kept.coef, plain.coef) and kept.cross_check is not None


class _CrossCheckByFile:
    """Stands in for the cross-encoder: each model file says one probability, whatever it reads."""

    def __init__(self, path):
        self.probability = float(path.read_text())

    def probabilities(self, question, evidences):
        return np.full(len(evidences), self.probability)


def test_cross_fitting_judges_each_named_set_with_its_own_model(monkeypatch, tmp_path):
    import groundqa.service.cross_check as cross_check

    monkeypatch.setattr(cross_check, "CrossCheck", _CrossCheckByFile)
    shipped, without_lease = tmp_path / "shipped.safetensors", tmp_path / "fold.safetensors"
    shipped.write_text("0.9")
    without_lease.write_text("0.2")
    rng = np.random.default_rng(2)
    asked = [_asked(rng, True, number % 2 == 0) for number in range(6)]
    fitted_on = ["squad-v2.0-dev-A.json.gz: 2 questions (seed 5), 1 near misses made from its answerable questions",
                 "hospital (train split): 1 questions", "lease (train split): 2 questions"]
    assert sources(asked, fitted_on) == ["squad-v2.0-dev-A.json.gz"] * 3 + ["hospital", "lease", "lease"]
    judges = cross_fitted([f"{without_lease}:lease"], asked, fitted_on)
    assert judges == {4: without_lease, 5: without_lease}
    fit(asked, cross_check=shipped, cross_check_candidates=1, cross_fit=judges)
    assert [list(a.checked.values()) for a in asked] == [[0.9]] * 4 + [[pytest.approx(0.2)]] * 2
    with pytest.raises(SystemExit, match="lacks: school"):
        cross_fitted([f"{without_lease}:school"], asked, fitted_on)
    with pytest.raises(SystemExit, match="counts 6 questions; it holds 5"):
        sources(asked[:5], fitted_on)


def test_reader_cross_fitting_reads_each_named_train_set_with_its_own_reader(monkeypatch, tmp_path):
    """--reader-for: a train set named there is asked with that reader (one trained without it), the
    others with the reader that serves; a name that is no train set is refused before anything is asked."""
    import groundqa.eval.calibrate as calibrate
    import groundqa.eval.suite as suite
    import groundqa.wiring as wiring
    from groundqa.settings import Settings

    (tmp_path / "splits.toml").write_text("".join(
        f'[sets.{name}]\nsplit = "{split}"\ndocs = "{name}/docs"\ngold = "{name}/gold.jsonl"\n\n'
        for name, split in (("bakery", "train"), ("garage", "train"), ("library", "dev"))))
    for name in ("bakery", "garage", "library"):
        (tmp_path / name / "docs").mkdir(parents=True)
        (tmp_path / name / "gold.jsonl").write_text(json.dumps({"id": "q", "question": "Who?", "answers": ["Ines"]}) + "\n")
    monkeypatch.setattr(wiring, "make_embedder", lambda settings: "embedder")
    monkeypatch.setattr(wiring, "make_reader", lambda settings: f"reader {settings.reader_model}")
    monkeypatch.setattr(suite, "set_pipeline", lambda settings, gold_set, embedder, reader, cache: reader)
    monkeypatch.setattr(calibrate, "asked_of", lambda pipeline, questions, name: [pipeline])
    settings = Settings(reader_model="served")

    recorded = record_train_sets(tmp_path, settings, tmp_path / "cache", {"garage": Path("without-garage")})
    assert recorded == [("bakery", ["reader served"]), ("garage", ["reader without-garage"])]
    with pytest.raises(SystemExit, match="names no train set of .*: library"):
        record_train_sets(tmp_path, settings, tmp_path / "cache", {"library": Path("without-library")})


def test_cross_fitting_without_the_model_that_serves_is_refused(tmp_path):
    refused = subprocess.run([sys.executable, "-m", "groundqa.cli", "calibrate", "--cross-fit", "fold.safetensors:lease",
                              "--out", str(tmp_path / "verifier.json")], capture_output=True, text=True)
    assert refused.returncode != 0 and "--cross-fit needs --cross-check" in refused.stderr
    assert not (tmp_path / "verifier.json").exists()


# Documents and gold questions written for this test (the benchmark sets in eval/gold stay out of tests).
LOCK_DOCS = {
    "release-notes.md": """# Corvane Lock Firmware: Change Log

Updates install overnight between 1 a.m. and 3 a.m. while the lock is on Wi-Fi. The version is shown in the
Corvane app under Locks > Settings > About.

## Firmware 6.4

Released: November 20, 2023
Models: Corvane L3, Corvane L8

- LCK-2301: The auto-lock delay can now be set anywhere from 10 to 300 seconds.
- LCK-2315: Fixed the keypad backlight staying on after a code was entered.

## Firmware 6.3.2

Released: August 14, 2023
Models: Corvane L3, Corvane L8

- LCK-2210: Fixed the lock freezing when more than 40 codes were stored.

Delivery: every lock within 36 hours.

## Firmware 6.3

Released: June 6, 2023
Models: Corvane L8

- New: guest codes can expire after a set number of days.
""",
    "faq.md": """# Corvane Smart Locks: Questions and Answers

## Prices

- Corvane L3: $149.00
- Corvane L8: $219.00
- Door Sensor 3-pack: $59.00

## Batteries

The Corvane L3 runs on four AA batteries, which last about 10 months. The Corvane L8 uses a rechargeable
pack that lasts about 5 months between charges.

## Guarantee

Every lock comes with a 2-year guarantee. Corvane Plus lengthens it by 3 more years for a single payment of $39.

## Contact

- Helpdesk phone: 1-877-555-0163 (Monday to Friday, 7 a.m. to 7 p.m.)
- Helpdesk email: help@corvane.example
""",
}
LOCK_GOLD = [
    ("When did firmware 6.3.2 come out?", ["August 14, 2023"]),
    ("When was firmware 6.4 released?", ["November 20, 2023"]),
    ("On what date was firmware 6.3 released?", ["June 6, 2023"]),
    ("Which ticket fixed the lock freezing with many codes stored?", ["LCK-2210"]),
    ("What range can the auto-lock delay be set to?", ["from 10 to 300 seconds", "10 to 300 seconds"]),
    ("When do firmware updates install?", ["between 1 a.m. and 3 a.m.", "1 a.m. and 3 a.m."]),
    ("How much does the Corvane L3 cost?", ["$149.00"]),
    ("What is the price of the Corvane L8?", ["$219.00"]),
    ("How much is a Door Sensor 3-pack?", ["$59.00"]),
    ("How long do the batteries in a Corvane L3 last?", ["about 10 months", "10 months"]),
    ("What batteries does the Corvane L3 run on?", ["four AA batteries", "AA batteries"]),
    ("What does Corvane Plus cost?", ["$39"]),
    ("What is the helpdesk phone number?", ["1-877-555-0163"]),
    ("Which email address reaches the helpdesk?", ["help@corvane.example"]),
    ("How quickly did firmware 6.3.2 reach every lock?", ["within 36 hours", "36 hours"]),
    ("Which model gets firmware 6.3?", ["Corvane L8"]),
    ("How long does the L8's battery pack last between charges?", ["about 5 months", "5 months"]),
    ("When was firmware 6.5 released?", []),
    ("How much does the Corvane L5 cost?", []),
    ("What is the helpdesk fax number?", []),
    ("When was firmware 6.2.1 released?", []),
    ("Who founded Corvane?", []),
    ("What does the Corvane Outdoor Camera cost?", []),
    ("Which ticket fixed the Bluetooth pairing bug?", []),
    ("What is the CVSS score of the keypad flaw?", []),
]


@pytest.mark.slow
def test_calibrate_writes_a_verifier_the_service_loads(tmp_path):
    """Fit on a gold set written for the test against a real index of its documents, then answer with the file."""
    docs = tmp_path / "corvane"
    docs.mkdir()
    for name, text in LOCK_DOCS.items():
        (docs / name).write_text(text)
    gold = tmp_path / "corvane.jsonl"
    gold.write_text("".join(json.dumps({"id": f"lock-{number}", "question": question, "answers": answers}) + "\n"
                            for number, (question, answers) in enumerate(LOCK_GOLD, start=1)))
    env = {"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin", "GROUNDQA_INDEX_DIR": str(tmp_path / "index"),
           "GROUNDQA_MODEL_CACHE_DIR": str(tmp_path / "cache")}
    groundqa = [sys.executable, "-m", "groundqa.cli"]
    subprocess.run([*groundqa, "index", str(docs), "--quiet"], env=env, check=True, cwd=tmp_path, capture_output=True)
    out = tmp_path / "verifier.json"
    fitted = subprocess.run([*groundqa, "calibrate", str(gold), "--max-answerable-loss", "5", "--out", str(out)],
                            env=env, cwd=tmp_path, capture_output=True, text=True)
    assert fitted.returncode == 0, fitted.stderr[-2000:]
    verifier = Verifier.load(out)
    assert verifier.about["questions"] == len(LOCK_GOLD) and verifier.about["answerable_f1_lost"] <= 5.0
    asked = subprocess.run([*groundqa, "ask", "--json", "When did firmware 6.3.2 come out?"],
                           env={**env, "GROUNDQA_VERIFIER": str(out)}, cwd=tmp_path, capture_output=True, text=True)
    assert asked.returncode == 0, asked.stderr[-2000:]
    answer = json.loads(asked.stdout)["answers"][0]
    assert answer["text"] == "August 14, 2023" and answer["score"] >= verifier.threshold
