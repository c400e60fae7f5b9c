"""Two readings of a follow-up, the verifier choosing (service/followup_choice.py): which follow-ups get
a second reading, which answer is kept, and how a history holding a chosen combination reads; on
questions and results written for these tests."""

import pytest

from groundqa.service.followup import Turn, resolve
from groundqa.service.followup_choice import ask_follow_up, chosen, readings, repeats, with_setting
from groundqa.service.types import Answer, AskResult, Citation

CARETAKER = "Who is the caretaker at Maple Court?"


def result(question: str, answer: str | None, score: float | None) -> AskResult:
    answers = [] if answer is None else [Answer(text=answer, score=score or 0.0, citation=_citation())]
    return AskResult(question, answers, not answers, {"read": 5.0, "total": 10.0}, best_margin=score)


def _citation() -> Citation:
    return Citation("doc", "Doc", "doc.txt", 0, 1, "x", 0)


def test_a_pronoun_gets_a_second_reading_and_a_question_left_as_asked_none():
    history = [Turn(CARETAKER, "Ivo Sandu")]
    read = readings("When is he in?", history, None, 1000)
    assert read.resolved == "When is Ivo Sandu in?"
    assert read.alternative == f"When is he in? {CARETAKER}"  # the follow-up, then the question before it
    assert read.previous_answer == "Ivo Sandu"
    left = readings("What is the screen repair excess?", [Turn("How much is cover for a Band 2 phone?", "£9")],
                    None, 1000)
    assert left.resolved == "What is the screen repair excess?"
    assert left.alternative is None  # it may stand alone: asked after another, it keeps its own reading


def test_the_second_reading_follows_the_previous_question_as_it_stands_alone():
    history = [Turn("How much is the Starter plan?", "$10"), Turn("and Growth?", "$25")]
    assert readings("Who can use it?", history, None, 1000).alternative == \
        "Who can use it? How much is the Growth plan?"


@pytest.mark.parametrize("question, alternative", [
    # it says it goes on from the question before: it is also asked in that question's setting
    ("is lunch still served", "is lunch still served on a late-start day?"),
    ("and who marks the register", "and who marks the register on a late-start day?"),
    ("what if we walk instead?", "what if we walk instead on a late-start day?"),
    # a pronoun the rules found nothing for (the question before names no one): beside that question
    ("Can I ring him?", "Can I ring him? When does school begin on a late-start day?"),
])
def test_a_question_left_as_asked_that_leans_on_the_one_before_gets_a_second_reading(question, alternative):
    read = readings(question, [Turn(LATE_START, "two hours late")], None, 1000)
    assert read.resolved == question
    assert read.alternative == alternative


def test_the_setting_carried_over_is_what_the_question_lacks():
    assert with_setting("and when is the refund paid", "If I cancel online, how soon do I hear back?") == \
        "and when is the refund paid if I cancel online?"  # the opening clause
    assert with_setting("is parking still free", "What does a day pass cost at the Elm Street pool?") == \
        "is parking still free at the Elm Street pool?"
    assert with_setting("is the pool still open at Elm Street", "What does a day pass cost at Elm Street?") is None
    assert with_setting("is parking still free", "When is the pool open, and what does it cost?") is None  # no clause


def test_a_long_question_that_says_still_names_its_own_setting():
    history = [Turn("How much is the Starter plan per month?", "$10")]
    assert readings("Can I still get a refund after 30 days on the annual plan?", history, None, 1000).alternative is None


LATE_START = "When does school begin on a late-start day?"


@pytest.mark.parametrize("question, history", [
    ("and on weekends?", [Turn("When does the pool open on weekdays?", "6 am")]),  # a fragment: one reading
    ("What about the Growth plan?", [Turn("How much is the Starter plan?", "$10")]),
    ("When is he in?", []),  # no history
    ("When is he in?", [Turn(CARETAKER, "")]),  # no answer shown: a repeat of it could not be told apart
])
def test_a_fragment_a_first_question_or_one_after_no_answer_has_one_reading(question, history):
    assert readings(question, history, None, 1000).alternative is None


def test_a_combination_longer_than_a_question_may_be_is_not_asked():
    history = [Turn(CARETAKER, "Ivo Sandu")]
    assert readings("When is he in?", history, None, len(f"When is he in? {CARETAKER}") - 1).alternative is None


def test_the_verifier_keeps_the_reading_it_believes_more():
    by_rules = result("When is Ivo Sandu in?", "Monday", 0.23)
    combined = result(f"When is he in? {CARETAKER}", "Monday to Friday, 8:00-12:00", 0.54)
    kept = chosen(by_rules, combined, "Ivo Sandu")
    assert kept.question == combined.question and kept.answers[0].text == "Monday to Friday, 8:00-12:00"
    assert kept.timings_ms["total"] == 20.0 and kept.timings_ms["other_reading"] == 10.0
    assert chosen(by_rules, result(combined.question, "Mondays", 0.23), "Ivo Sandu").question == by_rules.question  # a tie
    assert chosen(combined, by_rules, "Ivo Sandu").question == combined.question
    assert chosen(by_rules, None, "Ivo Sandu") is by_rules
    # the rules' answer again: the simpler question gave it
    assert chosen(by_rules, result(combined.question, "monday.", 0.9), "Ivo Sandu").question == by_rules.question
    # the rules' reading abstained (as served: no answers): the combination's answer is kept
    assert chosen(result(by_rules.question, None, 0.05), result(combined.question, "Monday", 0.5),
                  "Ivo Sandu").question == combined.question


