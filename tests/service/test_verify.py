"""The answer verifier: its features see what the reader's logits do not, its file refuses to load
against other features, and the pipeline scores answers with it when it is on."""

import json
from dataclasses import replace

import pytest

from groundqa.index.terms import TermStats
from groundqa.service.tables import cell_and_label
from groundqa.service.types import Citation
from groundqa.service.verify import FEATURES, Evidence, Verifier, VerifierMismatch, answer_line, feature_vector
from groundqa.wiring import SHIPPED_VERIFIER

ADVISORY = "Bulletin CSA-2023-014 covers CVE-2023-47201, with a CVSS score of 7.4, in firmware 6.0 through 6.3.1."


def evidence(question: str, passage: str = ADVISORY, answer: str = "7.4", near: str | None = None,
             headings: str = "", chain: tuple[str, ...] = (), line: str | None = None) -> Evidence:
    line = passage if line is None else line
    return Evidence(question=question, answer=answer, passage_text=passage, sentence=passage,
                    near=passage if near is None else near, line=line, answer_at=max(0, line.find(answer)),
                    reader_margin=20.0,
                    window_margin=20.0, evidence_share=0.9, retrieval_score=0.9, passage_rank=1,
                    heading_chain=chain or ((headings,) if headings else ()))


def feature(name: str, question: str, **kwargs) -> float:
    stats = TermStats.of([ADVISORY, "Warranty terms for the Corvane L3.", "Returns within 45 days."])
    return float(feature_vector(evidence(question, **kwargs), stats)[FEATURES.index(name)])


def test_an_identifier_the_passage_lacks_is_seen():
    assert feature("identifier_missing", "Which CVSS score does CVE-2023-47202 have?") == 1.0
    assert feature("identifier_missing", "Which CVSS score does CVE-2023-47201 have?") == 0.0
    assert feature("identifier_missing", "When did firmware 6.4 ship?") == 1.0
    assert feature("covered_passage", "Which CVSS score does CVE-2023-47201 have?") == pytest.approx(1.0)
    assert feature("covered_passage", "What is the warranty of the Corvane L9?") < 0.5


def test_an_identifier_in_a_heading_or_title_counts_as_there():
    passage = "Released: February 2, 2023"
    assert feature("identifier_missing", "When did firmware 6.0 ship?", passage=passage) == 1.0
    assert feature("identifier_missing", "When did firmware 6.0 ship?", passage=passage,
                   headings="Changelog Firmware 6.0") == 0.0
    assert feature("identifier_missing_near", "When did firmware 6.0 ship?", passage=passage + " Firmware 6.2",
                   near=passage, headings="Firmware 6.2") == 1.0


def test_a_name_or_number_written_another_way_is_not_missing():
    passage = "Four packages went to Sky, a South Africa broadcaster."
    assert feature("identifier_missing", "Who bought the remaining 4 packages?", passage=passage) == 0.0
    assert feature("name_missing", "Which South African broadcaster bought them?", passage=passage) == 0.0
    assert feature("name_missing", "Which UK broadcaster bought them?", passage=passage) == 1.0
    assert feature("identifier_missing", "Who bought the remaining 5 packages?", passage=passage) == 1.0


def test_the_terms_next_to_the_answer_are_counted_apart_from_the_passage():
    question = "What is the return charge on a fitted Corvane L8?"
    row = "Fitted, complete | Corvane L3: 12% | Corvane L8: 18%"
    l8 = feature("covered_near", question, passage=row, answer="18%", near="Fitted, complete Corvane L8: 18%")
    l3 = feature("covered_near", question, passage=row, answer="12%", near="Fitted, complete Corvane L3: 12%")
    assert l8 > l3


