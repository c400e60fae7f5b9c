"""The product-documents gold set (eval/gold/product-docs.jsonl: Markdown, HTML, text and a PDF)
through the real loaders, embedder, index and reader: every citation is document text, no answer
starts with a heading or holds page furniture, HTML and Markdown answers name their section, and
answer quality does not fall below what eval/BENCHMARKS.md records."""

import pytest

from groundqa.eval.gold import load_gold
from groundqa.eval.metrics import exact_match, f1_score
from groundqa.index.collection import Collection
from groundqa.index.ingest import scan, sync
from groundqa.index.sections import SECTIONS
from groundqa.index.store import FaissStore
from groundqa.service.pipeline import Pipeline
from groundqa.wiring import expected_manifest, pipeline_config
from tests.conftest import REPO

pytestmark = pytest.mark.slow
DOCS = REPO / "eval" / "gold" / "product-docs"
FURNITURE = ("Home | Shop | Support", "We use cookies", "All rights reserved", "Terms of Sale", "Cart (0)",
             "Security \u203a Advisories")
# The shipped defaults measured answerable EM 91.15 / F1 92.93 in bf16 (92.49 in fp32) and 36 of 39 near
# misses not answered (eval/BENCHMARKS.md, "Table cells, amounts of nothing, what a thing starts with"):
# floors a few answers below (other CPUs compute other bf16 or fp32 logits), so that a change that loses
# answers or answers near misses fails here.
FLOORS = {"em": 86.0, "f1": 88.0, "near_misses_abstained": 0.85}


@pytest.fixture(scope="module")
def product_pipeline(real_settings, real_embedder, real_reader):
    collection = Collection(expected_manifest(real_settings, real_embedder), FaissStore(real_embedder.dimension))
    sync(collection, scan([DOCS]), real_embedder, progress=False)
    pipeline = Pipeline(real_embedder, collection, real_reader, pipeline_config(real_settings))
    pipeline.prepare_search()
    return pipeline


def test_loaders_keep_structure_and_drop_furniture(product_pipeline):
    documents = product_pipeline.collection.documents
    returns = documents["product-docs/returns-policy.html"]
    assert not any(furniture in returns.text for furniture in FURNITURE)
    advisory = documents["product-docs/security-advisory.html"].text
    assert not any(furniture in advisory for furniture in FURNITURE), "a breadcrumb trail is furniture"
    headings = [heading for _, _, _, heading in returns.meta[SECTIONS]]
    assert headings[:4] == ["Returns & Refunds", "How to start a return", "Refunds", "Exchanges"]
    for start, end, _, heading in returns.meta[SECTIONS]:
        assert returns.text[start:end] == heading
    assert "Opened, missing parts or packaging | Nimbus T2: 20% | Nimbus T5: 25%" in returns.text
    policy = documents["product-docs/data-policy.txt"].text
    assert "collects through Nimbus T2 and Nimbus T5 thermostats, Nimbus Remote Sensors and the Nimbus Home app" \
        in policy, "hard-wrapped lines read as one sentence"
    guide = documents["product-docs/install-guide.pdf"].text
    assert "Working on live wires can damage the thermostat, your HVAC equipment, or you." in guide
    assert "\n- W1 for heat\n" in guide, "list items keep their lines"


def test_gold_questions_through_the_pipeline(product_pipeline):
    questions = [q for q in load_gold(REPO / "eval" / "gold" / "product-docs.jsonl") if q.answers]
    em, f1, with_section = [], [], 0
    for gold in questions:
        result = product_pipeline.ask(gold.question)
        best = result.answers[0].text if result.answers else None
        em.append(exact_match(best, gold.answers))
        f1.append(f1_score(best, gold.answers))
        for answer in result.answers:
            document = product_pipeline.collection.document(answer.citation.doc_id)
            c = answer.citation
            assert document.text[c.start:c.end] == answer.text
            assert "\n" not in answer.text and not any(f in answer.text for f in FURNITURE), answer.text
            starts = {start for start, _, _, _ in document.meta.get(SECTIONS, [])}
            assert c.start not in starts or answer.text == c.section, f"{answer.text!r} starts with a heading"
            with_section += c.section is not None
            if document.meta.get("format") in ("md", "html"):
                assert c.section, f"{answer.text!r} in {document.doc_id} names no section"
    assert with_section > 0
    scores = {"em": 100 * sum(em) / len(em), "f1": 100 * sum(f1) / len(f1)}
    assert scores["em"] >= FLOORS["em"] and scores["f1"] >= FLOORS["f1"], scores


