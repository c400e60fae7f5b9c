"""Follow-up resolution (service/followup.py) on questions written for these tests: a follow-up is
rewritten into the standalone question it stands for, anything else is left as it is."""

import pytest

from groundqa.errors import InvalidQuestion
from groundqa.service.followup import MAX_TURNS, Turn, check_history, embedder_similarity, resolve, standalone


def ask_after(*turns: str, answers: dict | None = None, similarity=None) -> str:
    """The last question resolved after the others (each answered as `answers` says, else with "")."""
    answers = answers or {}
    history = [Turn(question, answers.get(question, "")) for question in turns[:-1]]
    return resolve(turns[-1], history, similarity)


@pytest.mark.parametrize("earlier, follow_up, resolved", [
    # a fragment takes the place of the previous question's phrase of its kind
    ("How much is the Starter plan?", "and Growth?", "How much is the Growth plan?"),
    ("How much is the Starter plan?", "And the Growth plan?", "How much is the Growth plan?"),
    ("What are the opening hours on weekdays?", "what about weekends?", "What are the opening hours on weekends?"),
    ("What is the late fee for DVDs at the Oakwood library?", "And for books?",
     "What is the late fee for books at the Oakwood library?"),
    ("When does the ferry to Skye leave on Monday?", "How about Friday?", "When does the ferry to Skye leave on Friday?"),
    ("What did the museum charge for entry in 2022?", "And in 2023?", "What did the museum charge for entry in 2023?"),
    ("How much is the 10GB bundle?", "And the 20GB one?", "How much is the 20GB bundle?"),
    # ... and names for names, the words the fragment repeats kept with the rest
    ("How much is the Basic support plan per year?", "And the Premier plan?",
     "How much is the Premier support plan per year?"),
    ("What is the fine after a first missed return?", "and after a second?",
     "What is the fine after a second missed return?"),
    ("How long is the warranty on the blue kettle?", "What about the red kettle?",
     "How long is the warranty on the red kettle?"),
    ("What does a season ticket cost at the Elm Street garage?", "same for the Park Road garage",
     "What does a season ticket cost at the Park Road garage?"),
    # a pronoun is replaced by what it stands for
    ("When is the lease renewal form due?", "who signs it?", "who signs the lease renewal form?"),
    ("How much is the Garden Room?", "What is its capacity?", "What is the capacity of the Garden Room?"),
    # "its" owns what the previous question asked about: the Gold plan, not its joining fee
    ("What is the joining fee for the Gold plan?", "What's its minimum term?", "What's the minimum term of the Gold plan?"),
    ("How much does the night bus cost on Saturdays?", "How often does it run then?",
     "How often does the night bus run on Saturdays?"),
    ("What does the deposit for a bike locker cost?", "How do I rent one?", "How do I rent a bike locker?"),
    ("How much is a coffee at the Riverside kiosk?", "Is there seating there?",
     "Is there seating at the Riverside kiosk?"),
    # the question of a turn that says something first is its last sentence
    ("My bike was stolen. What is the excess on a bicycle claim?", "Is it lower for e-bikes?",
     "Is the excess on a bicycle claim lower for e-bikes?"),
    # ... the last that asks something, whatever is said after it
    ("What does the cooking class cost? Asking for my sister.", "Is it on Saturdays?",
     "Is the cooking class on Saturdays?"),
    # ... an abbreviation's full stop ends no sentence
    ("Where is the pharmacy at St. Brigid's?", "Is it open late?", "Is the pharmacy at St. Brigid's open late?"),
    # after "do I", what it stands for is the first thing named, not a verb
    ("How many days ahead do I have to ask before using a meeting room?", "Is it free?",
     "Is a meeting room free?"),
    # ... and a word spelt like a verb form is a thing where it is the last word named
    ("What do I pay for parking?", "Is it free on Sundays?", "Is parking free on Sundays?"),
    ("How do I request leave?", "Is it paid?", "Is leave paid?"),
    # "they" stands for a plural where the question names one, else for its subject
    ("Are there lockers at the Elm Street gym?", "are they free", "are lockers free?"),
    ("What do the swimming lessons cost?", "When do they start?", "When do the swimming lessons start?"),
    # a clause takes the place of the clause it follows up, its pronoun the subject of that clause
    ("What is the late fee when the invoice is under $500?", "and when it is $500 or more?",
     "What is the late fee when the invoice is $500 or more?"),
    # ... and one after a question without a clause of its kind puts its phrase in place of the same
    # preposition's phrase
    ("Are bicycles covered on the Plus policy?", "What about if we were on Essentials?",
     "Are bicycles covered on Essentials?"),
    # an infinitive is no phrase that qualifies a noun
    ("How much is the booking fee to reserve a court?", "Is it refundable?", "Is the booking fee refundable?"),
    # the question's own phrase of a preposition replaces the antecedent's
    ("How much is a day pass at the Elm Street pool?", "Is it cheaper at the Oak Road pool?",
     "Is a day pass cheaper at the Oak Road pool?"),
    # a pronoun stands for the thing, not for the limit on it
    ("What is the maximum deposit for a flat on Elm Street?", "When is it returned?",
     "When is the deposit for a flat on Elm Street returned?"),
    # ... and a unit of time is no plural it stands for
    ("How much does the crew charge for two hours?", "Are they insured?", "Are the crew insured?"),
    # after a be-question's subject, a participle is its verb, not part of what is named
    ("How long is parental pay paid at the full rate?", "Who qualifies for it?", "Who qualifies for parental pay?"),
    # "how" asks about the word after it, and "someone" names nothing a fragment could replace
    ("If I report a broken boiler, how fast will someone come out?", "What about a blocked drain?",
     "If I report a blocked drain, how fast will someone come out?"),
    # a time said in a sentence before the question is what a time fragment replaces
    ("The office is shut and it is Sunday. What does an emergency plumber cost?", "And on a weekday?",
     "The office is shut and it is a weekday. What does an emergency plumber cost?"),
    # a verb before its particle is no part of what is named
    ("How much is the bus fare going up in May?", "When does it take effect?", "When does the bus fare take effect?"),
    ("When do I have to give back the library laptop?", "Where do I drop it off?",
     "Where do I drop the library laptop off?"),
])
def test_a_follow_up_becomes_the_question_it_stands_for(earlier, follow_up, resolved):
    assert ask_after(earlier, follow_up) == resolved