@pytest.mark.parametrize("text, answer, near", [
    ("Charges\nFitted, complete | Corvane L3: 12% | Corvane L8: 18%\nNext", "18%", "Fitted, complete Corvane L8: 18%"),
    ("Charges\nFitted, complete | Corvane L3: 12% | Corvane L8: 18%\nNext", "12%", "Fitted, complete Corvane L3: 12%"),
    ("Inputs:\n- D for the door contact\n- EXT/R for the external relay output\n", "EXT/R",
     "- EXT/R for the external relay output"),
])
def test_what_is_near_is_the_cell_and_row_label_or_the_sentence_on_its_line(text, answer, near):
    start = text.index(answer)
    whole = Citation(doc_id="d", title="t", source="s", start=start, end=start + len(answer), context=text, context_start=0)
    assert cell_and_label(*answer_line(text, start, whole)) == near


@pytest.mark.parametrize("text, answer, near", [
    # A field or list item of a few sentences is one thing's: all of it is next to the answer.
    ("Fixed\nLCK-2288: Closed a pairing hole (CVE-2023-47201). Bulletin CSA-2023-014 has the details.\nNext",
     "CSA-2023-014", "LCK-2288: Closed a pairing hole (CVE-2023-47201). Bulletin CSA-2023-014 has the details."),
    # Prose is cut to the answer's sentence; a table row to its cell and label.
    ("The pairing hole was closed (CVE-2023-47201). Bulletin CSA-2023-014 has the details.\n",
     "CSA-2023-014", "Bulletin CSA-2023-014 has the details."),
    ("Charges\nFitted, complete | Corvane L3: 12% | Corvane L8: 18%\nNext", "18%", "Fitted, complete Corvane L8: 18%"),
])
def test_the_evidence_near_an_answer_in_a_field_is_its_whole_line(text, answer, near):
    from groundqa.index.types import Chunk, Document, Passage
    from groundqa.service.answers import Candidate
    from groundqa.service.reader import Reading, Span
    from groundqa.service.types import Answer
    from groundqa.service.verify import evidence_of

    start = text.index(answer)
    sentence_start = max(text.rfind(". ", 0, start) + 2, text.rfind("\n", 0, start) + 1)
    sentence_end = text.index("\n", start)
    citation = Citation(doc_id="d", title="t", source="s", start=start, end=start + len(answer),
                        context=text[sentence_start:sentence_end], context_start=sentence_start)
    passage = Passage(Chunk("d", 0, 0, len(text), text), 0.9, 1)
    span = Span(passage, start, start + len(answer), 10.0, 0.0)
    candidate = Candidate(span, 0.9, Answer(text=answer, score=0.9, citation=citation))
    document = Document(doc_id="d", title="t", source="s", text=text)
    assert evidence_of("Which bulletin?", candidate, Reading([span], 0.0), document).near == near


@pytest.mark.parametrize("question, passage, answer, rival", [
    # The nearest model on the line is the one asked about, or another.
    ("With Corvane Plus, how long is an L8 covered?", "Total cover is 5 years for the Corvane L3 and 6 years for the "
     "Corvane L8.", "6 years", 0.0),
    ("With Corvane Plus, how long is an L8 covered?", "Total cover is 5 years for the Corvane L3 and 6 years for the "
     "Corvane L8.", "5 years", 1.0),
    ("What is the return charge on a fitted L8?", "Fitted, complete | Corvane L3: 12% | Corvane L8: 18%", "18%", 0.0),
    ("What is the return charge on a fitted L8?", "Fitted, complete | Corvane L3: 12% | Corvane L8: 18%", "12%", 1.0),
    ("How big is the L8 keypad?", "Corvane L3 keypad: 62 x 140 x 24 mm", "62 x 140 x 24 mm", 1.0),
    ("When did firmware 6.3.1 ship?", "Firmware 6.3 came out on June 6, 2023 and 6.3.1 on July 18, 2023.",
     "July 18, 2023", 0.0),
    ("When did firmware 6.3.1 ship?", "Firmware 6.3 came out on June 6, 2023 and 6.3.1 on July 18, 2023.",
     "June 6, 2023", 1.0),
    # No identifier of the question's kind beside the answer, or a question naming none: nothing to weigh.
    ("How big is the L8 keypad?", "The keypad is 70 x 150 x 26 mm.", "70 x 150 x 26 mm", 0.0),
    ("How big is the keypad?", "Corvane L3 keypad: 62 x 140 x 24 mm", "62 x 140 x 24 mm", 0.0),
    ("How long is the L8 covered?", "Corvane L8: 6 years (L3: 5 years)", "6 years", 0.0),  # a tie: the one asked about
    # An identifier inside the answer is the answer, not its neighbour.
    ("Which model replaced the L3?", "The L3 was replaced by the Corvane L8 in 2023.", "Corvane L8", 0.0),
])
def test_a_rival_identifier_nearer_the_answer_than_the_one_asked_about_is_seen(question, passage, answer, rival):
    assert feature("rival_nearer", question, passage=passage, answer=answer) == rival