@pytest.mark.parametrize("near_miss, answerable", [
    ("When was firmware 3.3 released?", "When was firmware 3.2.1 released?"),
    ("What is the CVSS score of CVE-2024-38113?", "What is the CVSS score of CVE-2024-38112?"),
    ("What was fixed in NIM-9999?", "What was fixed in NIM-1042?"),
    ("How long do the batteries last in the Nimbus T9?", "How long do the batteries last in the Nimbus T5?"),
    # Not an identifier: the support number's label names another team than the one asked about.
    ("What phone number do I call for Nimbus sales?", "What phone number do I call for Nimbus support?"),
])
def test_a_question_about_an_identifier_the_documents_lack_is_not_answered(product_pipeline, near_miss, answerable):
    """The issue-15 cases: the nearest match shares every word but the identifier."""
    assert product_pipeline.ask(near_miss).no_answer, product_pipeline.ask(near_miss).answers[0]
    result = product_pipeline.ask(answerable)
    assert not result.no_answer and 0.0 < result.answers[0].score <= 1.0


def test_most_near_misses_of_the_gold_set_are_not_answered(product_pipeline):
    near_misses = [q for q in load_gold(REPO / "eval" / "gold" / "product-docs.jsonl") if not q.answers]
    abstained = sum(product_pipeline.ask(q.question).no_answer for q in near_misses)
    assert abstained / len(near_misses) >= FLOORS["near_misses_abstained"], f"{abstained} of {len(near_misses)}"


def assert_best_answer(pipeline, question: str, answers: set[str]) -> None:
    """The question is answered, and its best answer is one of `answers`."""
    result = pipeline.ask(question)
    assert not result.no_answer and result.answers[0].text in answers, result.answers


@pytest.mark.parametrize("question, answers", [
    ("Which firmware versions are affected by CVE-2024-38112?", {"firmware 3.0 through 3.2.1", "3.0 through 3.2.1"}),
    ("What's the postal address for writing to the Data Protection Officer?",
     {"2200 Alder Street", "2200 Alder Street, Suite 410"}),
])
def test_an_answer_of_the_kind_asked_for_is_chosen(product_pipeline, question, answers):
    """A version or a postal address is asked for: a model name with a digit in it ("Nimbus T2
    thermostats") or a person's name ("Margaret Okafor"), chosen before, is no such answer."""
    assert_best_answer(product_pipeline, question, answers)


@pytest.mark.parametrize("question, cell", [
    ("If I return an opened T2 with missing parts, what restocking fee do I pay?", "20%"),
    ("What's the restocking fee on an opened Nimbus T5 that still has all its parts?", "15%"),
])
def test_the_table_cell_in_the_row_and_column_asked_about_is_the_best_candidate(product_pipeline, question, cell):
    """The reader read the row "Opened, complete with all parts" for missing parts: the cell moves to
    the row and column whose labels hold more of the question's words. (Whether it is answered is the
    verifier's call: table cells score low.)"""
    assert product_pipeline.ask(question).judged[0][0] == cell


@pytest.mark.parametrize("question, answer", [
    ("Which terminal is for the heat pump reversing valve?", "O/B"),
    ("Which terminal is the common wire?", "C"),
])
def test_a_list_of_short_items_is_read_item_by_item(product_pipeline, question, answer):
    """"- G for the fan\n- C for common\n- O/B for the heat pump reversing valve": the reader, trained on
    prose, read the lines as one clause ("fan" for the reversing valve) until list items were set apart."""
    assert_best_answer(product_pipeline, question, {answer})


@pytest.mark.parametrize("question, answers", [
    ("With Nimbus Care, how long is a T5 covered in total?", {"4 years"}),  # "3 years for the Nimbus T2 and 4 ..."
    ("What are the dimensions of the Nimbus T5 wall plate?", {"86 x 86 x 12 mm", "86 x 86 x 12 mm (3.4 x 3.4 x 0.5 in)"}),
    ("What's the standard warranty on a Nimbus T2?", {"1 year"}),
])
def test_the_answer_next_to_the_model_asked_about_is_chosen(product_pipeline, question, answers):
    """The neighbouring model's value, on the same line or in the same sentence, was chosen before."""
    assert_best_answer(product_pipeline, question, answers)


