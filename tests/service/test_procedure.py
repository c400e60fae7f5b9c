"""Procedure questions get the whole list of steps as the answer's context (fast, no model)."""

import pytest

from groundqa.index.loaders import document_from_bytes
from groundqa.service.procedure import with_its_list, is_procedure
from groundqa.service.types import Answer, Citation


@pytest.mark.parametrize("question, procedure", [
    ("How do I factory reset my keypad?", True), ("how can I pair a sensor", True),
    ("How to replace the batteries?", True), ("What are the steps to return an item?", True),
    ("What do I need to do before I take it off the wall?", True),
    ("What are the installation steps?", True), ("What are the factory reset steps?", True),
    ("How long does the battery last?", False), ("How much is the T5?", False), ("Who wrote it?", False),
])
def test_procedure_questions_are_recognized(question, procedure):
    assert is_procedure(question) is procedure


def answer_at(document, text):
    start = document.text.index(text)
    citation = Citation(document.doc_id, document.title, document.source, start, start + len(text), text, start)
    return Answer(text, 0.9, citation)


@pytest.mark.parametrize("name, data, suffix", [
    ("markdown", b"# Reset\n\nFirst unplug it.\n\n1. Pull it off the wall.\n2. Hold the button for\n   15 seconds.\n"
                 b"3. Snap it back.\n\nThat is all.\n", ".md"),
    ("html", b"<h2>Reset</h2><p>First unplug it.</p><ol><li>Pull it off the wall.</li><li>Hold the button for "
             b"15 seconds.</li><li>Snap it back.</li></ol><p>That is all.</p>", ".html"),
    ("text", b"Reset\n\nFirst unplug it.\n\n1. Pull it off the wall.\n2. Hold the button for 15 seconds.\n"
             b"3. Snap it back.\n\nThat is all.\n", ".txt"),
])
def test_the_steps_around_an_answer_become_its_context(name, data, suffix):
    document = document_from_bytes(data, doc_id=name, source=name, suffix=suffix)
    steps = with_its_list(answer_at(document, "Hold the button for 15 seconds"), lambda _: document)
    assert steps.kind == "passage"
    assert "Pull it off the wall." in steps.citation.context and "Snap it back." in steps.citation.context
    assert "First unplug it" not in steps.citation.context and "That is all" not in steps.citation.context
    c = steps.citation
    assert document.text[c.context_start:c.context_start + len(c.context)] == c.context
    outside = with_its_list(answer_at(document, "First unplug it"), lambda _: document)
    assert outside.kind == "span" and outside.citation.context == "First unplug it"


@pytest.mark.parametrize("name, data, suffix", [
    ("text", b"3. HOW TO REQUEST LEAVE\n\nTo request annual leave, follow these steps:\n1. Log in to the portal.\n"
             b"2. Choose the dates.\n3. Submit the request.\n\n4. SICK LEAVE\n\nPhone your manager.\n", ".txt"),
    ("markdown", b"## Requesting leave\n\nTo request annual leave, follow these steps:\n\n1. Log in to the portal.\n"
                 b"2. Choose the dates.\n3. Submit the request.\n\n## Sick leave\n\nPhone your manager.\n", ".md"),
    ("html", b"<h2>Requesting leave</h2><p>To request annual leave, follow these steps:</p><ol><li>Log in to the "
             b"portal.</li><li>Choose the dates.</li><li>Submit the request.</li></ol><h2>Sick leave</h2>"
             b"<p>Phone your manager.</p>", ".html"),
])
def test_a_lead_in_answer_gets_the_steps_it_introduces(name, data, suffix):
    document = document_from_bytes(data, doc_id=name, source=name, suffix=suffix)
    lead_in = answer_at(document, "follow these steps")
    start = document.text.index("To request")
    lead_in = Answer(lead_in.text, 0.9, Citation(name, name, name, lead_in.citation.start, lead_in.citation.end,
                                                 "To request annual leave, follow these steps:", start))
    steps = with_its_list(lead_in, lambda _: document)
    assert steps.kind == "passage" and steps.text == "follow these steps"
    c = steps.citation
    assert c.context.startswith("To request annual leave, follow these steps:")
    assert "Log in to the portal." in c.context and c.context.endswith("Submit the request.")
    assert "Phone your manager" not in c.context and "SICK" not in c.context
    assert document.text[c.context_start:c.context_start + len(c.context)] == c.context


@pytest.mark.parametrize("data", [
    b"Leave is approved by your manager.\n1. Log in.\n2. Submit.\n",  # no colon
    b"Leave is approved by your manager. To cancel a request, do this:\n1. Log in.\n2. Cancel.\n",  # another sentence's
])
def test_a_sentence_that_is_no_lead_in_does_not_take_the_list_after_it(data):
    document = document_from_bytes(data, doc_id="d", source="d", suffix=".txt")
    assert with_its_list(answer_at(document, "your manager"), lambda _: document).kind == "span"