@pytest.mark.parametrize("question, chain, rival", [
    ("When did firmware 6.1.1 ship?", ("Changelog", "Firmware 6.3.1", "Fixed"), 1.0),  # another's section
    ("When did firmware 6.3.1 ship?", ("Changelog", "Firmware 6.3.1", "Fixed"), 0.0),
    ("When did firmware 6.3.1 ship?", ("Changelog 6.3.1", "Firmware 6.3.2"), 1.0),  # the nearest heading decides
    ("When did firmware 6.3.1 ship?", ("Changelog", "Fixed"), 0.0),  # no heading names a version
    ("When did the L8 ship?", ("Changelog", "Firmware 6.3.2"), 0.0),  # another kind of identifier
    # Another series of codes: a bulletin's number is no rival of the CVE asked about.
    ("Which CVSS score does CVE-2023-47201 have?", ("Security bulletin CSA-2023-014", "Severity"), 0.0),
    ("Which CVSS score does CVE-2023-47201 have?", ("CVE-2023-47202", "Severity"), 1.0),
])
def test_the_nearest_heading_names_the_thing_when_the_line_does_not(question, chain, rival):
    passage = "Released: October 3, 2023"
    assert feature("rival_nearer", question, passage=passage, answer="October 3, 2023", chain=chain) == rival


@pytest.mark.parametrize("question, answer, impossible", [
    ("What is the fax number of Brightwater Fitness?", "1 March 2024", True),  # a date
    ("What is the fax number of Brightwater Fitness?", "0113 496 0726", False),
    ("What is the fax number of Brightwater Fitness?", "220 Canal Road, Suite 4", True),  # an address
    ("What is the emergency phone number?", "911", False),
    ("What is the helpdesk phone number?", "+44 20 7946 0321", False),
    ("What phone number do I call?", "Member Services", True),
    ("What's the e-mail address for sales?", "the form on our Store page", True),
    ("What's the e-mail address for sales?", "sales@example.com", False),
    ("How many phone numbers are there?", "two", False),  # a count
    ("What is the phone number of the press team?", "OH 43219", True),  # a ZIP code
    ("What is the phone number of the press team?", "+44 20 7946 0321 ext. 12", False),
    ("When was it released?", "never", False),  # other questions: the verifier weighs the type
    # An amount in another currency than the one asked for.
    ("What does a Corvane L8 cost in euros?", "$39", True),
    ("What does a Corvane L8 cost in euros?", "€189", False),
    ("What does a Corvane L8 cost in euros?", "€20, about $22", False),
    ("How much is the Corvane L8 in US dollars?", "$219.00 USD", False),
    ("How much is it in Canadian dollars?", "CAD 329", False),
    ("How much does it cost in British pounds?", "199 EUR", True),
    ("How much is it in yen?", "¥3,000", False),
    ("How much is the Corvane L8?", "€189", False),  # no currency asked
    ("How many pounds does the Aerion A60 weigh?", "$29", False),  # pounds alone weigh: not a currency asked
])
def test_an_answer_that_cannot_be_what_is_asked_is_no_candidate(question, answer, impossible):
    from groundqa.service.verify import cannot_answer

    assert cannot_answer(question, answer) is impossible


def test_a_number_question_answered_without_a_number_is_a_type_mismatch():
    assert feature("type_mismatch", "How many days do I have?", answer="the store") == 1.0
    assert feature("type_mismatch", "How many days do I have?", answer="45 days") == 0.0


