"""Whole answers: a span the reader cut inside a word, from its unit, or short of a range's end is
completed from the document text around it; a field's label, a next line or cell, and a list's
trailing clause are cut off. Offsets stay in the document, so `text[start:end]` is the answer.

The reader works in word pieces and picks the span its logits like best; on product documents that is
often "@nimbushome" for "support@nimbushome.example", "45" for "45 days", "3.0" for "3.0 through
3.2.1". Each rule below looks at the characters next to the span, except one: a span in a table's cell
first moves to the cell of the row and column the question names (service/tables.py).
"""

from __future__ import annotations

import re

from groundqa.index.terms import words
from groundqa.service.tables import asked_cell, cell_end, in_a_row

# Characters a word may continue with (e-mail addresses, versions, ids, prices, paths).
_INNER = re.compile(r"[\w@.\-/:+%$#]")
_EDGE_PUNCTUATION = ".,;:!?)]}\"'\u201d\u2019"
_OPENING = "([{\"'\u201c\u2018"
_UNIT = re.compile(  # tried only where a run of blanks begins: a search stays linear
    r"(?<![ \t])[ \t]++(?:(?:business|calendar|working)[ \t]+)?(?:days?|weeks?|months?|years?|hours?|minutes?|seconds?|percent|"
    r"times|mm|cm|km|inch(?:es)?|ft|feet|lbs?|kg|mb|gb|tb|kb|ghz|mhz|watts?|volts?|°[fc]|degrees?)\b",
    re.IGNORECASE)
_RANGE = re.compile(r"[ \t]*(?:through|to|thru|until|and|-|\u2013|\u2014)[ \t]*[\w$.][\w@.\-/:%$]*", re.IGNORECASE)
_RANGE_BEFORE = re.compile(r"(?=.{1,40}\Z)(?<![\w.:])([\w$][\w.\-/%$:]*)[ \t]*(?:through|to|thru|until|\u2013|\u2014)[ \t]*\Z",
                           re.IGNORECASE)
_DAY = r"(?:mon|tues|wednes|thurs|fri|satur|sun)day"
_CALENDAR = re.compile(_DAY + r"|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec", re.IGNORECASE)
_DAYS = re.compile(r"(?:" + _DAY + r"s?|weekdays|weekends?)", re.IGNORECASE)
_DAY_RANGE = re.compile(_DAYS.pattern + r"[ \t]*(?:to|through|thru|-|\u2013|\u2014|and)[ \t]*" + _DAYS.pattern,
                        re.IGNORECASE)
_CLOCK = r"\d{1,2}(?:[:.]\d\d)?(?:[ \t]*(?i:a\.m\.|p\.m\.|am\b|pm\b))?"
_HOURS_AFTER = re.compile(r",?[ \t]+(?:from[ \t]+)?" + _CLOCK + r"[ \t]*(?:to|until|-|\u2013)[ \t]*" + _CLOCK
                          + r"(?:[ \t]+(?:[A-Z]{2,5}\b|(?:[A-Z][a-z]+[ \t]+)?Time\b))?")
# More days and their hours after hours: "; Saturday, 9 a.m. to 1 p.m.".
_MORE_DAYS = re.compile(r"[ \t]*[;,][ \t]*(?:and[ \t]+)?(?:" + _DAY_RANGE.pattern + "|" + _DAYS.pattern + ")",
                        re.IGNORECASE)
_BETWEEN_BEFORE = re.compile(r"\bbetween[ \t]+\Z", re.IGNORECASE)
_TIME_MARK = re.compile(r"\bfrom\b|\d[:.]\d\d|(?i:a\.m\.|p\.m\.|\bam\b|\bpm\b)")  # hours, not a count "2 to 3"
# Both abbreviation patterns start in the last 12 characters only (the lookahead): a grown answer can be
# a 16 KB run of "a.a.a.", from every position of which they would otherwise scan to the end (issue 39).
_ABBREVIATION_CUT = re.compile(r"(?=.{1,12}$)(?<!\w)(?:\w\.)+\w$")
# "p.m.", "U.S.", "Inc.", not "3.x." ending a sentence
_ABBREVIATION_END = re.compile(r"(?=.{1,12}$)(?:(?<!\w)(?:[^\W\d_]\.){2,}$|\b(?:Inc|Ltd|Corp|Co)\.$)")
# A company's legal form, which alone names no one: "B.V." of "Nimbus Home Europe B.V.".
_LEGAL_FORM = re.compile(r"(?:Co\.,? Ltd\.?|[BN]\.V\.|Inc\.?|Ltd\.?|LLC|L\.L\.C\.|GmbH|AG|S\.A\.|SAS|S\.p\.A\.|plc|PLC|Corp\.?|"
                         r"Co\.|Pty\.? Ltd\.?|Oy|AB|ApS|K\.K\.)\Z")