def test_a_combination_answering_the_previous_question_again_is_not_taken():
    by_rules = result("What is the excess on Plus?", "£200", 0.41)
    again = result("What is the excess on Plus? How much is cover on Plus?", "£2.90 a month", 0.72)
    assert chosen(by_rules, again, "£2.90").question == by_rules.question
    abstained = result("What is the excess on Plus? How much is cover on Plus?", None, 0.9)
    assert chosen(by_rules, abstained, "£2.90").question == by_rules.question


@pytest.mark.parametrize("answer, previous, same", [
    ("£14.50", "£14.50 a month", True),
    ("Tomasz Lewicki", "tomasz lewicki.", True),
    ("suspension", "1-day suspension from riding", True),
    ("$4.00", "$7.00", False),  # cents alike, amounts not
    ("within 4 hours", "within 24 hours", False),
    ("every hour", "Monday to Friday", False),
    ("", "£2.90", False),
    ("£2.90", "", False),
])
def test_what_repeats_the_previous_answer(answer, previous, same):
    assert repeats(answer, previous) is same


def test_ask_follow_up_asks_each_reading_once():
    asked = []
    scores = {"When is Ivo Sandu in?": ("Monday", 0.2), f"When is he in? {CARETAKER}": ("8:00-12:00", 0.6)}

    def ask(question):
        asked.append(question)
        return result(question, *scores[question])

    kept = ask_follow_up(ask, " When is he in? ", [Turn(CARETAKER, "Ivo Sandu")], None, 1000)
    assert asked == list(scores) and kept.question == f"When is he in? {CARETAKER}"
    asked.clear()
    ask_follow_up(lambda q: asked.append(q) or result(q, "6 am", 0.9), CARETAKER, [], None, 1000)
    assert asked == [CARETAKER]


def test_a_history_holding_a_chosen_combination_reads_as_its_follow_up():
    """The widget sends back the question answered: a combination stands for its follow-up resolved."""
    history = [Turn(CARETAKER, "Ivo Sandu"), Turn(f"When is he in? {CARETAKER}", "Mondays, 8:00-12:00")]
    assert resolve("and on Fridays?", history) == "When is Ivo Sandu in on Fridays?"
    assert resolve("Is bike storage free there?", history) == "Is bike storage free at Maple Court?"
    # several questions whose first stands alone are one question of the history, as asked
    plans = [Turn("How much is the Starter plan? Who can use it?", "$10")]
    assert resolve("and Growth?", plans) == resolve("and Growth?", [Turn("How much is the Starter plan? Who can use it?")])


def test_hostile_combinations_in_a_history_are_read_in_time():
    import time

    begun = time.perf_counter()
    for text in ("a?" * 495, "? " * 490 + "it?", "Who is it? " * 90):
        resolve("When is he in?", [Turn(text[:990], "x")] * 6)
    assert time.perf_counter() - begun < 5


ADD_ONS = """# Home insurance add-ons

## Home emergency cover

Home emergency cover costs £48 a year. For each claim it pays up to £500 towards call-out, parts and labour.

## Legal expenses cover

Legal expenses cover costs £31 a year. For each claim it pays up to £75,000 in legal costs.
"""


@pytest.mark.slow
def test_the_real_verifier_chooses_the_reading_that_answers(tmp_path, real_settings, real_pipeline_over):
    """"What's the most it pays per claim?" after a question about home emergency cover: the rules read
    "it" as "home emergency" (the cover lost); asked with the question before it too, the reading
    answered is the one the verifier believes more, it answers the follow-up, and the answer says
    which question it answers."""
    (tmp_path / "add-ons.md").write_text(ADD_ONS)
    pipeline = real_pipeline_over(tmp_path)
    first = "How much does home emergency cover cost?"
    shown = pipeline.ask(first)
    assert not shown.no_answer and "£48" in shown.answers[0].text, shown
    follow_up = "What's the most it pays per claim?"
    history = [Turn(first, shown.answers[0].text)]
    read = readings(follow_up, history, None, real_settings.max_question_chars)
    assert read.alternative == f"{follow_up} {first}"
    result = ask_follow_up(pipeline.ask, follow_up, history, None, real_settings.max_question_chars)
    assert not result.no_answer and "£500" in result.answers[0].text, result
    assert result.question in (read.resolved, read.alternative), result
    if result.question == read.alternative:  # taken only with more belief than the rules' own reading
        by_rules = pipeline.ask(read.resolved)
        assert by_rules.no_answer or (by_rules.best_margin or 0) < result.best_margin