@pytest.mark.parametrize("question, answer, mismatch", [
    ("Which firmware versions are affected?", "Corvane L3 locks", 1.0),  # a model name is no version
    ("Which firmware versions are affected?", "firmware 6.0 through 6.3.1", 0.0),
    ("Which firmware fixes the vulnerability?", "Corvane", 1.0),
    ("Which bulletin number belongs to CVE-2023-47201?", "Corvane L8", 1.0),
    ("Which bulletin number belongs to CVE-2023-47201?", "CSA-2023-014", 0.0),
    ("What's the postal address of the Privacy Team?", "Ines Calloway", 1.0),
    ("What's the postal address of the Privacy Team?", "48 Quarry Road, Suite 12", 0.0),
    ("How many batteries does it take?", "three AAA batteries", 0.0),  # a number in words
    ("How many days do I have?", "fifteen days", 0.0),
    ("Which version added Matter support?", "v3", 0.0),
    ("What is the model number of the thermostat?", "T5", 0.0),  # a code: letters and digits together
    ("What is the model number of the thermostat?", "the white one", 1.0),
    ("Which release channel gets updates first?", "the beta channel", 0.0),
    ("Who discovered the flaw?", "Tomas Reyl", 0.0),
    ("Who discovered the flaw?", "CSA-2023-014", 1.0),
    # An e-mail or phone question wants an address or a number of a phone's length.
    ("What is the e-mail address of the maintainer?", "Ilse Marchetti", 1.0),
    ("Which email address do I write to?", "help@corvane.example", 0.0),
    ("What is the fax number of the library?", "1 September 2024", 1.0),
    ("What phone number do I call for sales?", "+31 20 555 0187", 0.0),
    # A measure of the kind asked for: time or length for "how long", money for a price, mass for a weight.
    ("How long can adults borrow DVDs?", "1 pound per day", 1.0),
    ("How long can adults borrow DVDs?", "7 days", 0.0),
    ("How long is the cable?", "2 m", 0.0),
    ("How much does the Aerion A60 Pro weigh?", "65 W", 1.0),
    ("What is the weight of the Aerion A60 Pro?", "7.9 kg", 0.0),
    ("What does the Corvane L3 cost?", "$149.00", 0.0),
    ("What is the restocking fee?", "15%", 0.0),  # a share, not a measure: no judgement
    ("How long does a refund take?", "5 to 7 business days", 0.0),
    ("What time do backups run?", "between 1 a.m. and 3 a.m.", 0.0),
    ("What time do backups run?", "$6.95", 1.0),
    # Found by a review: a pound weighs too; a count names its own unit; a word about money is no price.
    ("How much does the Aerion A60 Pro weigh?", "12 pounds", 0.0),
    ("How far in advance must I book a room?", "14 days", 0.0),
    ("How many days of paid leave do I get?", "25 days", 0.0),
    ("How many hours does it take to charge the battery?", "3 hours", 0.0),
    ("What email notifications does the app send?", "a weekly summary", 0.0),
    ("What number do I call in an emergency?", "911", 0.0),
    ("How many phone numbers can I register?", "3", 0.0),
    # Found by a new user: a range measures what its end does; "how heavy" wants a number.
    ("How much does Express delivery cost?", "1 to 2 business days", 1.0),
    ("How much does Express delivery cost?", "$14.95", 0.0),
    ("How heavy is the Brevia Uno?", "None", 1.0),
    ("How heavy is the Brevia Uno?", "4.2 kg", 0.0),
    # A wire's gauge or a supply's voltage is a number: a terminal's letter is none.
    ("What gauge of sensor cable should I buy?", "R", 1.0),
    ("What gauge of sensor cable should I buy?", "16 to 20 AWG", 0.0),
    ("What voltage does the thermostat need?", "24 V AC", 0.0),
])
def test_answers_of_the_wrong_kind_are_a_type_mismatch(question, answer, mismatch):
    assert feature("type_mismatch", question, answer=answer) == mismatch