_NAME_WORD = re.compile(r"[^\W\d_][\w&'.-]*")
_NUMBER_END = re.compile(r"[\d%]$|\d[ \t]*(?i:a\.m\.?|p\.m\.?|am|pm)$")  # a number, or a time: "2 a.m."
_MERIDIEM = re.compile(r"[ \t]*(?:a\.m\.|p\.m\.|am\b|pm\b)", re.IGNORECASE)
_ENDS_WITH_MERIDIEM = re.compile(r"(?i:a\.m\.?|p\.m\.?|am|pm)$")
# A deadline's or a limit's word before a quantity: "within 48 hours".
_QUANTITY_BEFORE = re.compile(r"\bwithin[ \t]+\Z", re.IGNORECASE)
_GAP = r"(?:[ \t]*\n[ \t]*|[ \t]+)"  # a space, or a line wrapped: never a blank line
_COUNTED_FROM = re.compile(_GAP + r"of" + _GAP + r"(?:[\w-]+" + _GAP + r"){0,2}[\w-]+(?=[ \t]*(?:[,.;:()]|$))",
                           re.MULTILINE)
# A minimum version or amount: "PostgreSQL 14 or later", "iOS 15 and up".
_OR_LATER = re.compile(r"[ \t]+(?:or|and)[ \t]+(?:later|newer|higher|above|greater|up|more)\b|\+(?![\w+])", re.IGNORECASE)
_AND = re.compile(r"\band\b")
# A question after what is needed, whose answer is a minimum ("Which version does it need?"), not
# after what added something ("Which version added Matter support?": "3.1").
_REQUIRING = frozenset({"need", "needs", "needed", "require", "requires", "required", "minimum", "compatible",
                        "run", "runs"})
_STREET_END = re.compile(r"\b(?:Street|St\.?|Avenue|Ave\.?|Road|Rd\.?|Boulevard|Blvd\.?|Lane|Ln\.?|Drive|Dr\.?|Way|"
                         r"Court|Ct\.?|Place|Pl\.?|Parkway|Pkwy\.?|Square|Sq\.?|Highway|Hwy\.?)\Z")
_UNIT_NUMBER = re.compile(r",?[ \t]+(?:(?:Suite|Ste|Unit|Floor|Fl|Apt|Apartment|Room|Rm|Building|Bldg)\b\.?[ \t]*#?|#)"
                          r"[ \t]*(?=[\w-]*\d|[A-Z]\b)[\w-]+")  # a number or a letter: "Suite 410", "Building C"
_LEGAL_FORM_FIRST = re.compile(_LEGAL_FORM.pattern.replace("\\Z", "(?=,)"))
# "- ", "2. ", and a clause's number before a capitalized word: "3.2 A Member may", "4.4 No excess";
# not "2.4 GHz".
_LIST_MARKER = re.compile(r"[-*\u2022\u2013]\s+|\d{1,3}[.)]\s+(?=\D)|\d{1,3}(?:\.\d{1,3})+[ \t]+(?=[A-Z][a-z]*[ \t])")
# A field's label: "Released: ", a table cell's column header ("Nimbus T5: "), "Phone: ".
_LABEL = re.compile(r"[^:|\n]{1,40}?:[ \t]+(?=\S)")
# A colon or an em dash sets a label off; an en dash or a hyphen joins a range ("Monday \u2013 Friday").
_ASKED_LABEL = re.compile(r"([^\n:\u2014]{1,40}?)[ \t]*(?::|[ \t]\u2014)[ \t]+(?=\S)")
_FIELD_START = re.compile(r"(?:^|\n|\|)[ \t]*(?:[-*\u2022][ \t]+)?$")
# A question after several things: "What tools do I need", "Which API endpoints could be reached".
_LIST_QUESTION = re.compile(
    r"^\s*(?:which|what)\s+(?:[\w-]+\s+){0,3}?[\w-]*[^s\W]s\s+(?:do|does|did|are|were|can|could|should|must|will|have|has)\b",
    re.IGNORECASE)
