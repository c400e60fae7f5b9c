"""Whole answers: spans cut inside a word, from their unit or short of a range's end are completed
from the text around them; they keep to one line (the reader's first) and never shrink below what
the reader chose on it."""

import re

import pytest
from hypothesis import given, strategies as st

from groundqa.index.terms import words
from groundqa.service.completion import asks_for_several, asks_how_many, asks_what_to_do, asks_yes_or_no, complete


@pytest.mark.parametrize("text, span, whole", [
    ("Email help@corvane.example for help.", "@corvane", "help@corvane.example"),
    ("You have 45 days to return it.", "45", "45 days"),
    ("Refunds take 3 to 5 working days.", "3", "3 to 5 working days"),
    ("Affects firmware 6.0 through 6.3.1 only.", "6.0", "6.0 through 6.3.1"),
    ("Open from 9\nto 5 on weekdays.", "9", "9"),  # a range or unit never reaches over a line break
    ("Cost: 20\n- 30 days later", "20", "20"),
    ("Call 1-877-555-0163 today.", "877-555", "1-877-555-0163"),
    ("Call +44 20 7946 0321 today.", "44 20 7946 0321", "+44 20 7946 0321"),  # an international number's +
    ("The score is (8.1).", "8.1", "8.1"),
    ("In 1990 in London, the war ended.", "1990", "1990"),  # "in" is not a unit
    ("It was Brad Smith, he said.", "Brad Smith", "Brad Smith"),
    ("Clearview is a New York-based company.", "New York", "New York"),
    ("Fixed in CVE-2024-38112 today.", "CVE-2024-381", "CVE-2024-38112"),
    ("Kicked from their own 24-yard line.", "24", "24"),
    ("His name was Martin Sekulić.:32 He", "Martin Sekulić", "Martin Sekulić"),
    ("Returns take 45 days.", "45 days.", "45 days"),  # sentence punctuation trimmed
    ("Returns within 45 days.", "45 days.", "within 45 days"),  # a deadline
    ("Sent to every lock within 36 hours.", "36", "within 36 hours"),
    ("Pick a number within 10 of the target.", "10", "10"),  # no quantity with a unit
    ("Backups run between 1 a.m. and 3 a.m. each night.", "between 1 a.m.", "between 1 a.m. and 3 a.m."),
    ("Open 9 am to 5 pm daily.", "9 am", "9 am to 5 pm"),
    ("Doors open at 6 p.m. and 200 seats are available.", "6 p.m.", "6 p.m."),  # a time's range ends in a time
    ("The store closes at 9 p.m. and 10 minutes later the alarm arms.", "9 p.m.", "9 p.m."),
    ("Open Monday to Friday, 8 a.m.", "Friday", "Monday to Friday"),  # a range's start
    ("firmware 6.0 through 6.3.1 only", "6.3.1", "6.0 through 6.3.1"),
    ("Open Monday to Saturday, 8:00 to 18:00 CET.", "18:00", "8:00 to 18:00"),  # a time's start is whole
    # Days take the hours that follow them.
    ("Call Monday to Friday, 7 a.m. to 9 p.m. Central Time.", "Monday to Friday",
     "Monday to Friday, 7 a.m. to 9 p.m. Central Time"),
    ("Open Monday to Saturday, 8:00 to 18:00 CET. Call us.", "Saturday", "Monday to Saturday, 8:00 to 18:00 CET"),
    ("We are open on Saturdays from 9 to 5.", "Saturdays", "Saturdays from 9 to 5"),
    ("Closed on Sundays, 2 of 3 weeks.", "Sundays", "Sundays"),  # no hours after it
    ("Open Mondays, 2 to 3 staff are on duty.", "Mondays", "Mondays"),  # a count is no hours
    ("Open Monday to Friday, 8 AM to 5 PM.", "Monday to Friday", "Monday to Friday, 8 AM to 5 PM"),
    # More days and their hours on the line, and "between" before two numbers joined by "and".
    ("Hours: Monday to Friday, 8 a.m. to 6 p.m.; Saturday, 9 a.m. to 1 p.m.\nNext", "Monday to Friday, 8 a.m. to 6 p.m.",
     "Monday to Friday, 8 a.m. to 6 p.m.; Saturday, 9 a.m. to 1 p.m."),
    ("Open Monday to Friday, 8 a.m. to 6 p.m.; closed Sundays.", "Monday to Friday", "Monday to Friday, 8 a.m. to 6 p.m."),
    ("Charge it between 10 \u00b0C and 25 \u00b0C. Never", "10 \u00b0C and 25 \u00b0C", "between 10 \u00b0C and 25 \u00b0C"),
    ("Pick between Alice and Bob.", "Alice and Bob", "Alice and Bob"),  # no numbers
    ("Open Monday to Saturday, 8:00 to 18:00 CET.", "00 to 18:00", "8:00 to 18:00"),
    ("He flew from Paris to London.", "London", "London"),  # places are not a range
    ("The webinar is June 24 at 2 p.m. ET.", "June 24 at 2 p.m.", "June 24 at 2 p.m."),  # an abbreviation's full stop
    ("The webinar is June 24 at 2 p.m. ET.", "June 24 at 2 p.m", "June 24 at 2 p.m."),
    ("The L1 is left out of firmware 6.x. It keeps 5.8.7.", "6.x.", "6.x"),  # a version, no abbreviation
    ("Our agent is Corvane Locks Benelux B.V., Havenstraat 9.", "B.V.", "Corvane Locks Benelux B.V."),
    # A span that starts with the legal form and runs on into the address.
    ("Our agent is Corvane Locks Benelux B.V., Havenstraat 9.", "B.V., Havenstraat", "Corvane Locks Benelux B.V."),
    ("Made by Ningbo Corvane Co., Ltd., Ningbo.", "Co., Ltd., Ningbo", "Ningbo Corvane Co., Ltd."),
    ("It uses a PLC, SCADA and an HMI.", "PLC, SCADA and an HMI", "PLC, SCADA and an HMI"),  # an acronym, no name
    ("The lab licenses SAS, which it renews.", "SAS, which", "SAS, which"),
    ("It was sold to Acme Widgets Inc. in 2020.", "Inc.", "Acme Widgets Inc."),  # a legal form alone names no one
    ("It was registered as an Inc. in Delaware.", "Inc.", "Inc."),  # no name before it
    ("Made by \u00c9cole Polytechnique S.A. in Paris.", "S.A.", "\u00c9cole Polytechnique S.A."),
    ("Contact Us. Acme Inc. is here.", "Inc.", "Acme Inc."),  # not over a sentence's end
])
def test_completion_rules(text, span, whole):
    start = text.index(span)
    new_start, new_end = complete(text, start, start + len(span))
    assert text[new_start:new_end] == whole


