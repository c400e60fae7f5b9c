"""Procedure questions ("how do I reset it?"): the answer is a series of steps, so the citation's
context becomes the whole list of steps the chosen span is in, and the answer says so (kind "passage")."""

from __future__ import annotations

import dataclasses
import re
from typing import Callable

from groundqa.index.sections import list_after_lead_in, list_around
from groundqa.index.types import Document
from groundqa.service.types import Answer

_PROCEDURE = re.compile(
    r"^\s*(?:how\s+(?:do|can|should|would|must)\s+(?:i|you|we)\b|how\s+to\b|what\s+(?:are|were)\s+the\s+(?:[\w-]+\s+){0,2}steps\b|"
    r"what\s+steps\b|(?:what|which)\s+(?:do|should|must)\s+i\s+do\b|what\s+do\s+i\s+(?:need|have)\s+to\s+do\b)",
    re.IGNORECASE)


def is_procedure(question: str) -> bool:
    return bool(_PROCEDURE.match(question))


def with_its_list(answer: Answer, lookup: Callable[[str], Document]) -> Answer:
    """The answer with the list it is in (a procedure's steps; the items of "Which items can't be
    returned?"), or that it introduces ("follow these steps:"), as its context (kind "passage"); as it
    is when there is no such list."""
    document = lookup(answer.citation.doc_id)
    cited = answer.citation
    steps = list_around(document.meta, document.text, cited.start)
    if steps is not None and steps[0] <= cited.start < cited.end <= steps[1]:
        start, end = steps
    else:
        introduced = list_after_lead_in(document.meta, document.text, cited.end)
        if introduced is None:
            return answer
        start, end = min(cited.context_start, cited.start), introduced[1]
    citation = dataclasses.replace(cited, context=document.text[start:end], context_start=start)
    return dataclasses.replace(answer, citation=citation, kind="passage")