def test_the_shipped_file_loads_and_gives_probabilities():
    verifier = Verifier.load(SHIPPED_VERIFIER)
    stats = TermStats.of([ADVISORY])
    right = verifier.probability(feature_vector(evidence("Which CVSS score does CVE-2023-47201 have?"), stats))
    near_miss = verifier.probability(feature_vector(evidence("Which CVSS score does CVE-2023-47202 have?"), stats))
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



def test_a_name_asked_about_that_is_not_next_to_the_answer_is_seen():
    question = "What is the annual price of the Family plan?"
    table = "Starter | Annual price: €39\nFamily | Annual price: €99"
    assert feature("name_missing_near", question, passage=table, answer="€39", near="Starter Annual price: €39") == 1.0
    assert feature("name_missing_near", question, passage=table, answer="€99", near="Family Annual price: €99") == 0.0
    assert feature("name_missing", question, passage=table, answer="€39", near="Starter Annual price: €39") == 0.0


def test_the_words_asked_about_beside_the_models_name_pick_the_row():
    """A spec table with a model per column: each row names the model asked about, only one what is asked."""
    question = "How much does the Aerion A60 Pro weigh?"
    table = "Power consumption | Aerion A60 Pro: 65 W\nWeight | Aerion A60 Pro: 7.9 kg"
    weight = feature("covered_near_words", question, passage=table, answer="7.9 kg", near="Weight Aerion A60 Pro: 7.9 kg")
    power = feature("covered_near_words", question, passage=table, answer="65 W", near="Power consumption Aerion A60 Pro: 65 W")
    assert weight == pytest.approx(1.0) and power == 0.0
    assert feature("covered_near", question, passage=table, answer="65 W", near="Power consumption Aerion A60 Pro: 65 W") > 0.5
    # A question of names and identifiers alone leaves nothing to miss.
    assert feature("covered_near_words", "Who is Ines Calloway?", near="Our officer is Tomas Reyl.") == 1.0


@pytest.mark.parametrize("row, answer, asked", [
    ("Fitted, accessories missing | Corvane L3: 22% | Corvane L8: 30%", "22%", 1.0),
    ("Fitted, accessories missing | Corvane L3: 22% | Corvane L8: 30%", "30%", 0.0),  # "Corvane" names no column
    ("Still sealed | Corvane L3: No charge | Corvane L8: No charge", "No charge", 0.0),  # nor the row
    ("Fitted, accessories missing | Corvane L3: 22% | Corvane L8: 30%", "Corvane L3", 0.0),  # a header, no value
    ("Fitted, accessories missing | Corvane L3: 22% | Corvane L8: 30%", "22% | Corvane L8: 30%", 0.0),  # two cells
])
def test_a_cell_whose_row_and_column_the_question_names_is_the_asked_cell(row, answer, asked):
    """The row label and the column header both hold a question word; the words every column header
    has name no column."""
    question = "If I send back a fitted Corvane L3 with accessories missing, what return charge applies?"
    assert feature("asked_cell", question, passage=row, answer=answer, near=cell_and_label(row, row.find(answer)),
                   line=row) == asked


def test_an_answer_outside_a_table_or_in_a_one_column_table_is_judged_by_its_row_and_header():
    assert feature("asked_cell", "What is the CVSS score?", answer="7.4") == 0.0
    table = "Weight | Aerion A60 Pro: 7.9 kg"
    assert feature("asked_cell", "What is the weight of the Aerion A60 Pro?", passage=table, answer="7.9 kg",
                   line=table) == 1.0
    assert feature("asked_cell", "How heavy is the Aerion A60 Pro?", passage=table, answer="7.9 kg", line=table) == 0.0


CONTACTS = ("Get in touch\n- Helpdesk phone: 1-877-555-0163 (9 a.m. to 6 p.m.)\n- Helpdesk email: help@corvane.example\n"
            "- Purchases and billing questions: please message us from the Store page.")