@pytest.mark.parametrize("text, span, whole", [
    ("Fitted, every accessory included | Corvane L3: 12% | Corvane L8: 18%", "Corvane L3: 12%", "12%"),
    ("Released: October 3, 2023\nModels: L3", "Released: October 3, 2023", "October 3, 2023"),
    ("- Phone: 1-877-555-0163", "Phone: 1-877-555-0163", "1-877-555-0163"),
    ("The ratio was 3: 1 in favour.", "3: 1", "3: 1"),  # not at the start of a field
    ("Vector CVSS:3.1/AV:A", "CVSS:3.1/AV:A", "CVSS:3.1/AV:A"),  # no space after the colon: not a label
])
def test_a_field_label_is_left_out(text, span, whole):
    start = text.index(span)
    new_start, new_end = complete(text, start, start + len(span))
    assert text[new_start:new_end] == whole


@pytest.mark.parametrize("text, span, question, whole", [
    ("## 2.3.1 \u2014 2024-01-09\n", "2.3.1 \u2014 2024-01-09", "When was Tidewater 2.3.1 released?", "2024-01-09"),
    ("Firmware 6.2: March 5, 2023", "Firmware 6.2: March 5, 2023", "When did firmware 6.2 come out?", "March 5, 2023"),
    # Words the question does not say are the answer, or part of it.
    ("## 2.3.1 \u2014 2024-01-09\n", "2.3.1 \u2014 2024-01-09", "Which version came out in January?",
     "2.3.1 \u2014 2024-01-09"),
    ("Open Monday - Friday", "Monday - Friday", "Is it open on Monday?", "Monday - Friday"),  # a hyphen is no label's
    ("Open Monday \u2013 Friday", "Monday \u2013 Friday", "Is it open on Monday?", "Monday \u2013 Friday"),  # an en dash
    ("firmware 6.0 \u2013 6.3.1", "6.0 \u2013 6.3.1", "Is firmware 6.0 affected?", "6.0 \u2013 6.3.1"),  # joins a range
    # The value of a field the question names, cut mid-clause, is whole to its sentence's end.
    ("- LCK-2210: Lock could freeze when more than 40 codes were stored.", "Lock could freeze",
     "Which bug did LCK-2211 fix?", "Lock could freeze"),  # another field
    ("- Helpdesk phone: 1-877-555-0163 (Monday to Friday)", "1-877-555-0163", "Which number is the helpdesk phone?",
     "1-877-555-0163"),  # not cut mid-clause
    ("- Battery: 3 AAA batteries run for about 6 months of daily use.", "3 AAA batteries", "What battery does it take?",
     "3 AAA batteries"),  # no clause: a quantity
])
def test_a_label_of_the_question_own_words_is_left_out(text, span, question, whole):
    from groundqa.index.terms import words

    start = text.index(span)
    new_start, new_end = complete(text, start, start + len(span), asked=frozenset(words(question)))
    assert text[new_start:new_end] == whole


