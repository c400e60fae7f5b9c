"""Behaviours new users found, each on a small document written for its test, through the real
loaders, embedder, index, reader and verifier."""

import pytest

pytestmark = pytest.mark.slow


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


def test_a_procedure_in_a_plain_text_policy_gets_its_steps(tmp_path, real_pipeline_over):
    """Found by a new user: "How do I request leave?" was answered "follow these steps", without them.
    Each answer in the steps or in their lead-in now shows the steps (the lead-in alone: test_procedure.py)."""
    (tmp_path / "leave-policy.txt").write_text(LEAVE_POLICY)
    pipeline = real_pipeline_over(tmp_path)
    collection = pipeline.collection
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
def test_a_changelog_answers_from_its_headings_and_fields(tmp_path, real_pipeline_over, question, answers):
    """Found by a new user: a release's date is only in its heading ("5.1.0 \u2014 2024-03-12"), and answers
    never began in a heading; "PostgreSQL 14" lost its "or later"."""
    (tmp_path / "CHANGELOG.md").write_text(CHANGELOG)
    pipeline = real_pipeline_over(tmp_path)
    collection = pipeline.collection
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
        tmp_path, real_pipeline_over):
    """Found by a new user: "Which items can't be returned?" was answered "gift cards", its context
    "gift cards" alone."""
    (tmp_path / "returns.md").write_text(RETURNS_FAQ)
    pipeline = real_pipeline_over(tmp_path)
    result = pipeline.ask("Which items can't be returned?")
    assert not result.no_answer, result.judged[:3]
    best = result.answers[0]
    assert best.kind == "passage", best
    assert all(item in best.citation.context for item in ("gift cards", "opened software", "items marked final sale"))
    assert best.citation.context_start <= best.citation.start and best.text in best.citation.context
