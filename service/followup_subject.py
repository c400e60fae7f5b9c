"""What a pronoun of a follow-up stands for in the questions before it (service/followup.py)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Sequence

from groundqa.service.followup_text import Parsed, Phrase, Token, name_at, parse, runs, title_joins
from groundqa.service.followup_words import BE, DETERMINERS, PERSON_PRONOUNS, PERSONAL, VERBS

if TYPE_CHECKING:
    from groundqa.service.followup import Turn

_PREDICATES = frozenset("available open closed due valid free eligible required needed allowed possible "
                        "refundable payable accepted included covered late".split())


def antecedent(pronoun: str, earlier: Sequence["Turn"]) -> str | None:
    """What the pronoun stands for, from the latest turn that has something of its kind (in its
    question's last sentence: "I'm uninsured. What's the price of an MRI?" asks about the MRI)."""
    for turn in reversed(earlier):
        parsed = parse(_last_sentence(turn.question))
        found = _antecedent_in(pronoun, turn.answer, parsed) if parsed.tokens else None
        if found:
            return found
    return None


def _a_name(phrase: str) -> bool:
    """Whether a phrase names someone ("Priya Ashdown") rather than describing them ("the manager")."""
    parsed = parse(phrase)
    return bool(parsed.tokens) and all(token.is_name for token in parsed.tokens)


def _antecedent_in(pronoun: str, answer: str, parsed: Parsed) -> str | None:
    tokens, asked = parsed.tokens, parsed.tokens[0].low
    short_answer = bool(answer) and len(answer.split()) <= 6
    if pronoun in PERSON_PRONOUNS or (pronoun in ("they", "them", "their") and asked in ("who", "whom")):
        if asked in ("who", "whom"):  # "Who is the Claims Team Manager?" "Priya Ashdown": "her" is Priya Ashdown
            asked_about = subject(parsed) if len(tokens) > 1 and tokens[1].low in BE else None
            if asked_about and _a_name(asked_about):  # "Who is Priya Ashdown?" "the claims manager": still her
                return asked_about
            if short_answer:
                return answer
            # no answer shown: "Who is the Claims Team Manager?" asks about the Claims Team Manager
            if asked_about:
                return asked_about
        names = [p for p in runs(parsed, name_at) if p.last - p.first >= 2]
        return names[-1].text if names else None
    pps = parsed.prepositional_phrases()
    if pronoun == "there":
        places = [whole.text for whole, obj in pps if tokens[whole.first].low in ("at", "in", "on")
                  and any(t.is_name for t in tokens[obj.first:obj.last])]
        return places[-1] if places else None
    if pronoun == "then":
        times = [whole.text for whole, obj in pps if any(t.is_time for t in tokens[obj.first:obj.last])]
        return times[-1] if times else None
    if asked in ("who", "whom") and parsed.aux() is not None:
        return None  # "Who is the president of X?" asks for a person: "it" is not the president
    if pronoun in ("one", "ones"):  # "Who can hold one?" after "... of the travel card?": "a travel card"
        phrases = [p for p in parsed.noun_phrases() if p.first > 0]
        if not phrases:
            return None
        words = phrases[-1].text.split()
        words = words[words[0].lower() in DETERMINERS:]
        return ("an " if words[0][:1].lower() in "aeiou" else "a ") + " ".join(words)
    if asked == "which" and short_answer and parsed.aux() is None and len(tokens) > 1 and tokens[1].is_content:
        noun = tokens[1].text  # "Which plan includes roaming?" "Growth": "it" is the Growth plan
        return answer if noun.lower() in answer.lower() else f"the {answer} {noun}"
    span = _subject(parsed)
    if pronoun in ("they", "them", "their") and (span is None or not _plural(tokens[span[0].last - 1])):
        plural = [p for p in parsed.noun_phrases() if p.first > 0 and _plural(tokens[p.last - 1])]
        if plural:  # "are they electric?" after "Are there pool cars at the Leeds depot?": the pool cars
            return plural[0].text
    if span is None:
        return None
    noun, last = span
    if pronoun in ("its", "their") and noun.last < last and tokens[noun.last].low in ("of", "for", "on"):
        # "What is the joining fee for Standard?" then "What's its minimum term?": the owner, Standard
        return parsed.phrase(noun.last + 1, last).text
    return _without_limit(parsed.phrase(noun.first, last).text)


_LIMITS = re.compile(r"^((?:the|a|an)\s+)(?:maximum|minimum|max|min)\s+(?=\w)", re.IGNORECASE)


def _without_limit(phrase: str) -> str:
    """A pronoun stands for the thing, not for the limit on it: "the maximum carry-over of leave" ->
    "the carry-over of leave" ("by when must it be used?")."""
    return _LIMITS.sub(r"\1", phrase, count=1)


_UNITS_OF_TIME = frozenset("seconds minutes hours days weeks months years".split())


def _plural(token: Token) -> bool:
    """A common noun's plural by its ending ("cars", "fees"; not "class", "bus", a name, a time nor
    a unit of time: "office hours" are not what "they" stand for)."""
    word = token.low
    return (len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "'s"))
            and word not in _UNITS_OF_TIME
            and not token.is_name and not token.is_time and not token.has_digit)


