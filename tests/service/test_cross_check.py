"""The cross-check's input (a candidate marked in its sentence under its headings), the verifier file's
record of the reader and precision it was fitted for, and the shipped cross-check through the real path."""

import dataclasses
import json

import numpy as np
import pytest

from groundqa.service.cross_check import CLOSE, DEFAULT_PATH, OPEN, CrossCheckFit, evidence, sentence_around
from groundqa.service.verify import Verifier, VerifierMismatch
from groundqa.wiring import SHIPPED_VERIFIER

TEXT = ("Membership fees. The Silver plan costs $30 a month. The Gold plan costs $45 a month, "
        "billed yearly.\nFreezing: up to 2 months a year.")


def test_the_candidate_is_marked_in_its_own_sentence_under_its_headings():
    start = TEXT.index("$45")
    read = evidence(TEXT, start, start + 3, ["Fees", "Fees", "Plans"])
    assert read == f"Fees / Plans | The Gold plan costs {OPEN} $45 {CLOSE} a month, billed yearly."


def test_a_line_ends_the_sentence_and_a_long_one_is_cut_at_a_blank():
    start = TEXT.index("2 months")
    assert evidence(TEXT, start, start + 8) == f"Freezing: up to {OPEN} 2 months {CLOSE} a year."
    words = " ".join(f"word{n}" for n in range(200))
    start = words.index("word100")
    left, right = sentence_around(words, start, start + 7)
    assert words[left:right].split()[0].startswith("word") and words[left - 1] == " "
    assert right - left < 400 and words[right] == " "


def _verifier(**fitted_for) -> Verifier:
    size = 19
    return Verifier(np.zeros(size), np.ones(size), np.zeros(size), 0.0, 0.5, {}, fitted_for)


def test_a_verifier_refuses_a_reader_or_precision_it_was_not_fitted_for():
    verifier = _verifier(reader="abc", precision="fp32")
    verifier.check_fitted_for("abc", "fp32", "v")
    verifier.check_fitted_for("abc", "bf16", "v")  # the same logits within noise
    with pytest.raises(VerifierMismatch, match="fitted for the reader abc"):
        verifier.check_fitted_for("other", "fp32", "v")
    with pytest.raises(VerifierMismatch, match="PRECISION=fp32"):
        verifier.check_fitted_for("abc", "int8", "v")
    _verifier().check_fitted_for("any", "int8", "v")  # a file that names none (fitted before this check)


def test_a_cross_check_file_other_than_the_one_fitted_is_refused(tmp_path):
    fit = CrossCheckFit(DEFAULT_PATH, "0000000000000000", (1.0, 1.0), 0.0, 3)
    if not DEFAULT_PATH.is_file():
        pytest.skip("no shipped cross-check")
    with pytest.raises(Exception, match="is not the one the verifier was fitted with"):
        fit.model()


def test_the_shipped_verifier_names_its_reader_and_precision(real_settings):
    from groundqa.hardware import resolve_precision
    from groundqa.service.reader import reader_digest

    shipped = Verifier.load(SHIPPED_VERIFIER)
    assert shipped.fitted_for["reader"] == reader_digest(real_settings.reader_model)
    assert shipped.fitted_for["precision"] in ("fp32", "bf16")
    shipped.check_fitted_for(reader_digest(real_settings.reader_model), resolve_precision("fp32"), "shipped")


def test_the_cross_check_tells_a_thing_the_text_names_from_one_it_does_not():
    """Real model: the Gold plan's price read for the Gold plan, against the same text read for a
    plan it does not name, and against an answer of another kind."""
    if not DEFAULT_PATH.is_file():
        pytest.fail("service/cross_check.safetensors is missing")
    fit = Verifier.load(SHIPPED_VERIFIER).cross_check
    assert fit is not None
    model = fit.model()
    gold, freeze = TEXT.index("$45"), TEXT.index("2 months")
    price = evidence(TEXT, gold, gold + 3, ["Fees"])
    named, unnamed = (model.probabilities(question, [price])[0] for question in
                      ("How much is the Gold plan per month?", "How much is the Platinum plan per month?"))
    assert named > 0.5 > unnamed
    wrong_kind, = model.probabilities("How much is the Gold plan per month?", [evidence(TEXT, freeze, freeze + 8)])
    assert wrong_kind < 0.5


GYM_TERMS = """# Harbourline Fitness: membership terms

## Plans

The Silver plan costs $30 a month and includes the gym floor and group classes.
The Gold plan costs $45 a month and adds the pool, the sauna and two guest passes a month.

## Freezing

Members may freeze a plan for up to 2 months a year, at $5 a month while frozen.
"""


@pytest.mark.slow
def test_the_shipped_verifier_cross_checks_through_the_real_pipeline(tmp_path, real_pipeline_over):
    """The shipped verifier with its cross-check, over a document written for this test: the plan asked
    about is answered with an exact citation, a plan the document lacks is not."""
    (tmp_path / "terms.md").write_text(GYM_TERMS)
    pipeline = real_pipeline_over(tmp_path)
    verifier = pipeline.config.verifier
    assert verifier is not None and verifier.cross_check is not None
    result = pipeline.ask("How much is the Gold plan a month?")
    answer = result.answers[0].text if not result.no_answer else None
    assert answer in ("$45", "$45 a month"), result.judged[:3]  # the price, with or without the asked period
    citation = result.answers[0].citation
    assert pipeline.collection.document(citation.doc_id).text[citation.start:citation.end] == answer
    assert pipeline.ask("How much is the Platinum plan a month?").no_answer


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/hostname", "sub/model.safetensors", "model.bin"])
def test_a_cross_check_file_is_a_plain_model_name(name, tmp_path):
    """A collection's verifier comes over HTTP: its cross-check names no other file."""
    data = Verifier.load(SHIPPED_VERIFIER).to_json()
    data["cross_check"]["file"] = name
    with pytest.raises(VerifierMismatch, match="not a verifier groundqa wrote"):
        Verifier.from_json(data, "a collection's verifier", tmp_path)


class _FitDoubtingTheFirst(CrossCheckFit):
    """The combination of a real fit, with a model that doubts the candidate it reads."""

    def model(self):
        class Doubting:
            def probabilities(self, question, evidences):
                return np.full(len(evidences), 0.05)
        return Doubting()


def test_candidates_past_the_judged_ones_stay_alternatives_below_them():
    from groundqa.service.pipeline import cross_checked

    fit = _FitDoubtingTheFirst(DEFAULT_PATH, "x", (1.0, 1.0), 0.0, 1)
    scored = [(3.0, "first", None, "e1"), (2.5, "second", None, "e2"), (-4.0, "third", None, "e3")]
    judged = cross_checked("q?", scored, fit)
    assert [candidate for _, candidate, *_ in judged] == ["first", "second", "third"]
    assert judged[0][0] == pytest.approx(3.0 + np.log(0.05 / 0.95))  # doubted, yet still the one answered
    assert judged[1][0] == judged[0][0] and judged[2][0] == -4.0  # never above it; the unjudged view alone