_ACTION_QUESTION = re.compile(
    r"\bwhat (?:do|should|must|can) (?:i|you|we) (?:have to |need to )?do\b|\bwhat(?: is|'s) the (?:first|next|last) step\b",
    re.IGNORECASE)
# A question's last sentence opening with an auxiliary verb.
# A question's last sentence opening with an auxiliary verb, not a choice ("... in Paris or Lyon?") nor
# a question asked in a question ("Can you tell me what the fee is?"). A dot inside a word ("3.2.1",
# "$119.00") ends no sentence.
_NOT_END = r"(?:[^.!?]|[.!?](?!\s))"
_YES_NO_QUESTION = re.compile(r"(?:^|[.!?]\s+)(?:is|are|was|were|can|could|do|does|did|will|would|should|may|must|has|have)"
                              r"\s+(?!(?:you|anyone|someone)\s+(?:tell|know|say|let|show|explain)\b)"
                              r"(?!" + _NOT_END + r"*\bor\b)" + _NOT_END + r"*\?\s*$", re.IGNORECASE)
# A sentence ends at a full stop before a space and no lower-case word: "8 a.m. to 8 p.m." runs on.
_SENTENCE_END = re.compile(r"[.!?](?=[ \t]*$|[ \t]*\n|\s+[^a-z\s])|\n|$", re.MULTILINE)
# ... and in a yes-or-no question's statement, at a semicolon: "wash it by hand; it is not dishwasher safe".
_STATEMENT_END = re.compile(_SENTENCE_END.pattern + r"|;", re.MULTILINE)
# What joins the next item of a list: "and", "or", or a comma not opening a clause (", which").
_COORDINATION = re.compile(
    r"(?:[ \t]*\([^()\n]*\))?(?:,?[ \t]+(?:and|or)[ \t]+|,[ \t]+(?!(?:which|who|whom|whose|that|because|but|so|"
    r"while|where|when|although|though|if|since|as|unless|until|after|before|including|except|for|with)\b)(?=\w))",
    re.IGNORECASE)
_ITEM_BEFORE = re.compile(r"(?:^|[\s(])([^\s,;:()]+),?[ \t]+(?:and|or)[ \t]+$")
_CONJUNCTION = re.compile(r"[ \t](?:and|or)[ \t]", re.IGNORECASE)
_CLAUSE_END = re.compile(r"[.;:!?](?=\s|$)|\n|$")


def asks_for_several(question: str) -> bool:
    return bool(_LIST_QUESTION.search(question))


def asks_how_many(question: str) -> bool:
    """"How many days do I have ...?": a count, whose answer is the number of things, not a deadline."""
    return bool(re.search(r"\bhow many\b", question, re.IGNORECASE))


def asks_what_to_do(question: str) -> bool:
    """"What do I have to do before ...?", "What's the first step ...?": the answer is an instruction."""
    return bool(_ACTION_QUESTION.search(question))


def asks_yes_or_no(question: str) -> bool:
    """"Can I get my money back for ...?", "I got it through my utility. Is there a fee?": the answer
    is the statement that says yes or no, whole ("... is non-refundable once the visit has been
    completed"), not its predicate alone."""
    return bool(_YES_NO_QUESTION.search(question))