STEPS_MD = (b"# Fit the keypad\n\n1. Switch off the mains supply at the fuse box.\n"
            b"2. Hold the mounting frame upright and mark the three fixing points.\n"
            b"3. Drill the three points with the 6 mm bit. Push in the plugs.\n4. Bolt the mounting frame to the door.\n")


@pytest.mark.parametrize("suffix", [".md", ".txt"])  # markers taken away by the loader, or kept in the text
@pytest.mark.parametrize("question, reader_chose, step", [
    ("What do I do after marking the three fixing points?", "mark the three fixing points",
     "Drill the three points with the 6 mm bit. Push in the plugs"),  # the whole step
    ("What's the next step after I drilled the points?", "Switch off the mains supply at the fuse box",
     "Bolt the mounting frame to the door"),
    ("I've switched the mains supply off at the fuse box. What do I do next?", "Drill the three points",
     "Hold the mounting frame upright and mark the three fixing points"),
])
def test_the_step_after_the_one_done_is_the_answer(question, reader_chose, step, suffix):
    from groundqa.service.procedure import done_before, next_step

    document = document_from_bytes(STEPS_MD, doc_id="keypad", source="keypad" + suffix, suffix=suffix)
    answer = next_step(answer_at(document, reader_chose), done_before(question), lambda _: document)
    c = answer.citation
    assert answer.text == step == document.text[c.start:c.end]
    assert document.text[c.context_start:c.context_start + len(c.context)] == c.context and step in c.context


def test_a_step_that_runs_over_lines_is_whole():
    from groundqa.service.procedure import done_before, next_step

    data = b"<ol><li>Turn off the power.</li><li>Hold the button and the dial<br>for 15 seconds.</li><li>Let go.</li></ol>"
    document = document_from_bytes(data, doc_id="d", source="d.html", suffix=".html")
    answer = next_step(answer_at(document, "Let go"), done_before("What do I do after turning off the power?"), lambda _: document)
    assert answer.text == "Hold the button and the dial\nfor 15 seconds"


def test_a_step_is_whole_and_the_done_step_is_found_in_other_words():
    from groundqa.service.procedure import done_before, next_step

    data = b"1. Unplug the unit.\n2. Approx. 10 seconds later, plug it back in.\n3. Remove the cover.\n"
    document = document_from_bytes(data, doc_id="steps", source="steps.txt", suffix=".txt")
    chosen = answer_at(document, "Remove the cover")
    assert next_step(chosen, done_before("I unplugged the unit. What do I do next?"), lambda _: document).text == \
        "Approx. 10 seconds later, plug it back in"
    assert next_step(chosen, done_before("What do I do after unplugging the unit?"), lambda _: document).text == \
        "Approx. 10 seconds later, plug it back in"


@pytest.mark.parametrize("data, suffix, chosen, question", [
    # Condition and action in one item: the answer to "after X" is in X's own item.
    (b"# Troubleshooting\n\n- If the light blinks red after installing, check the breaker.\n"
     b"- If the display is blank, replace the batteries.\n", ".md", "check the breaker",
     "What should I do after the light blinks red?"),
    # Bullets are no series of steps.
    (b"- Pull it off the wall plate.\n- Press the reset button.\n- Snap it back.\n", ".md", "Snap it back",
     "What do I do after I pull it off the wall plate?"),
])
def test_no_next_step_where_the_list_is_no_series_of_steps(data, suffix, chosen, question):
    from groundqa.service.procedure import done_before, next_step

    document = document_from_bytes(data, doc_id="d", source="d" + suffix, suffix=suffix)
    answer = answer_at(document, chosen)
    assert next_step(answer, done_before(question), lambda _: document) == answer


@pytest.mark.parametrize("question", [
    "How do I mark the fixing points?",  # no step done
    "What do I do after painting the door?",  # a step the list does not have
    "What do I do after I bolt the mounting frame to the door?",  # the last step: nothing after it
])
def test_the_answer_stays_when_no_step_follows_the_one_done(question):
    from groundqa.service.procedure import done_before, next_step

    document = document_from_bytes(STEPS_MD, doc_id="keypad", source="keypad.md", suffix=".md")
    chosen = answer_at(document, "mark the three fixing points")
    assert next_step(chosen, done_before(question), lambda _: document) == chosen


def test_a_document_indexed_before_steps_were_recorded_takes_each_line_of_its_list_as_a_step():
    import dataclasses

    from groundqa.index.sections import STEPS
    from groundqa.service.procedure import done_before, next_step

    new = document_from_bytes(STEPS_MD, doc_id="keypad", source="keypad.md", suffix=".md")
    old = dataclasses.replace(new, meta={key: value for key, value in new.meta.items() if key != STEPS})
    for document in (new, old):
        answer = next_step(answer_at(document, "Switch off the mains supply at the fuse box"),
                           done_before("What do I do after I switch off the mains supply at the fuse box?"),
                           lambda _: document)
        assert answer.text == "Hold the mounting frame upright and mark the three fixing points"