FEES = ("State | Corvane L3 | Corvane L8\nUsed, with every accessory | Corvane L3: 12% | Corvane L8: 18%\n"
        "Used, accessories missing | Corvane L3: 22% | Corvane L8: 30%")


@pytest.mark.parametrize("question, passage, line, answer, rival", [
    # The answer's label names another thing than the one a sibling label shares with the question.
    ("Which phone number should I ring about Corvane purchases?", CONTACTS,
     "- Helpdesk phone: 1-877-555-0163 (9 a.m. to 6 p.m.)", "1-877-555-0163", 1.0),
    ("Which number is the helpdesk phone line?", CONTACTS, "- Helpdesk phone: 1-877-555-0163 (9 a.m. to 6 p.m.)",
     "1-877-555-0163", 0.0),
    ("What's the email address for the billing team?", CONTACTS, "- Helpdesk email: help@corvane.example",
     "help@corvane.example", 1.0),
    ("What's the phone number?", CONTACTS, "- Helpdesk phone: 1-877-555-0163 (9 a.m. to 6 p.m.)", "1-877-555-0163", 0.0),
    # A table row's label: the row with more of the question's words is another row.
    ("What fee do I pay on a used L3 with accessories missing?", FEES, FEES.splitlines()[1], "12%", 1.0),
    ("What fee do I pay on a used L3 with accessories missing?", FEES, FEES.splitlines()[2], "22%", 0.0),
    ("What fee do I pay on a used L3 with every accessory?", FEES, FEES.splitlines()[1], "12%", 0.0),
])
def test_a_label_naming_another_thing_than_the_one_asked_about_is_a_rival(question, passage, line, answer, rival):
    assert label_rival(question, passage, line, answer) == rival


def test_a_heading_with_a_colon_is_no_label():
    notes = "Firmware log: Versions\nFirmware 6.3.2\nDelivery: Sent to every lock within 36 hours."
    line = "Delivery: Sent to every lock within 36 hours."
    assert label_rival("How fast did firmware 6.3.2 reach the locks?", notes, line, "within 36 hours",
                       chain=("Firmware log: Versions", "Firmware 6.3.2")) == 0.0
    assert label_rival("How fast did firmware 6.3.2 reach the locks?", notes, line, "within 36 hours") == 1.0


def label_rival(question: str, passage: str, line: str, answer: str, chain: tuple[str, ...] = ()) -> float:
    at = line.index(answer)
    found = Evidence(question=question, answer=answer, passage_text=passage, sentence=line, near=line, line=line,
                     answer_at=at, reader_margin=20.0, window_margin=20.0, evidence_share=0.9, retrieval_score=0.9,
                     passage_rank=1, heading_chain=chain)
    stats = TermStats.of([CONTACTS, FEES, ADVISORY])
    return float(feature_vector(found, stats)[FEATURES.index("rival_nearer")])


@pytest.mark.parametrize("question, line, answer, rival", [
    # The label's first word is the question's: a qualifier elsewhere ("Weekend hours") is no rival.
    ("What number do I call for the helpdesk on weekends?", "- Helpdesk phone: 1-877-555-0163", "1-877-555-0163", 0.0),
    ("What number do I call for billing?", "- Helpdesk phone: 1-877-555-0163", "1-877-555-0163", 1.0),
])
def test_a_field_is_the_rival_of_another_only_by_the_thing_it_names_first(question, line, answer, rival):
    passage = f"{line}\n- Weekend hours: 10 a.m. to 4 p.m.\n- Billing questions: use the chat."
    assert label_rival(question, passage, line, answer) == rival


def test_a_line_with_a_pipe_in_prose_is_no_table_row():
    line = "For instance, the language {xx | x is any binary string} can be decided in linear time."
    assert label_rival("In what time can the language be decided?", line + "\nOther | thing", line, "linear time") == 0.0


def test_a_field_naming_another_model_is_a_rival_whatever_its_first_word():
    passage = "- Corvane L8: $219.00 USD\n- Corvane Door Sensor 3-pack: $59.00 USD\n- Corvane L3: about 10 months"
    line = "- Corvane Door Sensor 3-pack: $59.00 USD"
    assert label_rival("What is the price of a Corvane L3?", passage, line, "$59.00 USD") == 1.0
    assert label_rival("What is the price of a Corvane Door Sensor 3-pack?", passage, line, "$59.00 USD") == 0.0