def complete(text: str, start: int, end: int, several: bool = False, instruction: bool = False,
             asked: frozenset[str] = frozenset(), counting: bool = False, statement: bool = False,
             wanted: frozenset[str] = frozenset()) -> tuple[int, int]:
    """The span cut to its first line and without a list marker or a field's label (or a leading
    label of the question's own words, `asked`: "2.3.1 — 2024-01-09" for "When was 2.3.1 released?"),
    grown to whole words, then over a unit that follows a number, then over a range's end; for a
    question after several things (`several`), over the rest of a coordinated list ("A and B"); for a
    question after what to do (`instruction`), to the whole sentence it is in, or its clause after a
    comma; for a yes-or-no question (`statement`), to the whole sentence (or clause between semicolons)
    only. A quantity with its unit takes the "within" of a deadline before it, unless the question asks how many (`counting`). A span
    in a table's cell first moves to the cell whose row and column the question names, of the measure
    it wants (`wanted`; service/tables.py)."""
    start, end = asked_cell(text, start, end, asked, wanted)
    start, end = _first_line(text, start, end)
    start, end = _whole_words(text, start, end)
    start = _without_label(text, start, end)
    unit = _UNIT.match(text, end)
    if unit and _NUMBER_END.search(text[start:end]):
        end = unit.end()
    ranged = _RANGE.match(text, end)
    if ranged and _NUMBER_END.search(text[start:end]) and re.search(r"\d", text[end:ranged.end()]):
        meridiem = _MERIDIEM.match(text, ranged.end())
        if not _ENDS_WITH_MERIDIEM.search(text, start, end):
            end = ranged.end()
            unit = _UNIT.match(text, end) or meridiem
            end = unit.end() if unit else end
        elif meridiem:  # a time's range ends in a time: "6 p.m. and 200 seats" is no range
            end = meridiem.end()
    later = _OR_LATER.match(text, end)
    if later and re.search(r"\d$", text[start:end]) and asked & _REQUIRING:
        end = later.end()
    start, end = (start, end) if counting else _with_deadline(text, start, end)
    start = _range_start(text, start, end)
    start = _between_start(text, start, end)
    start = _without_asked_label(text, start, end, asked)  # after: "2.3.1 — 2024-01-09" is no range
    end = _with_hours(text, start, end, asked)
    end = _with_unit_number(text, start, end)
    start, end = _company_start(text, start, end)
    if several:
        start, end = _coordinated(text, start, end)
    if instruction or statement:
        start, end = _sentence(text, start, end, clause=instruction)
    return _trim(text, start, end)


def _sentence(text: str, start: int, end: int, clause: bool = True) -> tuple[int, int]:
    """Out to the end of the sentence the span is in, and back to its start (on its line, without a
    list marker or a label): an instruction ("Turn off power to your system at the breaker") is the
    whole step, not its first words. Where a clause comes first ("If you have a jumper, do not
    reconnect it"), from the span on (`clause`), else the span as it is: "15% applies to all returns"
    is neither the value nor the statement."""
    line_start = text.rfind("\n", 0, start) + 1
    if in_a_row(text, line_start, _SENTENCE_END.search(text, end).start()):
        return start, end  # a table's cell is the answer, not its row
    ends = _SENTENCE_END if clause else _STATEMENT_END
    boundary = max((m.end() for m in re.finditer(r"[.!?]\s+(?![a-z])" + ("" if clause else r"|;\s+"),
                                                 text[line_start:start])), default=0)
    first = line_start + boundary
    marker = _LIST_MARKER.match(text, first)  # not cut at the span: the marker looks at the word after it
    first = marker.end() if marker and marker.end() <= start else first
    while first < start and text[first].isspace():
        first += 1
    sentence_end = max(end, ends.search(text, end).start())
    if "," in text[first:start]:
        return (start, sentence_end) if clause else (start, end)
    return _without_label(text, first, sentence_end), sentence_end


def _range_start(text: str, start: int, end: int) -> int:
    """Back over a range's start when the span is its end and both are numbers ("3.0 through 3.2.1")
    or both days or months ("Monday to Friday"), not places ("Paris to London")."""
    before = _RANGE_BEFORE.search(text, max(0, start - 40), start)
    if before is None:
        return start
    opening, closing = before.group(1), text[start:end]
    if (opening[:1].isdigit() and closing[:1].isdigit()) or (_CALENDAR.match(opening) and _CALENDAR.match(closing)):
        return before.start(1)
    return start


