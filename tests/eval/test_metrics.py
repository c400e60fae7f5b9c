import pytest

from groundqa.eval.metrics import exact_match, f1_score, normalize_answer, right_f1
from groundqa.eval.runner import Row, Run, rows_to_json
from groundqa.eval.summary import calibrate, summarize


@pytest.mark.parametrize("raw, normalized", [
    ("The  Brad Smith!", "brad smith"),
    ("an apple, a pear & the plum.", "apple pear plum"),
    ("Theatre", "theatre"),  # 'the' only as a whole word
    ("U.S.", "us"),
    ("", ""),
])
def test_official_normalization(raw, normalized):
    assert normalize_answer(raw) == normalized


def test_exact_match_takes_the_best_gold():
    assert exact_match("the Washington Post", ["Washington Post", "WaPo"]) == 1.0
    assert exact_match("Washington", ["Washington Post"]) == 0.0


def test_f1_by_hand():
    # prediction tokens: brad smith president; gold: brad smith -> p=2/3, r=1, f1=0.8
    assert f1_score("Brad Smith, president", ["Brad Smith"]) == pytest.approx(0.8)
    assert f1_score("Smith", ["Brad Smith", "Smith"]) == 1.0
    assert f1_score("nothing shared", ["Brad Smith"]) == 0.0
    # repeated tokens count with multiplicity: pred "a b b", gold "b b c": common 2, p=2/3, r=2/3
    assert f1_score("x y y", ["y y z"]) == pytest.approx(2 / 3)


def test_no_answer_scoring():
    assert exact_match(None, []) == f1_score(None, []) == 1.0
    assert exact_match("something", []) == f1_score("something", []) == 0.0
    assert exact_match(None, ["Brad Smith"]) == f1_score("", ["Brad Smith"]) == 0.0


def rows():
    return [Row("1", "q", ["Brad Smith"], "Brad Smith", 12.0),
            Row("2", "q", ["Paris"], "Lyon", 3.0),
            Row("3", "q", [], "IBM", -5.0),
            Row("4", "q", [], "Amazon", 1.0)]


def test_summary_splits_answerable_and_unanswerable():
    summary = summarize(Run(rows(), 1.0, 5), threshold=0.0)
    assert summary["n"] == 4
    assert summary["has_answer"] == {"n": 2, "em": 50.0, "f1": 50.0, "abstained": 0}
    # abstained: only row 3 -> correct; row 4 answered an unanswerable question
    assert summary["no_answer"] == {"n": 2, "abstained": 1, "abstentions": 1, "precision": 100.0, "recall": 50.0}
    # With the margin at 5.0 row 2 (answerable) is abstained on too: an abstention, not a right one.
    at_five = summarize(Run(rows(), 1.0, 5), threshold=5.0)["no_answer"]
    assert at_five["abstained"] == 2 and at_five["abstentions"] == 3 and at_five["precision"] == 66.67
    assert summary["em"] == 50.0
    assert summary["without_abstention"] == {"em": 25.0, "f1": 25.0}, "always answering gets only row 1 right"


def test_report_rows_say_what_the_user_saw():
    shown = rows_to_json(rows(), threshold=2.0)
    assert [(r["answer"], r["abstained"]) for r in shown] == [("Brad Smith", False), ("Lyon", False), (None, True),
                                                              (None, True)]


def test_calibration_picks_a_margin_between_the_classes():
    margin, f1 = calibrate(rows())
    assert 1.0 < margin < 12.0  # abstain on rows 3 and 4, keep row 1
    assert f1 == pytest.approx(75.0)


@pytest.mark.parametrize("prediction, golds, right", [
    ("up to 1,500 square feet", ["up to 2,500 square feet"], False),  # shares 4 of 5 words, wrong number
    ("square feet", ["up to 2,500 square feet"], False),  # the number asked for is missing
    ("2,500 square feet", ["up to 2,500 square feet"], True),
    ("April 2, 2024", ["May 7, 2024"], False),
    ("the Nimbus T5", ["Nimbus T5"], True),
    ("Brad Smith", ["Bradley Smith", "Brad Smith"], True),  # no numbers: plain F1
    ("firmware 3.2.1", ["firmware 3.2.2", "3.2.1"], True),  # right against one of the golds
])
def test_right_f1_counts_a_wrong_number_as_wrong(prediction, golds, right):
    assert (right_f1(prediction, golds) >= 0.5) is right
    assert right_f1(prediction, golds) <= f1_score(prediction, golds)
