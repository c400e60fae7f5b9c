"""The answer verifier: its features see what the reader's logits do not, its file refuses to load
against other features, and the pipeline scores answers with it when it is on."""

import json
from dataclasses import replace

import pytest

from groundqa.index.terms import TermStats
from groundqa.service.types import Citation
from groundqa.service.verify import (FEATURES, Evidence, Verifier, VerifierMismatch, answer_line, feature_vector,
                                    near_text)
from groundqa.wiring import SHIPPED_VERIFIER

ADVISORY = "Advisory NSA-2024-003 covers CVE-2024-38112, with a CVSS score of 8.1, in firmware 3.0 through 3.2.1."


def evidence(question: str, passage: str = ADVISORY, answer: str = "8.1", near: str | None = None,
             headings: str = "", chain: tuple[str, ...] = (), line: str | None = None) -> Evidence:
    line = passage if line is None else line
    return Evidence(question=question, answer=answer, passage_text=passage, sentence=passage,
                    near=passage if near is None else near, line=line, answer_at=max(0, line.find(answer)),
                    reader_margin=20.0,
                    window_margin=20.0, evidence_share=0.9, retrieval_score=0.9, passage_rank=1,
                    heading_chain=chain or ((headings,) if headings else ()))


def feature(name: str, question: str, **kwargs) -> float:
    stats = TermStats.of([ADVISORY, "Warranty terms for the Nimbus T2.", "Returns within 45 days."])
    return float(feature_vector(evidence(question, **kwargs), stats)[FEATURES.index(name)])


def test_an_identifier_the_passage_lacks_is_seen():
    assert feature("identifier_missing", "What is the CVSS score of CVE-2024-38113?") == 1.0
    assert feature("identifier_missing", "What is the CVSS score of CVE-2024-38112?") == 0.0
    assert feature("identifier_missing", "When was firmware 3.3 released?") == 1.0
    assert feature("covered_passage", "What is the CVSS score of CVE-2024-38112?") == pytest.approx(1.0)
    assert feature("covered_passage", "What is the warranty of the Nimbus T9?") < 0.5


def test_an_identifier_in_a_heading_or_title_counts_as_there():
    passage = "Released: September 12, 2023"
    assert feature("identifier_missing", "When was firmware 3.0 released?", passage=passage) == 1.0
    assert feature("identifier_missing", "When was firmware 3.0 released?", passage=passage,
                   headings="Release Notes Firmware 3.0") == 0.0
    assert feature("identifier_missing_near", "When was firmware 3.0 released?", passage=passage + " Firmware 3.2",
                   near=passage, headings="Firmware 3.2") == 1.0


def test_a_name_or_number_written_another_way_is_not_missing():
    passage = "Four packages went to Sky, a South Africa broadcaster."
    assert feature("identifier_missing", "Who bought the remaining 4 packages?", passage=passage) == 0.0
    assert feature("name_missing", "Which South African broadcaster bought them?", passage=passage) == 0.0
    assert feature("name_missing", "Which UK broadcaster bought them?", passage=passage) == 1.0
    assert feature("identifier_missing", "Who bought the remaining 5 packages?", passage=passage) == 1.0


def test_the_terms_next_to_the_answer_are_counted_apart_from_the_passage():
    question = "What is the restocking fee on an opened Nimbus T5?"
    row = "Opened, complete | Nimbus T2: 10% | Nimbus T5: 15%"
    t5 = feature("covered_near", question, passage=row, answer="15%", near="Opened, complete Nimbus T5: 15%")
    t2 = feature("covered_near", question, passage=row, answer="10%", near="Opened, complete Nimbus T2: 10%")
    assert t5 > t2


@pytest.mark.parametrize("text, answer, near", [
    ("Fees\nOpened, complete | Nimbus T2: 10% | Nimbus T5: 15%\nNext", "15%", "Opened, complete Nimbus T5: 15%"),
    ("Fees\nOpened, complete | Nimbus T2: 10% | Nimbus T5: 15%\nNext", "10%", "Opened, complete Nimbus T2: 10%"),
    ("Wires:\n- G for the fan\n- O/B for the heat pump reversing valve\n", "O/B", "- O/B for the heat pump reversing valve"),
])
def test_near_text_is_the_cell_and_row_label_or_the_sentence_on_its_line(text, answer, near):
    start = text.index(answer)
    whole = Citation(doc_id="d", title="t", source="s", start=start, end=start + len(answer), context=text, context_start=0)
    assert near_text(*answer_line(text, start, whole)) == near