_SENTENCE_BREAK = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


def _last_sentence(text: str) -> str:
    """The last sentence that asks something ("What does T5 cost? Asking for a friend." asks about
    T5), else the last sentence."""
    sentences: list[str] = []
    for piece in _SENTENCE_BREAK.split(text.strip()):
        if sentences and title_joins(sentences[-1], piece):  # "at St. Aldric?" is one sentence
            sentences[-1] += " " + piece
        else:
            sentences.append(piece)
    return next((s for s in reversed(sentences) if s.rstrip().endswith("?")), sentences[-1])


def subject(parsed: Parsed) -> str | None:
    """The question's subject with the phrases that qualify it ("the maximum carry-over of leave at
    the Bristol office"; never a time nor "per month"); after "do I", the object of the verb."""
    span = _subject(parsed)
    return None if span is None else parsed.phrase(span[0].first, span[1]).text


def _subject(parsed: Parsed) -> tuple[Phrase, int] | None:
    """The subject's noun phrase, and where the phrases qualifying it end."""
    tokens = parsed.tokens
    aux = parsed.aux()
    phrases = parsed.noun_phrases()
    if aux is None:  # "Who handles repairs?": the first noun phrase after the verb
        after = [p for p in phrases if p.first > 1]
        return (after[0], after[0].last) if after else None
    first = aux + 1
    if first < len(tokens) and tokens[first].low in PERSONAL:  # "What number do I call for ...?"
        # ... the first thing named after it, not a verb: "do I have to give before taking [paternity leave]"
        starts = {p.first for p in phrases}
        after = [p for p in (_without_verbs(parsed, p, starts) for p in phrases if p.first > first) if p is not None]
        return (after[0], _with_qualifiers(parsed, after[0].last, True)) if after else None
    noun = next((p for p in phrases if p.first == first), None)
    if noun is None:
        return None
    last = _with_qualifiers(parsed, noun.last, tokens[aux].low in BE)
    if tokens[aux].low in BE and last - noun.first > 1 and tokens[last - 1].low in _PREDICATES:
        last -= 1  # "When is Tomasz Lewicki available?"
    return noun, last


def _without_verbs(parsed: Parsed, phrase: Phrase, starts: set[int]) -> Phrase | None:
    """The phrase without the verb forms it starts with ("taking paternity leave" -> "paternity
    leave"), its last word always kept ("for parking", "request leave"); None where all of it is a verb
    by its place: an infinitive ("to give") or a verb before its object ("using | a meeting room";
    `starts`: where the question's noun phrases start)."""
    tokens = parsed.tokens
    if all(t.low in VERBS for t in tokens[phrase.first:phrase.last]) and (
            phrase.last in starts or (phrase.first > 0 and tokens[phrase.first - 1].low == "to")):
        return None
    first = phrase.first
    while first < phrase.last - 1 and tokens[first].low in VERBS:
        first += 1
    return parsed.phrase(first, phrase.last)


def _with_qualifiers(parsed: Parsed, last: int, any_preposition: bool) -> int:
    """The end of a noun phrase with the prepositional phrases after it ("of leave at the Bristol
    office"); after a do-verb's subject only "of" and "for"; never a time or "per month"."""
    tokens = parsed.tokens
    pps = {whole.first: whole for whole, obj in parsed.prepositional_phrases()
           if not any(t.is_time for t in tokens[obj.first:obj.last])}
    while last in pps and tokens[last].low != "per" and (any_preposition or tokens[last].low in ("of", "for")):
        last = pps[last].last
    return last