@pytest.mark.parametrize("text, span, question, whole", [
    # A count is a number, also when the question names what is counted (SQuAD's answers say "22", not "22 airports").
    ("One account manages up to 20 locks across 5 homes.", "up to 20", "How many locks can I manage?",
     "up to 20"),
    ("Return it within 45 days.", "45 days", "How many days do I have to return it?", "45 days"),  # a count
    ("Return it within 45 days.", "45 days", "How long do I have to return it?", "within 45 days"),  # a deadline
    ("A fee of 50% of the remaining monthly fees is charged.", "50%", "What percentage of the fees is charged?", "50%"),
    ("About 5% of locks get it first.", "5%", "How many locks get it first?", "5%"),
    # A question that names days gets those days' hours only.
    ("Front desk: Monday to Friday, 7 a.m. to 9 p.m.; Sunday 10 a.m. to 2 p.m.", "Monday to Friday",
     "When is the front desk staffed on weekdays?", "Monday to Friday, 7 a.m. to 9 p.m."),
    ("Add it within 90 days of fitting, in the app.", "90 days", "When must I add it?", "within 90 days of fitting"),
    ("Hand it in within 14 days of\n  getting the label.", "14 days", "When must I hand it in?",
     "within 14 days of\n  getting the label"),  # a wrapped line
    ("Return it within 30 days of\n\nTerms\n\nMore.", "30 days", "When?", "within 30 days"),  # not over a blank line
    ("Send it back within 21 days of arrival for a refund in full.", "21 days", "When?", "within 21 days"),
])
def test_a_deadline_takes_its_within_unless_the_question_counts(text, span, question, whole):
    from groundqa.index.terms import words

    start = text.index(span)
    new_start, new_end = complete(text, start, start + len(span), asked=frozenset(words(question)),
                                  counting=asks_how_many(question))
    assert text[new_start:new_end] == whole


@pytest.mark.parametrize("text, span, whole", [
    ("You need a hex key and a drill with a 6 mm bit.\nNext", "a hex key", "a hex key and a drill with a 6 mm bit"),
    ("calls to the /admin/users and /admin/keys pages", "admin/keys", "/admin/users and /admin/keys"),
    ("Not affected: the Corvane L1 (firmware 5.8.x), Corvane Door Sensors, and the Corvane app.", "the Corvane L1",
     "the Corvane L1 (firmware 5.8.x), Corvane Door Sensors, and the Corvane app"),
    ("It runs on Windows 11, or macOS 14 or later.", "macOS 14 or later", "macOS 14 or later"),
    ("Kits: 2 small boxes\n or 3 small boxes", "3 small boxes", "3 small boxes"),  # not from the line before
    ("It takes three AAA batteries, which last 6 months.", "three AAA batteries", "three AAA batteries"),
    ("Delta, JetBlue and United Airlines, have already partnered.", "Delta", "Delta, JetBlue and United Airlines"),
    ("Delta, JetBlue and United Airlines, have already partnered with U.S. Customs.",
     "Delta, JetBlue and United Airlines, have already partnered with U.S", "Delta, JetBlue and United Airlines"),
])
def test_a_question_after_several_things_gets_the_whole_list(text, span, whole):
    start = text.index(span)
    assert text.__getitem__(slice(*complete(text, start, start + len(span), several=True))) == whole
    assert complete(text, start, start + len(span))[1] <= start + len(span) + 1  # not without `several`