@pytest.mark.parametrize("question, answers", [
    ("What do I do after marking the two screw holes?", {"Drill the two holes with the 5 mm bit and tap in the wall anchors"}),
    ("I've pulled my T2 off the wall plate to factory reset it. What do I do next?",
     {"Press and hold the reset button on the back for 15 seconds, until the light blinks amber"}),
])
def test_the_step_after_the_one_done_is_the_answer(product_pipeline, question, answers):
    """The reader chose the step the question names ("mark the two screw holes") or another step of
    the list; the asker wants the one after it, with the list of steps as its context."""
    assert_best_answer(product_pipeline, question, answers)
    assert product_pipeline.ask(question).answers[0].kind == "passage"


@pytest.mark.parametrize("question, answers", [
    ("What time of night do firmware updates install?", {"between 2 a.m. and 4 a.m."}),
    ("Which phone operating systems does the Nimbus Home app need?", {"iOS 15 or later, or Android 10 or later"}),
    ("Who is Nimbus's representative in the EU?", {"Nimbus Home Europe B.V."}),
    ("What was fixed in NIM-1042?", {"Thermostat could reboot when a day's schedule had more than 12 periods"}),
    ("How quickly was firmware 3.2.2 pushed out?", {"within 48 hours"}),
])
def test_answers_are_whole(product_pipeline, question, answers):
    """Spans the reader cut short: a range of times, an item of the same shape before the one chosen,
    a company's name before its legal form, a field's value, a deadline's "within"."""
    assert_best_answer(product_pipeline, question, answers)


def test_an_unverified_early_answer_sends_the_reader_on_to_the_passages_it_skipped(product_pipeline):
    """The release notes' first chunk holds firmware 3.2.2's rollout, which the reader is sure of and
    the verifier rejects (another version's field); the 3.2.1 section's rollout is in the next chunk,
    which early exit left unread."""
    assert_best_answer(product_pipeline, "How is firmware 3.2.1 being rolled out?",
                       {"Staged rollout over two weeks", "Staged rollout over two weeks, starting May 7, 2024"})


def test_candidates_of_another_kind_take_no_place_from_those_of_the_asked_kind(product_pipeline):
    """Product names the reader liked ("Nimbus", "Nimbus T1", "thermostats", ...) filled the verifier's
    eight places for a question after a firmware version; the fixed version ranked tenth."""
    judged = [text for text, _ in product_pipeline.ask("Which firmware fixes the setup server vulnerability?").judged]
    assert {"3.2.2", "firmware 3.2.2"} & set(judged), judged
    assert "Nimbus" in judged  # the others are still judged, and rejected by their type


@pytest.mark.parametrize("question, step", [
    ("How do I factory reset a Nimbus T5?", "Choose Factory reset and tap Confirm"),
    ("What are the installation steps?", "6. Drill the two holes with the 5 mm bit"),
])
def test_procedure_questions_get_the_steps(product_pipeline, question, step):
    result = product_pipeline.ask(question)
    assert not result.no_answer, result
    best = result.answers[0]
    assert best.kind == "passage" and step in best.citation.context, best
    document = product_pipeline.collection.document(best.citation.doc_id)
    c = best.citation
    assert document.text[c.context_start:c.context_start + len(c.context)] == c.context
    assert c.context_start <= c.start < c.end <= c.context_start + len(c.context)
    assert product_pipeline.ask("How much does the Nimbus Remote Sensor 2-pack cost?").answers[0].kind == "span"


LEAVE_POLICY = """NORTHWIND LOGISTICS LTD
EMPLOYEE LEAVE POLICY

2. ANNUAL LEAVE ENTITLEMENT

Full-time employees receive 25 days of paid annual leave per calendar year.

3. HOW TO REQUEST LEAVE

To request annual leave, follow these steps:
1. Log in to the PeopleDesk portal at https://peopledesk.northwind.example.
2. Select "Time Off" and choose the leave type and dates.
3. Submit the request at least 10 working days before the first day of leave.

4. SICK LEAVE

Employees who are unwell must phone their line manager before 9:30 am on the first day of absence.
"""


