"""The answer verifier: its features see what the reader's logits do not, its file refuses to load
against other features, and the pipeline scores answers with it when it is on."""

import json

import pytest

from groundqa.index.terms import TermStats
from groundqa.service.verify import FEATURES, Evidence, Verifier, VerifierMismatch, feature_vector
from groundqa.wiring import SHIPPED_VERIFIER

ADVISORY = "Advisory NSA-2024-003 covers CVE-2024-38112, with a CVSS score of 8.1, in firmware 3.0 through 3.2.1."


def evidence(question: str, passage: str = ADVISORY, answer: str = "8.1") -> Evidence:
    return Evidence(question=question, answer=answer, passage_text=passage, sentence=passage, reader_margin=20.0,
                    window_margin=20.0, evidence_share=0.9, retrieval_score=0.9, passage_rank=1)


def feature(name: str, question: str, **kwargs) -> float:
    stats = TermStats.of([ADVISORY, "Warranty terms for the Nimbus T2.", "Returns within 45 days."])
    return float(feature_vector(evidence(question, **kwargs), stats)[FEATURES.index(name)])


def test_an_identifier_the_passage_lacks_is_seen():
    assert feature("identifier_missing", "What is the CVSS score of CVE-2024-38113?") == 1.0
    assert feature("identifier_missing", "What is the CVSS score of CVE-2024-38112?") == 0.0
    assert feature("identifier_missing", "When was firmware 3.3 released?") == 1.0
    assert feature("covered_passage", "What is the CVSS score of CVE-2024-38112?") == pytest.approx(1.0)
    assert feature("covered_passage", "What is the warranty of the Nimbus T9?") < 0.5


def test_a_number_question_answered_without_a_number_is_a_type_mismatch():
    assert feature("type_mismatch", "How many days do I have?", answer="the store") == 1.0
    assert feature("type_mismatch", "How many days do I have?", answer="45 days") == 0.0


def test_the_shipped_file_loads_and_gives_probabilities():
    verifier = Verifier.load(SHIPPED_VERIFIER)
    stats = TermStats.of([ADVISORY])
    right = verifier.probability(feature_vector(evidence("What is the CVSS score of CVE-2024-38112?"), stats))
    near_miss = verifier.probability(feature_vector(evidence("What is the CVSS score of CVE-2024-38113?"), stats))
    assert 0.0 < near_miss < right < 1.0
    assert 0.0 < verifier.threshold < 1.0 and verifier.about["questions"] > 0


def test_a_file_fitted_on_other_features_is_refused_with_what_to_do(tmp_path):
    data = json.loads(SHIPPED_VERIFIER.read_text())
    (tmp_path / "old.json").write_text(json.dumps({**data, "feature_version": 0}))
    with pytest.raises(VerifierMismatch, match="refit it with `groundqa calibrate`"):
        Verifier.load(tmp_path / "old.json")
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(VerifierMismatch, match="cannot read"):
        Verifier.load(tmp_path / "broken.json")