def test_a_person_asked_about_by_who_is_the_answer():
    asked = "Who runs the Oakwood branch?"
    assert ask_after(asked, "What is her email address?", answers={asked: "Maya Lind"}) == \
        "What is Maya Lind's email address?"
    assert ask_after(asked, "How do I reach him?", answers={asked: "Tom Berg"}) == "How do I reach Tom Berg?"


def test_a_person_asked_about_by_name_stays_that_person_whatever_the_answer_describes():
    asked = "Who is Lena Marsh?"
    assert ask_after(asked, "Where does she work?", answers={asked: "a staff nurse"}) == "Where does Lena Marsh work?"
    assert ask_after(asked, "What is her phone number?", answers={asked: "the ward sister"}) == \
        "What is Lena Marsh's phone number?"


def test_a_person_asked_about_with_no_answer_shown_is_the_one_asked_about():
    assert ask_after("Who is the Fire Safety Officer at St. Anne's?", "What is her email address?") == \
        "What is the email address of the Fire Safety Officer at St. Anne's?"


def test_what_a_described_person_has_is_said_with_of_and_a_named_one_with_an_apostrophe():
    asked = "Who is the night manager at the depot?"
    assert ask_after(asked, "What is his mobile number?") == "What is the mobile number of the night manager at the depot?"
    assert ask_after(asked, "What is his mobile number?", answers={asked: "Ravi Patel"}) == \
        "What is Ravi Patel's mobile number?"


def test_turns_build_on_each_other():
    assert ask_after("How much is the Starter plan?", "and Growth?", "what about Scale?") == \
        "How much is the Scale plan?"
    assert ask_after("When does the pool open on weekdays?", "and at weekends?", "When does it close then?") == \
        "When does the pool close at weekends?"
    # "there" is looked for further back when the last turn names no place
    asked = "Who is the caretaker at Maple Court?"
    assert ask_after(asked, "When is he in?", "Is bike storage free there?", answers={asked: "Ivo Sandu"}) == \
        "Is bike storage free at Maple Court?"


@pytest.mark.parametrize("earlier, follow_up, resolved", [
    # a company's or a street's full stop ends a sentence; a title's before a name does not
    ("My landlord is Acme Ltd. What is the deposit for a flat?", "Is it refundable?",
     "Is the deposit for a flat refundable?"),
    ("I live on Elm St. What does a parking permit cost?", "Is it cheaper for students?",
     "Is a parking permit cheaper for students?"),
    # "who" with a verb asks about no one named: with no answer shown, the pronoun is left
    ("Who approves leave requests?", "How do I contact him?", "How do I contact him?"),
    # a time is replaced where it was said ("it is Sunday"), else the fragment is added
    ("What does a weekend pass cost?", "And on a weekday?", "What does a weekend pass cost on a weekday?"),
    # an if-clause that says more than its phrase is added, not put in place of a phrase
    ("How much is parking at the Bristol campus?", "And if I am a student at the Leeds campus?",
     "How much is parking at the Bristol campus if I am a student at the Leeds campus?"),
    # "minimum" that is part of the thing's name stays ("the minimum wage"); only a leading limit goes
    ("What is the fee for a minimum stay at the lodge?", "Is it refundable?",
     "Is the fee for a minimum stay at the lodge refundable?"),
    # a base verb ending in "ed" is no participle; "to" before a noun is a phrase of place
    ("How long is the notice period tenants need to give?", "Is it shorter for students?",
     "Is the notice period tenants need to give shorter for students?"),
    ("How long is the commute to work on the Number 9 bus?", "Is it faster by train?",
     "Is the commute to work on the Number 9 bus faster by train?"),
])
def test_what_a_rule_must_leave_alone(earlier, follow_up, resolved):
    assert ask_after(earlier, follow_up) == resolved