def _with_hours(text: str, start: int, end: int, asked: frozenset[str]) -> int:
    """Over the hours that follow days ("Monday to Friday, 8 a.m. to 8 p.m. Eastern Time"), and, unless
    the question names days itself ("on weekdays"), over more days with their hours after them (";
    Saturday, 9 a.m. to 1 p.m."): opening hours are the days and the times together."""
    if _DAYS.fullmatch(text, start, end) or _DAY_RANGE.fullmatch(text, start, end):
        hours = _HOURS_AFTER.match(text, end)
        if not (hours and _TIME_MARK.search(hours.group())):
            return end
        end = hours.end()
    elif not (_DAYS.match(text, start, end) and _TIME_MARK.search(text, start, end)):
        return end
    if any(_DAYS.fullmatch(word) for word in asked):
        return end
    while more := _MORE_DAYS.match(text, end):
        hours = _HOURS_AFTER.match(text, more.end())
        if not (hours and _TIME_MARK.search(hours.group())):
            break
        end = hours.end()
    return end


def _between_start(text: str, start: int, end: int) -> int:
    """Back over "between" before a span of two numbers joined by "and" ("between 10 °C and 25 °C")."""
    before = _BETWEEN_BEFORE.search(text, max(0, start - 10), start)
    if before and _numbers_joined_by_and(text[start:end]):
        return before.start()
    return start


def _numbers_joined_by_and(span: str) -> bool:
    """A digit, then the word "and", then a digit, on one line: in linear time, where the pattern
    saying so (a digit, anything, "and", anything, a digit) backtracks over every digit it starts at."""
    for line in span.split("\n"):
        digits = [at for at, char in enumerate(line) if char.isdigit()]
        if digits and any(digits[0] < m.start() and m.end() <= digits[-1] for m in _AND.finditer(line)):
            return True
    return False


def _company_start(text: str, start: int, end: int) -> tuple[int, int]:
    """Back over the capitalized words of a company's name, in its sentence, when the span is its
    legal form alone ("Nimbus Home Europe B.V.", "\u00c5berg Holding AB") or starts with it and runs
    on into the address ("B.V., Lindenlaan")."""
    first_form = _LEGAL_FORM_FIRST.match(text, start, end)
    if first_form and re.search(r"[A-Z\u00c0-\u00de][\w&'.-]*[ \t]+\Z", text[max(0, start - 40):start]):
        end = first_form.end()  # a name before it: "Nimbus Home Europe B.V., Lindenlaan"; not "a PLC, SCADA"
    if not _LEGAL_FORM.match(text, start, end):
        return start, end
    first = start
    for word in reversed(list(_NAME_WORD.finditer(text, max(0, start - 80), start))[-6:]):
        between = text[word.end():first]
        if not word.group()[0].isupper() or between.strip() or word.group()[-1] in ".!?" and first != start:
            break
        first = word.start()
    return first, end


def _with_unit_number(text: str, start: int, end: int) -> int:
    """Over the suite, unit or floor after a street address: "2200 Alder Street, Suite 410"."""
    if not _STREET_END.search(text, start, end):
        return end
    unit = _UNIT_NUMBER.match(text, end)
    return unit.end() if unit else end


def _with_deadline(text: str, start: int, end: int) -> tuple[int, int]:
    """Back over "within" before a quantity with its unit ("within 48 hours"): a deadline, not a
    duration; and over a short "of ..." that says from when, up to a clause's end ("within 60 days
    of purchase")."""
    if not (_UNIT.search(text, start, end) and text[start:start + 1].isdigit()):
        return start, end
    before = _QUANTITY_BEFORE.search(text, max(0, start - 12), start)
    if before is None:
        return start, end
    counted_from = _COUNTED_FROM.match(text, end)
    return before.start(), counted_from.end() if counted_from else end


def _without_label(text: str, start: int, end: int) -> int:
    """Past a label that opens a field ("Nimbus T5: 15%" in a table row, "Released: May 7, 2024"):
    the answer is the value, the label only says which value it is."""
    label = _LABEL.match(text, start, end)
    if label and label.end() < end and _FIELD_START.search(text, max(0, start - 3), start):
        return label.end()
    return start