@pytest.mark.parametrize("question, rival", [
    ("When did firmware 6.3.2 come out for the Corvane L1?", 1.0),  # the record names other models
    ("When did firmware 6.3.2 come out for the Corvane L8?", 0.0),
])
def test_the_other_fields_of_the_answers_record_name_the_thing(question, rival):
    passage = "Firmware 6.3.2\n\nReleased: August 14, 2023\nModels: Corvane L3, Corvane L8\n\nFixed\n\nCorvane L1 stays on 5.8.7."
    found = Evidence(question=question, answer="August 14, 2023", passage_text=passage,
                     sentence="Released: August 14, 2023", near="Released: August 14, 2023",
                     line="Released: August 14, 2023", answer_at=10, reader_margin=20.0,
                     window_margin=20.0, evidence_share=0.9, retrieval_score=0.9, passage_rank=1,
                     heading_chain=("Changelog", "Firmware 6.3.2"))
    stats = TermStats.of([passage, ADVISORY])
    assert feature_vector(found, stats)[FEATURES.index("rival_nearer")] == rival


def test_a_sentence_after_the_answer_in_its_paragraph_is_no_field_of_its_record():
    passage = "Known issues\n\nLCK-2210: May freeze. Workaround: store 40 codes or fewer. (Fixed in 6.3.2.)"
    found = Evidence(question="What was the workaround for the freezing bug in firmware 6.3?",
                     answer="store 40 codes or fewer", passage_text=passage, sentence="Workaround: store 40 codes or fewer.",
                     near="", line="Workaround: store 40 codes or fewer.", answer_at=12, reader_margin=20.0,
                     window_margin=20.0, evidence_share=0.9, retrieval_score=0.9, passage_rank=1,
                     heading_chain=("Changelog", "Firmware 6.3"))
    assert feature_vector(found, TermStats.of([passage, ADVISORY]))[FEATURES.index("rival_nearer")] == 0.0


BULLETIN_FIELDS = ("Affected: Corvane L3 and Corvane L8 locks on firmware 6.0 through 6.3.1\n"
                   "Not affected: the Corvane L1, Corvane Door Sensors, and the Corvane app")


@pytest.mark.parametrize("question, line, answer, rival", [
    ("Which Corvane devices are not affected by the flaw?", BULLETIN_FIELDS.splitlines()[0], "Corvane L3", 1.0),
    ("Which Corvane devices are not affected by the flaw?", BULLETIN_FIELDS.splitlines()[1], "the Corvane L1", 0.0),
    ("Which Corvane devices are affected by the flaw?", BULLETIN_FIELDS.splitlines()[1], "the Corvane L1", 1.0),
    ("Which Corvane devices are affected by the flaw?", BULLETIN_FIELDS.splitlines()[0], "Corvane L3", 0.0),
    ("Which devices aren't affected?", BULLETIN_FIELDS.splitlines()[0], "Corvane L3", 1.0),
])
def test_a_label_saying_the_opposite_of_the_question_beside_one_saying_the_same_is_a_rival(question, line, answer, rival):
    assert label_rival(question, BULLETIN_FIELDS, line, answer) == rival


def test_an_answer_in_a_section_saying_the_opposite_of_the_question_is_a_rival():
    passage = ("Affected devices\nCorvane L3 locks on firmware 6.0 through 6.3.1\n"
               "Not affected: the Corvane L1 (firmware 5.8.x), Corvane Door Sensors")
    line = "Corvane L3 locks on firmware 6.0 through 6.3.1"
    chain = ("Bulletin", "Affected devices")
    assert label_rival("Which devices are not affected?", passage, line, "Corvane L3", chain=chain) == 1.0
    assert label_rival("Which devices are affected?", passage, line, "Corvane L3", chain=chain) == 0.0