@pytest.mark.parametrize("question", [
    "Who is the CEO of Contoso?",
    "How long does it take to renew a library card?",  # "it" standing for what follows
    "Is there a fee for late returns?",  # "there" that names no place
    "If my parcel is lost, can I get a refund for it?",  # the pronoun's antecedent is in the question
    "How long is Contoso's warranty on its kettles?",
    "Do members get a refund when they cancel?",
    "What is the price and when is it due?",
    "Maya Lind?",  # a bare name may be asked about: a follow-up about one says "and" or "what about"
    "I bought my kettle in March and it leaks. What do I do?",  # a statement first names what "it" is
    "Who is the club secretary? I need them to sign a form",
    "How much did the fees go up the last time they were changed?",
    "How long does it take before my refund arrives?",
    "Opening hours of the pool",
    "And how do I book a court?",
])
def test_a_question_that_stands_alone_is_left_as_it_is(question):
    history = [Turn("How much is the Starter plan?", "$10 a month"), Turn("and Growth?", "$25 a month")]
    assert resolve(question, history) == question


def test_without_history_nothing_changes():
    assert resolve("  and Growth?  ", []) == "and Growth?"
    assert resolve("What is its capacity?", []) == "What is its capacity?"


def test_the_embedder_chooses_among_phrases_of_one_kind(fake_embedder):
    """Two phrases the rules cannot tell apart: the one nearest in meaning is replaced."""
    similarity = embedder_similarity(fake_embedder)
    earlier = "How much is a daily ticket for the ferry to Skye at the harbour kiosk?"
    assert ask_after(earlier, "and for the ferry to Mull?", similarity=similarity) == \
        "How much is a daily ticket for the ferry to Mull at the harbour kiosk?"
    assert ask_after(earlier, "and at the station kiosk?", similarity=similarity) == \
        "How much is a daily ticket for the ferry to Skye at the station kiosk?"


def test_history_is_bounded_and_checked():
    check_history([Turn("How much is the Starter plan?", "$10")] * MAX_TURNS, 1000)
    with pytest.raises(InvalidQuestion, match="turns"):
        check_history([Turn("How much is the Starter plan?", "$10")] * (MAX_TURNS + 1), 1000)
    with pytest.raises(InvalidQuestion, match=r"history\[1\].question is empty"):
        check_history([Turn("How much?", ""), Turn("  ", "")], 1000)
    with pytest.raises(InvalidQuestion, match=r"history\[0\].question is 31 characters long; the limit is 30"):
        check_history([Turn("x" * 31, "")], 30)
    with pytest.raises(InvalidQuestion, match=r"history\[0\].answer"):
        check_history([Turn("How much?", "y" * 5000)], 1000)


def test_a_resolution_longer_than_a_question_may_be_is_not_used():
    history, question = [Turn("How much is Basic?", "")], "and the Premium Gold edition?"
    resolved = standalone(question, history, None, 1000)
    assert resolved == "How much is the Premium Gold edition?"
    assert standalone(question, history, None, len(resolved) - 1) == question


@pytest.mark.parametrize("follow_up", ["and if", "what about if", "and if we", "and when it", "and on", "and", "if"])
def test_a_fragment_cut_short_is_answered_not_a_crash(follow_up):
    resolved = ask_after("How much is parking at the Bristol campus?", follow_up)
    assert isinstance(resolved, str) and resolved


def test_hostile_text_is_resolved_in_time():
    """Resolution reads short texts, but never in more than linear time whatever they hold."""
    import time

    begun = time.perf_counter()
    for text in ("a" * 990 + "?", "and " + "the " * 240, "it " * 330, "$1,1" * 240, "And" + " -" * 490):
        resolve(text, [Turn(text, text[:1000])] * MAX_TURNS)
    assert time.perf_counter() - begun < 5