@pytest.mark.parametrize("text, span, whole", [
    ("Steps\n1. Switch off the mains supply at the fuse box.\n2. Remove the cover.", "Switch off",
     "Switch off the mains supply at the fuse box"),
    ("Remove the cover. Then press it once.\n", "press it", "Then press it once"),
    ("WARNING: Switch off the mains at the fuse box.", "Switch off", "Switch off the mains at the fuse box"),
    ("If there is a jumper wire, do not reconnect it.", "do not reconnect", "do not reconnect it"),
])
def test_a_question_after_what_to_do_gets_the_whole_instruction(text, span, whole):
    start = text.index(span)
    assert text.__getitem__(slice(*complete(text, start, start + len(span), instruction=True))) == whole


@pytest.mark.parametrize("question, instruction", [
    ("What do I have to do before I unscrew the old lock from the door?", True),
    ("What's the first step to wipe a Corvane L8 back to factory settings?", True),
    ("What does the G terminal do?", False),
])
def test_questions_after_what_to_do(question, instruction):
    assert asks_what_to_do(question) is instruction


@pytest.mark.parametrize("question, several", [
    ("What tools do I need to fit the keypad?", True),
    ("Which admin pages could be opened without a password?", True),
    ("Which laptop operating systems does the Corvane desktop app support?", True),
    ("What is the address?", False),
    ("What does a Door Sensor 3-pack cost?", False),
    ("Which class was the most popular?", False),
])
def test_questions_after_several_things(question, several):
    assert asks_for_several(question) is several


@given(st.text(alphabet="ab1 .-@(),", min_size=1, max_size=40), st.data())
def test_a_completed_span_is_document_text_and_keeps_the_words_it_had(text, data):
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    new_start, new_end = complete(text, start, end)
    assert 0 <= new_start < new_end <= len(text)
    first_line = (text[start:end].strip().split("\n", 1) or [""])[0]
    core = re.sub(r"^(?:[-*\u2022\u2013]\s+|\d{1,3}[.)]\s+(?=\D))", "", first_line).strip(" .,;:!?)]}\"'(")
    assert core in text[new_start:new_end] or not core
    assert "\n" not in text[new_start:new_end] or "\n" not in text[start:end].strip(), "one line"


@pytest.mark.parametrize("text, span, whole", [
    # A street address takes its suite or unit; the next line (the city) stays out.
    ("Attn: Privacy Team\n   48 Quarry Road, Suite 12\n   Leeds LS1 4AB", "48 Quarry Road",
     "48 Quarry Road, Suite 12"),
    ("Send it to 12 Main St., Unit 4B, Springfield.", "12 Main St.", "12 Main St., Unit 4B"),
    ("He worked on Wall Street, United States.", "Wall Street", "Wall Street"),  # no suite, unit or floor
    ("Ocean Drive, Florida", "Ocean Drive", "Ocean Drive"),
    ("The Supreme Court, Building a case, ruled.", "Supreme Court", "Supreme Court"),
    ("1 Main Street, Building C, Springfield", "1 Main Street", "1 Main Street, Building C"),
])
def test_an_address_takes_its_suite_or_unit(text, span, whole):
    start = text.index(span)
    start, end = complete(text, start, start + len(span))
    assert text[start:end] == whole


@pytest.mark.parametrize("question, yes_or_no", [
    ("Can I get a refund for the fitting service?", True),
    ("I got mine through my utility's program. Is there a restocking fee?", True),  # the last sentence asks
    ("Does the L8 support Auto-Lock?", True),
    ("Is the thermostat made in Ohio or in Texas?", False),  # a choice: the answer is one of them
    ("Does firmware 6.3.1 support Auto-Lock?", True),  # a dot inside a word ends no sentence
    ("Is the $89.00 fitting fee refundable?", True),
    ("Can you tell me what the restocking fee is?", False),  # a question inside a question
    ("What is the restocking fee?", False),
    ("How is firmware 6.3.1 rolled out?", False),
])
def test_yes_or_no_questions(question, yes_or_no):
    assert asks_yes_or_no(question) == yes_or_no