HOURS = "The Centre is open from 6 a.m. to 10 p.m. on weekdays and from 8 a.m. to 8 p.m. on weekends."


@pytest.mark.parametrize("question, answer, rival", [
    ("What are the weekend opening hours?", "6 a.m. to 10 p.m.", 1.0),
    ("What are the weekend opening hours?", "8 a.m. to 8 p.m.", 0.0),
    ("When does the Centre open on Saturdays?", "8 a.m. to 8 p.m.", 0.0),  # a Saturday is a weekend's
    ("When does the Centre open on Mondays?", "8 a.m. to 8 p.m.", 1.0),
    ("What are the opening hours?", "6 a.m. to 10 p.m.", 0.0),  # no day asked about
])
def test_hours_for_another_part_of_the_week_are_a_rival(question, answer, rival):
    assert feature("rival_nearer", question, passage=HOURS, answer=answer) == rival


def test_an_answer_naming_the_day_asked_about_has_no_rival_beside_it():
    line = "Helpdesk line: 1-877-555-0163 (Monday to Friday, 7 a.m. to 7 p.m.; Sunday, 10 a.m. to 4 p.m.)"
    assert feature("rival_nearer", "When can I reach the helpdesk line on weekdays?", passage=line,
                   answer="Monday to Friday, 7 a.m. to 7 p.m.") == 0.0
    assert feature("rival_nearer", "When can I reach the helpdesk line on weekdays?", passage=line,
                   answer="10 a.m. to 4 p.m.") == 1.0


BULLETIN_RECORD = ("Security Bulletin CSA-2023-014\n\nBulletin ID: CSA-2023-014\nCVE ID: CVE-2023-47201\n"
                   "Severity: Medium\n\nSummary\n\nThe pairing service accepted unsigned requests.")


def test_a_record_ends_where_a_label_repeats_and_is_found_by_the_answers_place():
    two = ("Bulletin ID: CSA-2023-014\nCVE ID: CVE-2023-47201\nSeverity: Medium\n"
           "Bulletin ID: CSA-2023-015\nCVE ID: CVE-2023-47202\nSeverity: Medium")
    line = "Severity: Medium"
    second = two.rindex(line) + len("Severity: ")
    found = Evidence(question="How severe is CVE-2023-47202?", answer="Medium", passage_text=two, sentence=line,
                     near=line, line=line, answer_at=10, reader_margin=20.0, window_margin=20.0, evidence_share=0.9,
                     retrieval_score=0.9, passage_rank=1, passage_at=second)
    assert found.record == "Bulletin ID: CSA-2023-015\nCVE ID: CVE-2023-47202"
    first = replace(found, question="How severe is CVE-2023-47201?", passage_at=two.index(line) + 10)
    assert first.record == "Bulletin ID: CSA-2023-014\nCVE ID: CVE-2023-47201"
    stats = TermStats.of([two, ADVISORY])
    wrong = replace(found, question="How severe is CVE-2023-47201?")  # the other record's answer
    assert feature_vector(wrong, stats)[FEATURES.index("identifier_missing_near")] == 1.0
    assert feature_vector(found, stats)[FEATURES.index("identifier_missing_near")] == 0.0


@pytest.mark.parametrize("question, missing", [
    ("Which bulletin covers CVE-2023-47201?", 0.0),  # in another field of the record
    ("Which bulletin covers CVE-2023-47202?", 1.0),
])
def test_an_identifier_in_another_field_of_the_answers_record_is_near_it(question, missing):
    line = "Bulletin ID: CSA-2023-014"
    found = Evidence(question=question, answer="CSA-2023-014", passage_text=BULLETIN_RECORD, sentence=line,
                     near=line, line=line, answer_at=13, reader_margin=20.0, window_margin=20.0, evidence_share=0.9,
                     retrieval_score=0.9, passage_rank=1)
    features = feature_vector(found, TermStats.of([BULLETIN_RECORD, ADVISORY]))
    assert features[FEATURES.index("identifier_missing_near")] == missing
    assert features[FEATURES.index("name_missing_near")] == missing