def _without_asked_label(text: str, start: int, end: int, asked: frozenset[str]) -> int:
    """Past words the question already says, set off by a colon or a dash ("2.3.1 — 2024-01-09", a
    changelog's heading): they say which value it is, the rest is the answer."""
    label = _ASKED_LABEL.match(text, start, end)
    return label.end() if label and label.end() < end and _only_asked(label.group(1), asked) else start


def _only_asked(label: str, asked: frozenset[str]) -> bool:
    """Whether a label says only words the question says (and some)."""
    said = words(label)
    return bool(said) and all(word in asked for word in said)


def _coordinated(text: str, start: int, end: int) -> tuple[int, int]:
    """Over the items that follow the span in its clause when one is joined to it ("a screwdriver
    and a drill with a 5 mm bit"), not past the last item, and back over one word-like item joined
    before a word-like span ("/api/v1/wifi and /api/v1/setpoint")."""
    reach = _CLAUSE_END.search(text, end).start() if _COORDINATION.match(text, end) else end
    # The list ends with the item after its last "and"/"or", in the span or after it: "Delta, JetBlue
    # and United Airlines, have partnered ..." stops before ", have".
    conjunctions = list(_CONJUNCTION.finditer(text, start, reach))
    comma = text.find(",", conjunctions[-1].end(), reach) if conjunctions else -1
    end = comma if comma > start else max(end, reach)
    window = max(0, start - 80)
    before = _ITEM_BEFORE.search(text[window:start])
    if before and not any(char.isspace() for char in text[start:end]):
        start = window + before.start(1)
    return start, end


def _first_line(text: str, start: int, end: int) -> tuple[int, int]:
    """An answer does not run over a line break: on structured documents (table rows, list items,
    a name above an e-mail line) the next line is another field, not more of the answer. A span of
    whitespace alone stays as it is."""
    first, last = start, end
    while first < last and text[first].isspace():
        first += 1
    newline = text.find("\n", first, last)
    if newline > first:
        last = newline
    last = cell_end(text, first, last)  # a table row's next cell is another field too
    while last > first and text[last - 1].isspace():
        last -= 1
    if first == last:
        return start, end
    marker = _LIST_MARKER.match(text, first, last)
    if marker and marker.end() < last:
        first = marker.end()
    return first, last


def _whole_words(text: str, start: int, end: int) -> tuple[int, int]:
    """Out to the ends of the words the span cuts. Punctuation joins only between word characters
    (support@nimbushome.example, 3.2.1), a hyphen only before a digit (1-800-555-0142): "24-yard"
    and "New York-based" keep their words apart, a citation mark after "Sekulić.:32" stays outside."""
    def joins(index: int, step: int) -> bool:
        char, beyond = text[index], index + step
        if char.isalnum() or char == "_":
            return True
        if not _INNER.match(char) or not 0 <= beyond < len(text):
            return False
        return text[beyond].isdigit() if char == "-" else text[beyond].isalnum()

    while start > 0 and _INNER.match(text[start]) and joins(start - 1, -1):
        start -= 1
    while end < len(text) and end > start and _INNER.match(text[end - 1]) and joins(end, +1):
        end += 1
    if start > 0 and text[start - 1] == "/" and (start == 1 or text[start - 2].isspace()):
        start -= 1  # a path: /api/v1/wifi
    if start > 0 and text[start - 1] == "+" and text[start].isdigit() and (start == 1 or not text[start - 2].isalnum()):
        start -= 1  # an international phone number: +44 20 7946 0321
    if end < len(text) and text[end] == "." and _ABBREVIATION_CUT.search(text, start, end):
        end += 1  # "2 p.m" was cut from its last full stop
    return start, end


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Without sentence punctuation at the end or an opening quote or bracket at the start."""
    opened, closed = text.count("(", start, end), text.count(")", start, end)  # kept as `end` moves: linear
    while end > start + 1 and text[end - 1] in _EDGE_PUNCTUATION:
        if text[end - 1] in ")]}" and opened > closed - 1:
            break  # a closing bracket whose opening one is inside the answer stays
        if text[end - 1] == "." and _ABBREVIATION_END.search(text, start, end):
            break  # "2 p.m.", "U.S.": the full stop is the abbreviation's
        closed -= text[end - 1] == ")"
        end -= 1
    while start < end - 1 and text[start] in _OPENING:
        start += 1
    return start, end