def test_a_procedure_in_a_plain_text_policy_gets_its_steps(tmp_path, real_settings, real_embedder, real_reader):
    """Found by a new user: "How do I request leave?" was answered "follow these steps", without them.
    Each answer in the steps or in their lead-in now shows the steps (the lead-in alone: test_procedure.py)."""
    (tmp_path / "leave-policy.txt").write_text(LEAVE_POLICY)
    collection = Collection(expected_manifest(real_settings, real_embedder), FaissStore(real_embedder.dimension))
    sync(collection, scan([tmp_path]), real_embedder, progress=False)
    pipeline = Pipeline(real_embedder, collection, real_reader, pipeline_config(real_settings))
    result = pipeline.ask("How do I request leave?")
    assert not result.no_answer, result
    best = result.answers[0]
    c = best.citation
    assert best.kind == "passage" and "1. Log in to the PeopleDesk portal" in c.context, best
    assert "3. Submit the request" in c.context and "SICK LEAVE" not in c.context
    document = collection.document(c.doc_id)
    for answer in result.answers:
        c = answer.citation
        assert document.text[c.context_start:c.context_start + len(c.context)] == c.context
        assert document.text[c.start:c.end] == answer.text
        if answer.text in LEAVE_POLICY[LEAVE_POLICY.index("To request"):LEAVE_POLICY.index("4. SICK")]:
            assert answer.kind == "passage" and "2. Select" in c.context, answer


CHANGELOG = """# Ledgerly Release Notes

## 5.2.0 \u2014 2024-05-21

**Requires:** PostgreSQL 14 or later; Node.js 20 LTS

- LED-2210: Faster CSV import.

## 5.1.0 \u2014 2024-03-12

**Requires:** PostgreSQL 13 or later; Node.js 18 LTS

- LED-2104: Invoices can be exported as PDF.
"""


@pytest.mark.parametrize("question, answers", [
    ("When was Ledgerly 5.1.0 released?", {"2024-03-12"}),  # the value of its heading
    ("Which PostgreSQL version does Ledgerly 5.2.0 need?", {"PostgreSQL 14 or later", "14 or later"}),
])
def test_a_changelog_answers_from_its_headings_and_fields(tmp_path, real_settings, real_embedder, real_reader,
                                                         question, answers):
    """Found by a new user: a release's date is only in its heading ("5.1.0 \u2014 2024-03-12"), and answers
    never began in a heading; "PostgreSQL 14" lost its "or later"."""
    (tmp_path / "CHANGELOG.md").write_text(CHANGELOG)
    collection = Collection(expected_manifest(real_settings, real_embedder), FaissStore(real_embedder.dimension))
    sync(collection, scan([tmp_path]), real_embedder, progress=False)
    pipeline = Pipeline(real_embedder, collection, real_reader, pipeline_config(real_settings))
    result = pipeline.ask(question)
    assert result.judged and result.judged[0][0] in answers, result.judged[:3]
    for answer in result.answers:
        c = answer.citation
        assert collection.document(c.doc_id).text[c.start:c.end] == answer.text


RETURNS_FAQ = """# Returns

You can return most items within 30 days.

The following cannot be returned:

- gift cards
- opened software
- perishable goods
- items marked final sale

Refunds are issued within 5 to 7 business days.
"""


def test_a_question_after_several_things_answered_by_a_list_item_gets_the_whole_list(
        tmp_path, real_settings, real_embedder, real_reader):
    """Found by a new user: "Which items can't be returned?" was answered "gift cards", its context
    "gift cards" alone."""
    (tmp_path / "returns.md").write_text(RETURNS_FAQ)
    collection = Collection(expected_manifest(real_settings, real_embedder), FaissStore(real_embedder.dimension))
    sync(collection, scan([tmp_path]), real_embedder, progress=False)
    pipeline = Pipeline(real_embedder, collection, real_reader, pipeline_config(real_settings))
    result = pipeline.ask("Which items can't be returned?")
    assert not result.no_answer, result.judged[:3]
    best = result.answers[0]
    assert best.kind == "passage", best
    assert all(item in best.citation.context for item in ("gift cards", "opened software", "items marked final sale"))
    assert best.citation.context_start <= best.citation.start and best.text in best.citation.context