def test_a_yes_or_no_question_gets_the_whole_statement_but_a_table_cell_stays_a_cell():
    text = ("The fitting service ($89.00) is non-refundable once the fitter has been to your home.\n"
            "Sealed | Corvane L3: No charge | Corvane L8: No charge\n"
            "For fitted locks, a return charge of 18% applies to all returns.\n")
    start = text.index("non-refundable")
    start, end = complete(text, start, start + len("non-refundable"), statement=True)
    assert text[start:end] == text.splitlines()[0].rstrip(".")
    start = text.index("No charge")
    assert complete(text, start, start + 9, statement=True) == (start, start + 9)
    # After a clause, no half a statement ("18% applies to all returns"): the span as it is.
    start = text.index("18%")
    assert complete(text, start, start + 3, statement=True) == (start, start + 3)


@pytest.mark.parametrize("question, text, span, whole", [
    ("Which PostgreSQL version does it need?", "Requires: PostgreSQL 14 or later; Node.js 20 LTS", "PostgreSQL 14",
     "PostgreSQL 14 or later"),  # a minimum
    ("What iOS version is required?", "Works with iOS 15 and up.", "iOS 15", "iOS 15 and up"),
    ("Which Python does it need?", "Requires Python 3.10+ to run.", "Python 3.10", "Python 3.10+"),
    ("How many slots do I need?", "Choose 14 or 15 slots.", "14", "14"),  # an alternative, not a minimum
    # What added something is a version, not a minimum.
    ("Which firmware version brought Thread support?", "Thread support (firmware 6.1 or later)", "6.1", "6.1"),
])
def test_a_minimum_takes_its_or_later(question, text, span, whole):
    start = text.index(span)
    start, end = complete(text, start, start + len(span), asked=frozenset(words(question)))
    assert text[start:end] == whole


def test_a_number_starting_a_line_is_no_list_marker_of_an_answer_but_a_clauses_number_is():
    text = "2.4 GHz Wi-Fi only\n4.4 No excess applies to temporary accommodation."
    start, end = complete(text, 0, 7)
    assert text[start:end] == "2.4 GHz"
    start = text.index("4.4")
    start, end = complete(text, start, len(text) - 1)  # the reader's span began with the number
    assert text[start:end] == "No excess applies to temporary accommodation"
    start = text.index("No excess")  # the reader's span began after it: the statement starts there too
    start, end = complete(text, start, start + 9, statement=True)
    assert text[start:end] == "No excess applies to temporary accommodation"


@pytest.mark.parametrize("text, span, statement, whole", [
    # "a.m. to" is no sentence end: the range is whole.
    ("3.1 The Centre is open from 6 a.m. to 10 p.m. on weekdays and from 8 a.m. to 8 p.m. on weekends.", "open",
     False, "The Centre is open from 6 a.m. to 10 p.m. on weekdays and from 8 a.m. to 8 p.m. on weekends"),
    # A clause's number is no part of the statement.
    ("3.2 A Member may bring up to 2 guests per visit.", "2 guests", True, "A Member may bring up to 2 guests per visit"),
    # A yes-or-no question's statement stops at a semicolon.
    ("Empty the drip tray daily and wash it by hand; it is not dishwasher safe.", "not dishwasher safe", True,
     "it is not dishwasher safe"),
])
def test_a_whole_sentence_runs_past_abbreviations_and_no_further_than_its_clause(text, span, statement, whole):
    start = text.index(span)
    start, end = complete(text, start, start + len(span), instruction=not statement, statement=statement)
    assert text[start:end] == whole


@pytest.mark.parametrize("question, span, whole", [
    ("What are the shop's Saturday hours?", "17:00", "9:00 to 17:00"),
    ("What are the opening hours on Saturday?", "9:00", "9:00 to 17:00"),  # "opening hours": the whole range
])
def test_hours_are_the_whole_range(question, span, whole):
    text = "Saturday: 9:00 to 17:00"
    start = text.index(span)
    start, end = complete(text, start, start + len(span), asked=frozenset(words(question)))
    assert text[start:end] == whole


def test_an_instruction_or_a_statement_keeps_what_follows():
    text = "To start the reset, hold Power for 5 seconds, followed by Volume Up."
    start = text.index("hold Power")
    asked = frozenset(words("How do I start with a reset?"))
    start, end = complete(text, start, start + len("hold Power for 5 seconds"), asked=asked, instruction=True)
    assert text[start:end] == "hold Power for 5 seconds, followed by Volume Up"


def test_quotes_around_an_answer_are_left_out():
    text = 'Order codes begin with "CL3-" on the Corvane L3.'
    start = text.index('"CL3-"')
    start, end = complete(text, start, start + len('"CL3-"'))
    assert text[start:end] == "CL3-"