@pytest.mark.parametrize("text, answer, near", [
    # A field or list item of a few sentences is one thing's: all of it is next to the answer.
    ("Fixed\nNIM-1187: Fixed a bypass (CVE-2024-38112). See security advisory NSA-2024-003 for details.\nNext",
     "NSA-2024-003", "NIM-1187: Fixed a bypass (CVE-2024-38112). See security advisory NSA-2024-003 for details."),
    # Prose is cut to the answer's sentence; a table row to its cell and label.
    ("The bypass was fixed (CVE-2024-38112). See security advisory NSA-2024-003 for details.\n",
     "NSA-2024-003", "See security advisory NSA-2024-003 for details."),
    ("Fees\nOpened, complete | Nimbus T2: 10% | Nimbus T5: 15%\nNext", "15%", "Opened, complete Nimbus T5: 15%"),
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
    assert evidence_of("Which advisory?", candidate, Reading([span], 0.0), document).near == near


@pytest.mark.parametrize("question, passage, answer, rival", [
    # The nearest model on the line is the one asked about, or another.
    ("With Nimbus Care, how long is a T5 covered?", "Total coverage is 3 years for the Nimbus T2 and 4 years for the "
     "Nimbus T5.", "4 years", 0.0),
    ("With Nimbus Care, how long is a T5 covered?", "Total coverage is 3 years for the Nimbus T2 and 4 years for the "
     "Nimbus T5.", "3 years", 1.0),
    ("What is the restocking fee on an opened T5?", "Opened, complete | Nimbus T2: 10% | Nimbus T5: 15%", "15%", 0.0),
    ("What is the restocking fee on an opened T5?", "Opened, complete | Nimbus T2: 10% | Nimbus T5: 15%", "10%", 1.0),
    ("How big is the T5 wall plate?", "Nimbus T2 wall plate: 70 x 70 x 11 mm", "70 x 70 x 11 mm", 1.0),
    ("When was firmware 3.2.1 released?", "Firmware 3.2 came out on April 2, 2024 and 3.2.1 on May 7, 2024.",
     "May 7, 2024", 0.0),
    ("When was firmware 3.2.1 released?", "Firmware 3.2 came out on April 2, 2024 and 3.2.1 on May 7, 2024.",
     "April 2, 2024", 1.0),
    # No identifier of the question's kind beside the answer, or a question naming none: nothing to weigh.
    ("How big is the T5 wall plate?", "The wall plate is 86 x 86 x 12 mm.", "86 x 86 x 12 mm", 0.0),
    ("How big is the wall plate?", "Nimbus T2 wall plate: 70 x 70 x 11 mm", "70 x 70 x 11 mm", 0.0),
    ("How long is the T5 covered?", "Nimbus T5: 4 years (T2: 3 years)", "4 years", 0.0),  # a tie: the one asked about
    # An identifier inside the answer is the answer, not its neighbour.
    ("Which model replaced the T2?", "The T2 was replaced by the Nimbus T5 in 2024.", "Nimbus T5", 0.0),
])
def test_a_rival_identifier_nearer_the_answer_than_the_one_asked_about_is_seen(question, passage, answer, rival):
    assert feature("rival_nearer", question, passage=passage, answer=answer) == rival


@pytest.mark.parametrize("question, chain, rival", [
    ("When was firmware 3.1.1 released?", ("Release notes", "Firmware 3.2.1", "Fixed"), 1.0),  # another's section
    ("When was firmware 3.2.1 released?", ("Release notes", "Firmware 3.2.1", "Fixed"), 0.0),
    ("When was firmware 3.2.1 released?", ("Release notes 3.2.1", "Firmware 3.2.2"), 1.0),  # the nearest heading decides
    ("When was firmware 3.2.1 released?", ("Release notes", "Fixed"), 0.0),  # no heading names a version
    ("When was the T5 released?", ("Release notes", "Firmware 3.2.2"), 0.0),  # another kind of identifier
    # Another series of codes: an advisory's number is no rival of the CVE asked about.
    ("What is the CVSS score of CVE-2024-38112?", ("Security advisory NSA-2024-003", "Severity"), 0.0),
    ("What is the CVSS score of CVE-2024-38112?", ("CVE-2024-38113", "Severity"), 1.0),
])
def test_the_nearest_heading_names_the_thing_when_the_line_does_not(question, chain, rival):
    passage = "Released: May 7, 2024"
    assert feature("rival_nearer", question, passage=passage, answer="May 7, 2024", chain=chain) == rival


@pytest.mark.parametrize("question, answer, impossible", [
    ("What is the fax number of Brightwater Fitness?", "1 March 2024", True),  # a date
    ("What is the fax number of Brightwater Fitness?", "0113 496 0726", False),
    ("What is the fax number of Brightwater Fitness?", "220 Canal Road, Suite 4", True),  # an address
    ("What is the emergency phone number?", "911", False),
    ("What is the support phone number?", "+44 20 7946 0321", False),
    ("What phone number do I call?", "Member Services", True),
    ("What's the e-mail address for sales?", "the chat on our Shop page", True),
    ("What's the e-mail address for sales?", "sales@example.com", False),
    ("How many phone numbers are there?", "two", False),  # a count
    ("What is the phone number of the press team?", "OH 43219", True),  # a ZIP code
    ("What is the phone number of the press team?", "+44 20 7946 0321 ext. 12", False),
    ("When was it released?", "never", False),  # other questions: the verifier weighs the type
    # An amount in another currency than the one asked for.
    ("What is the price of the Nimbus T5 in euros?", "$29", True),
    ("What is the price of the Nimbus T5 in euros?", "€229", False),
    ("What is the price of the Nimbus T5 in euros?", "€20, about $22", False),
    ("How much is the Nimbus T5 in US dollars?", "$249.00 USD", False),
    ("How much is it in Canadian dollars?", "CAD 329", False),
    ("How much does it cost in British pounds?", "199 EUR", True),
    ("How much is it in yen?", "¥3,000", False),
    ("How much is the Nimbus T5?", "€229", False),  # no currency asked
    ("How many pounds does the Aerion A60 weigh?", "$29", False),  # pounds alone weigh: not a currency asked
])
def test_an_answer_that_cannot_be_what_is_asked_is_no_candidate(question, answer, impossible):
    from groundqa.service.verify import cannot_answer

    assert cannot_answer(question, answer) is impossible


def test_a_number_question_answered_without_a_number_is_a_type_mismatch():
    assert feature("type_mismatch", "How many days do I have?", answer="the store") == 1.0
    assert feature("type_mismatch", "How many days do I have?", answer="45 days") == 0.0


@pytest.mark.parametrize("question, answer, mismatch", [
    ("Which firmware versions are affected?", "Nimbus T2 thermostats", 1.0),  # a model name is no version
    ("Which firmware versions are affected?", "firmware 3.0 through 3.2.1", 0.0),
    ("Which firmware fixes the vulnerability?", "Nimbus", 1.0),
    ("What's the advisory number for the CVE-2024-38112 advisory?", "Nimbus T5", 1.0),
    ("What's the advisory number for the CVE-2024-38112 advisory?", "NSA-2024-003", 0.0),
    ("What's the postal address of the Data Protection Officer?", "Margaret Okafor", 1.0),
    ("What's the postal address of the Data Protection Officer?", "2200 Alder Street, Suite 410", 0.0),
    ("How many batteries does it take?", "four AA lithium batteries", 0.0),  # a number in words
    ("How many days do I have?", "fifteen days", 0.0),
    ("Which version added Matter support?", "v3", 0.0),
    ("What is the model number of the thermostat?", "T5", 0.0),  # a code: letters and digits together
    ("What is the model number of the thermostat?", "the white one", 1.0),
    ("Which release channel gets updates first?", "the beta channel", 0.0),
    ("Who discovered the flaw?", "Priya Raman", 0.0),
    ("Who discovered the flaw?", "NSA-2024-003", 1.0),
    # An e-mail or phone question wants an address or a number of a phone's length.
    ("What is the e-mail address of the maintainer?", "Ilse Marchetti", 1.0),
    ("Which email address do I write to?", "support@nimbushome.example", 0.0),
    ("What is the fax number of the library?", "1 September 2024", 1.0),
    ("What phone number do I call for sales?", "+31 20 555 0187", 0.0),
    # A measure of the kind asked for: time or length for "how long", money for a price, mass for a weight.
    ("How long can adults borrow DVDs?", "1 pound per day", 1.0),
    ("How long can adults borrow DVDs?", "7 days", 0.0),
    ("How long is the cable?", "2 m", 0.0),
    ("How much does the Aerion A60 Pro weigh?", "65 W", 1.0),
    ("What is the weight of the Aerion A60 Pro?", "7.9 kg", 0.0),
    ("How much does the Nimbus T2 cost?", "$129.00", 0.0),
    ("What is the restocking fee?", "15%", 0.0),  # a share, not a measure: no judgement
    ("How long does a refund take?", "5 to 7 business days", 0.0),
    ("What time do updates install?", "between 2 a.m. and 4 a.m.", 0.0),
    ("What time do updates install?", "$6.95", 1.0),
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
    # A clause's number is no answer to a question after things; a release's number may be.
    ("Which losses are not covered by the policy?", "3.1", 1.0),
    ("Which release fixed the crash?", "3.1", 0.0),
    # What is added is no answer to how long or how many in all; it is to what is added.
    ("How long is the warranty on the Nimbus T5?", "2 more years", 1.0),
    ("How long is the warranty on the Nimbus T5?", "2 years", 0.0),
    ("How much extra coverage does Nimbus Care add?", "2 more years", 0.0),
    ("How many more years does Nimbus Care give?", "2 more years", 0.0),
    ("How long would Tesla spend gambling?", "more than 48 hours", 0.0),  # a bound, not an increment
    ("How many troops were sent?", "20,000 more troops", 0.0),  # a count of what was sent
    ("How long is the warranty?", "3 years, with 2 more years available", 0.0),  # leads with the length
    # A version is no time: "When was 5.3.0 released?" is not answered by "before 4.0".
    ("When was Ledgerly 5.3.0 released?", "before 4.0", 1.0),
    ("When was firmware 3.2 released?", "April 16, 2024", 0.0),
    ("When was security advisory NSA-2024-003 published?", "Revision 1.1", 1.0),  # a document's revision
    ("When did the population reach 1.5 million?", "1.5 million years ago", 0.0),
    # A wire's gauge or a supply's voltage is a number: a terminal's letter is none.
    ("What gauge of thermostat wire can I use?", "C", 1.0),
    ("What gauge of thermostat wire can I use?", "18 to 22 AWG", 0.0),
    ("What voltage does the thermostat need?", "24 V AC", 0.0),
    # An amount of nothing answers what something costs, and nothing else.
    ("Is there a restocking fee for an unopened Nimbus T2?", "No fee", 0.0),
    ("How much does the app cost?", "free", 0.0),
    ("What is the restocking fee?", "waived", 1.0),
    ("How long is the warranty?", "free of charge", 1.0),
    ("How much does the toll-free line cost?", "toll-free", 1.0),  # a word with "free" in it is no amount
    ("How much storage does it have?", "free", 1.0),  # nor is "free" where no money is asked about
])
def test_answers_of_the_wrong_kind_are_a_type_mismatch(question, answer, mismatch):
    assert feature("type_mismatch", question, answer=answer) == mismatch


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
    assert feature("covered_near_words", "Who is Margaret Okafor?", near="Our officer is Priya Raman.") == 1.0


@pytest.mark.parametrize("row, answer, asked", [
    ("Opened, missing parts or packaging | Nimbus T2: 20% | Nimbus T5: 25%", "20%", 1.0),
    ("Opened, missing parts or packaging | Nimbus T2: 20% | Nimbus T5: 25%", "25%", 0.0),  # "Nimbus" names no column
    ("Unopened, in original packaging | Nimbus T2: No fee | Nimbus T5: No fee", "No fee", 0.0),  # nor the row
    ("Opened, missing parts or packaging | Nimbus T2: 20% | Nimbus T5: 25%", "Nimbus T2", 0.0),  # a header, no value
    ("Opened, missing parts or packaging | Nimbus T2: 20% | Nimbus T5: 25%", "20% | Nimbus T5: 25%", 0.0),  # two cells
])
def test_a_cell_whose_row_and_column_the_question_names_is_the_asked_cell(row, answer, asked):
    """The row label and the column header both hold a question word; the words every column header
    has name no column."""
    question = "If I return an opened Nimbus T2 with missing parts, what restocking fee do I pay?"
    assert feature("asked_cell", question, passage=row, answer=answer, near=near_text(row, row.find(answer)),
                   line=row) == asked


def test_an_answer_outside_a_table_or_in_a_one_column_table_is_judged_by_its_row_and_header():
    assert feature("asked_cell", "What is the CVSS score?", answer="8.1") == 0.0
    table = "Weight | Aerion A60 Pro: 7.9 kg"
    assert feature("asked_cell", "What is the weight of the Aerion A60 Pro?", passage=table, answer="7.9 kg",
                   line=table) == 1.0
    assert feature("asked_cell", "How heavy is the Aerion A60 Pro?", passage=table, answer="7.9 kg", line=table) == 0.0


CONTACTS = ("Contact us\n- Support phone: 1-800-555-0142 (8 a.m. to 8 p.m.)\n- Support email: support@nimbus.example\n"
            "- Sales and order questions: please use the chat on our Shop page.")
FEES = ("Condition | Nimbus T2 | Nimbus T5\nOpened, complete with all parts | Nimbus T2: 10% | Nimbus T5: 15%\n"
        "Opened, missing parts or packaging | Nimbus T2: 20% | Nimbus T5: 25%")


@pytest.mark.parametrize("question, passage, line, answer, rival", [
    # The answer's label names another thing than the one a sibling label shares with the question.
    ("What phone number do I call for Nimbus sales?", CONTACTS, "- Support phone: 1-800-555-0142 (8 a.m. to 8 p.m.)",
     "1-800-555-0142", 1.0),
    ("What is the support phone number?", CONTACTS, "- Support phone: 1-800-555-0142 (8 a.m. to 8 p.m.)",
     "1-800-555-0142", 0.0),
    ("What's the email address for the sales team?", CONTACTS, "- Support email: support@nimbus.example",
     "support@nimbus.example", 1.0),
    ("What's the phone number?", CONTACTS, "- Support phone: 1-800-555-0142 (8 a.m. to 8 p.m.)", "1-800-555-0142", 0.0),
    # A table row's label: the row with more of the question's words is another row.
    ("What fee do I pay on an opened T2 with missing parts?", FEES, FEES.splitlines()[1], "10%", 1.0),
    ("What fee do I pay on an opened T2 with missing parts?", FEES, FEES.splitlines()[2], "20%", 0.0),
    ("What fee do I pay on an opened T2 with all its parts?", FEES, FEES.splitlines()[1], "10%", 0.0),
])
def test_a_label_naming_another_thing_than_the_one_asked_about_is_a_rival(question, passage, line, answer, rival):
    assert label_rival(question, passage, line, answer) == rival


def test_a_heading_with_a_colon_is_no_label():
    notes = "Firmware notes: Releases\nFirmware 3.2.2\nRollout: Pushed to all devices within 48 hours."
    line = "Rollout: Pushed to all devices within 48 hours."
    assert label_rival("How quickly was firmware 3.2.2 pushed out?", notes, line, "within 48 hours",
                       chain=("Firmware notes: Releases", "Firmware 3.2.2")) == 0.0
    assert label_rival("How quickly was firmware 3.2.2 pushed out?", notes, line, "within 48 hours") == 1.0


def label_rival(question: str, passage: str, line: str, answer: str, chain: tuple[str, ...] = ()) -> float:
    at = line.index(answer)
    found = Evidence(question=question, answer=answer, passage_text=passage, sentence=line, near=line, line=line,
                     answer_at=at, reader_margin=20.0, window_margin=20.0, evidence_share=0.9, retrieval_score=0.9,
                     passage_rank=1, heading_chain=chain)
    stats = TermStats.of([CONTACTS, FEES, ADVISORY])
    return float(feature_vector(found, stats)[FEATURES.index("rival_nearer")])


CARE = "Nimbus Care extends the warranty by 2 more years for a one-time price of $29 per thermostat."


@pytest.mark.parametrize("question, answer, rival", [
    ("How much does Nimbus Care cost for 5 more years of coverage?", "$29", 1.0),  # it counts 2 more years
    ("How much does Nimbus Care cost for 2 more years of coverage?", "$29", 0.0),
    ("How much does Nimbus Care cost?", "$29", 0.0),
    ("How much does Nimbus Care cost for 5 thermostats?", "$29", 0.0),  # the line counts no thermostats
    ("How many more years does Nimbus Care add?", "2 more years", 0.0),  # the answer's own number
])
def test_a_number_counting_what_the_question_counts_with_another_number_is_a_rival(question, answer, rival):
    assert feature("rival_nearer", question, passage=CARE, answer=answer) == rival


@pytest.mark.parametrize("question, line, answer, rival", [
    # The label's first word is the question's: a qualifier elsewhere ("Weekend hours") is no rival.
    ("What number do I call for support on weekends?", "- Support phone: 1-800-555-0142", "1-800-555-0142", 0.0),
    ("What number do I call for sales?", "- Support phone: 1-800-555-0142", "1-800-555-0142", 1.0),
])
def test_a_field_is_the_rival_of_another_only_by_the_thing_it_names_first(question, line, answer, rival):
    passage = f"{line}\n- Weekend hours: 9 a.m. to 5 p.m.\n- Sales questions: use the chat."
    assert label_rival(question, passage, line, answer) == rival


def test_a_line_with_a_pipe_in_prose_is_no_table_row():
    line = "For instance, the language {xx | x is any binary string} can be decided in linear time."
    assert label_rival("In what time can the language be decided?", line + "\nOther | thing", line, "linear time") == 0.0


@pytest.mark.parametrize("question, passage, answer, rival", [
    ("Can I call support at 7 p.m.?", "Support: 1-800-555-0142 (8 a.m. to 8 p.m.)", "1-800-555-0142", 0.0),
    ("What did the 3 of them found?", "The 2 of them founded Acme.", "Acme", 0.0),  # "of" counts nothing
    ("Who won the 2004-2005 season?", "In the 2004–05 season Porto won.", "Porto", 0.0),
    ("How long was the 61 yard field goal?", "He kicked a 61-yard field goal and a 45 yard punt.", "61-yard", 0.0),
    ("What does Nimbus Care cost for 5 more year?", CARE, "$29", 1.0),  # one year or several alike
])
def test_a_quantity_is_a_rival_only_where_it_counts_the_same_thing(question, passage, answer, rival):
    assert feature("rival_nearer", question, passage=passage, answer=answer) == rival


def test_a_field_naming_another_model_is_a_rival_whatever_its_first_word():
    passage = "- Nimbus T5: $249.00 USD\n- Nimbus Remote Sensor 2-pack: $69.00 USD\n- Nimbus T2: about 14 months"
    line = "- Nimbus Remote Sensor 2-pack: $69.00 USD"
    assert label_rival("How much does the Nimbus T2 cost?", passage, line, "$69.00 USD") == 1.0
    assert label_rival("How much does the Nimbus Remote Sensor 2-pack cost?", passage, line, "$69.00 USD") == 0.0


@pytest.mark.parametrize("question, rival", [
    ("When was firmware 3.2.2 released for the Nimbus T1?", 1.0),  # the record names other models
    ("When was firmware 3.2.2 released for the Nimbus T5?", 0.0),
])
def test_the_other_fields_of_the_answers_record_name_the_thing(question, rival):
    passage = "Firmware 3.2.2\n\nReleased: July 9, 2024\nModels: Nimbus T2, Nimbus T5\n\nFixed\n\nNimbus T1 stays on 2.9.4."
    found = Evidence(question=question, answer="July 9, 2024", passage_text=passage, sentence="Released: July 9, 2024",
                     near="Released: July 9, 2024", line="Released: July 9, 2024", answer_at=10, reader_margin=20.0,
                     window_margin=20.0, evidence_share=0.9, retrieval_score=0.9, passage_rank=1,
                     heading_chain=("Release notes", "Firmware 3.2.2"))
    stats = TermStats.of([passage, ADVISORY])
    assert feature_vector(found, stats)[FEATURES.index("rival_nearer")] == rival


def test_a_sentence_after_the_answer_in_its_paragraph_is_no_field_of_its_record():
    passage = "Known issues\n\nNIM-1042: May reboot. Workaround: use 12 periods or fewer. (Fixed in 3.2.1.)"
    found = Evidence(question="What was the workaround for the reboot bug in firmware 3.2?",
                     answer="use 12 periods or fewer", passage_text=passage, sentence="Workaround: use 12 periods or fewer.",
                     near="", line="Workaround: use 12 periods or fewer.", answer_at=12, reader_margin=20.0,
                     window_margin=20.0, evidence_share=0.9, retrieval_score=0.9, passage_rank=1,
                     heading_chain=("Release notes", "Firmware 3.2"))
    assert feature_vector(found, TermStats.of([passage, ADVISORY]))[FEATURES.index("rival_nearer")] == 0.0


ADVISORY_FIELDS = ("Affected: Nimbus T2 and Nimbus T5 thermostats running firmware 3.0 through 3.2.1\n"
                   "Not affected: the Nimbus T1, Nimbus Remote Sensors, and the Nimbus Home app")


@pytest.mark.parametrize("question, line, answer, rival", [
    ("Which Nimbus products are not affected by the issue?", ADVISORY_FIELDS.splitlines()[0], "Nimbus T2", 1.0),
    ("Which Nimbus products are not affected by the issue?", ADVISORY_FIELDS.splitlines()[1], "the Nimbus T1", 0.0),
    ("Which Nimbus products are affected by the issue?", ADVISORY_FIELDS.splitlines()[1], "the Nimbus T1", 1.0),
    ("Which Nimbus products are affected by the issue?", ADVISORY_FIELDS.splitlines()[0], "Nimbus T2", 0.0),
    ("Which products aren't affected?", ADVISORY_FIELDS.splitlines()[0], "Nimbus T2", 1.0),
])
def test_a_label_saying_the_opposite_of_the_question_beside_one_saying_the_same_is_a_rival(question, line, answer, rival):
    assert label_rival(question, ADVISORY_FIELDS, line, answer) == rival


def test_an_answer_in_a_section_saying_the_opposite_of_the_question_is_a_rival():
    passage = ("Affected products\nNimbus T2 thermostats running firmware 3.0 through 3.2.1\n"
               "Not affected: the Nimbus T1 (firmware 2.9.x), Nimbus Remote Sensors")
    line = "Nimbus T2 thermostats running firmware 3.0 through 3.2.1"
    chain = ("Advisory", "Affected products")
    assert label_rival("Which products are not affected?", passage, line, "Nimbus T2", chain=chain) == 1.0
    assert label_rival("Which products are affected?", passage, line, "Nimbus T2", chain=chain) == 0.0


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
    line = "Support phone: 1-800-555-0142 (Monday to Friday, 8 a.m. to 8 p.m.; Saturday, 9 a.m. to 5 p.m.)"
    assert feature("rival_nearer", "What hours is phone support open on weekdays?", passage=line,
                   answer="Monday to Friday, 8 a.m. to 8 p.m.") == 0.0
    assert feature("rival_nearer", "What hours is phone support open on weekdays?", passage=line,
                   answer="9 a.m. to 5 p.m.") == 1.0


ADVISORY_RECORD = ("Security Advisory NSA-2024-003\n\nAdvisory ID: NSA-2024-003\nCVE ID: CVE-2024-38112\n"
                   "Severity: High\n\nSummary\n\nThe setup server did not check authentication.")


def test_a_record_ends_where_a_label_repeats_and_is_found_by_the_answers_place():
    two = ("Advisory ID: NSA-2024-003\nCVE ID: CVE-2024-38112\nSeverity: High\n"
           "Advisory ID: NSA-2024-004\nCVE ID: CVE-2024-38113\nSeverity: High")
    line = "Severity: High"
    second = two.rindex(line) + len("Severity: ")
    found = Evidence(question="What's the severity of CVE-2024-38113?", answer="High", passage_text=two, sentence=line,
                     near=line, line=line, answer_at=10, reader_margin=20.0, window_margin=20.0, evidence_share=0.9,
                     retrieval_score=0.9, passage_rank=1, passage_at=second)
    assert found.record == "Advisory ID: NSA-2024-004\nCVE ID: CVE-2024-38113"
    first = replace(found, question="What's the severity of CVE-2024-38112?", passage_at=two.index(line) + 10)
    assert first.record == "Advisory ID: NSA-2024-003\nCVE ID: CVE-2024-38112"
    stats = TermStats.of([two, ADVISORY])
    wrong = replace(found, question="What's the severity of CVE-2024-38112?")  # the other record's answer
    assert feature_vector(wrong, stats)[FEATURES.index("identifier_missing_near")] == 1.0
    assert feature_vector(found, stats)[FEATURES.index("identifier_missing_near")] == 0.0


@pytest.mark.parametrize("question, missing", [
    ("What's the advisory number for the CVE-2024-38112 advisory?", 0.0),  # in another field of the record
    ("What's the advisory number for the CVE-2024-38113 advisory?", 1.0),
])
def test_an_identifier_in_another_field_of_the_answers_record_is_near_it(question, missing):
    line = "Advisory ID: NSA-2024-003"
    found = Evidence(question=question, answer="NSA-2024-003", passage_text=ADVISORY_RECORD, sentence=line,
                     near=line, line=line, answer_at=13, reader_margin=20.0, window_margin=20.0, evidence_share=0.9,
                     retrieval_score=0.9, passage_rank=1)
    features = feature_vector(found, TermStats.of([ADVISORY_RECORD, ADVISORY]))
    assert features[FEATURES.index("identifier_missing_near")] == missing
    assert features[FEATURES.index("name_missing_near")] == missing


NOTE = ("The original Nimbus T1 stays on firmware 2.9.4 and continues to receive security fixes until "
        "December 31, 2025.")


@pytest.mark.parametrize("question, rival", [
    ("When was firmware 2.9.4 released?", 1.0),  # the end of its fixes is another event
    ("When did firmware 2.9.4 come out?", 1.0),
    ("Until when does firmware 2.9.4 receive security fixes?", 0.0),
    ("When do security fixes for firmware 2.9.4 end?", 0.0),
    ("How long was firmware 2.9.4 supported?", 0.0),
    ("When did security fixes for firmware 2.9.4 end?", 0.0),  # the question asks for the end
    ("When did Nimbus stop fixing firmware 2.9.4?", 0.0),
])
def test_the_end_of_a_period_is_no_answer_to_when_something_happened(question, rival):
    assert feature("rival_nearer", question, passage=NOTE, answer="December 31, 2025") == rival


@pytest.mark.parametrize("question, passage", [
    ("When did Chopin leave Paris?", "Chopin stayed in Paris until 1849."),
    ("When did Kublai Khan die?", "Kublai Khan ruled until 1294."),
    ("When did the company move to Seattle?", "The company was based in Albuquerque until 1979."),
    ("When was the Holy Roman Empire dissolved?", "The Holy Roman Empire lasted until 1806."),
])
def test_the_end_of_a_period_answers_when_something_ended(question, passage):
    answer = passage.rsplit(" ", 1)[1].rstrip(".")
    assert feature("rival_nearer", question, passage=passage, answer=answer) == 0.0


RETENTION = "Support emails and support call recordings are kept for 2 years."


@pytest.mark.parametrize("question, rival", [
    ("How quickly does support answer emails?", 1.0),  # how long they are kept is another matter
    ("How soon do I get a reply to a support email?", 1.0),
    ("How long are support emails kept?", 0.0),
    ("For how long are support emails kept?", 0.0),
])
def test_how_long_something_lasts_is_no_answer_to_how_soon_it_happens(question, rival):
    assert feature("rival_nearer", question, passage=RETENTION, answer="2 years") == rival


def test_within_a_time_answers_how_soon():
    passage = "Support email: support@nimbushome.example (we reply within 1 business day)"
    assert feature("rival_nearer", "How quickly does support answer emails?", passage=passage,
                   answer="within 1 business day") == 0.0


COVERAGE = ("Nimbus Care extends the warranty by 2 more years for a one-time price of $29. With Nimbus Care, "
            "total coverage is 3 years for the Nimbus T2 and 4 years for the Nimbus T5.")


@pytest.mark.parametrize("question, answer, rival", [
    ("How much extra coverage does Nimbus Care add?", "3 years", 1.0),  # the total, not what is added
    ("How much extra coverage does Nimbus Care add?", "2 more years", 0.0),
    ("With Nimbus Care, how long is a T2 covered in total?", "3 years", 0.0),
])
def test_a_total_is_no_answer_to_what_is_added(question, answer, rival):
    assert feature("rival_nearer", question, passage=COVERAGE, answer=answer) == rival
