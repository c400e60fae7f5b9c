"""Whether a question is a follow-up (service/followup.py): a fragment after "and", "what about" or
"how about" (or one that could be nothing else: "On Sundays?", "Weekends?"), or a question with a
pronoun whose antecedent is not in the question itself."""

from __future__ import annotations

from groundqa.service.followup_text import Token
from groundqa.service.followup_words import (BE, DETERMINERS, DO, PERSON_PRONOUNS, PREPOSITIONS, THING_PRONOUNS,
                                             VERBS, WH)

_MARKERS = frozenset("and also or so but ok okay".split())
_CLAUSE = frozenset("when if while whether".split())
# Words that open a clause of the question's own, where a pronoun may stand for a noun before them.
_INSIDE = frozenset(", . ! ? ; : - – if when because while once unless although after before until since and".split())
_POSSESSIVES = frozenset("its their his her".split())


_COMPOUND_PREPOSITIONS = (("out", "of"), ("up", "to"), ("instead", "of"), ("outside", "of"), ("because", "of"))


def preposition_length(tokens: list[Token], index: int) -> int:
    """How many words make the preposition at `index` ("out of": 2), 0 if there is none."""
    pair = tuple(t.low for t in tokens[index:index + 2])
    if pair in _COMPOUND_PREPOSITIONS:
        return 2
    return 1 if index < len(tokens) and tokens[index].low in PREPOSITIONS else 0


def fragment_start(tokens: list[Token]) -> int | None:
    """Where the fragment of a fragment follow-up begins ("and [at Westmere]?", "what about
    [weekends]?"), None when the question is not one."""
    words = [t.low for t in tokens]
    at = 0
    while at < len(words) and (words[at] in _MARKERS or words[at] == ","):
        at += 1
    marked = at > 0
    if words[at:at + 2] in (["what", "about"], ["how", "about"]):
        at, marked = at + 2, True
    elif at < len(words) and words[at] == "same":  # "same for X", "same question for X"
        at += 1 + (words[at + 1:at + 2] == ["question"])
        at += at < len(words) and words[at] in ("for", "with", "about")
        marked = True
    while at < len(words) and words[at] == ",":
        at += 1
    rest = [t for t in tokens[at:] if t.is_word]
    if not rest:
        return None
    if rest[0].low in _CLAUSE:
        return at if marked and (len(rest) < 2 or rest[1].low not in BE | DO) else None
    if rest[0].low in WH or any(t.low in BE | DO for t in rest):
        return None  # a whole question ("And how much does it cost?")
    if marked:
        return at
    if preposition_length(rest, 0) and len(rest) <= 6:
        return at  # "For students?"
    if len(rest) <= 3 and all(t.has_digit or t.is_time for t in rest):
        return at  # "Weekends?", "2024?" (a bare name may ask about the name: it needs "and" or "what about")
    return None


# Words by which a whole question says it goes on from the one before ("and when ...?", "is it still
# ...?", "what if I ... instead?"): such a question, left as asked, is also read in the setting of
# the one before (followup_choice).
_GOES_ON_FIRST = frozenset("and but so or also".split())
_GOES_ON = frozenset("still instead otherwise else".split())
_GOES_ON_LAST = frozenset("too either".split())
_SHORT = 9  # words: a longer question with "still" or "else" ("Can I still get a refund after ...?") names its own


def goes_on(tokens: list[Token]) -> bool:
    """Whether a short question says it goes on from the previous one: it opens with a conjunction or
    "what if", holds "still", "instead", "otherwise" or "else", or ends with "too", "either" or "as well"."""
    words = [t.low for t in tokens if t.is_word]
    if not words or len(words) > _SHORT:
        return False
    return (words[0] in _GOES_ON_FIRST or words[:2] == ["what", "if"] or bool(_GOES_ON & set(words))
            or words[-1] in _GOES_ON_LAST or words[-2:] == ["as", "well"])


def pronoun_indexes(tokens: list[Token]) -> list[int]:
    """The pronouns that stand for something outside the question."""
    found = []
    for index, token in enumerate(tokens):
        word = token.low
        if word in THING_PRONOUNS | PERSON_PRONOUNS:
            if not _antecedent_inside(tokens, index):
                found.append(index)
        elif word == "there" and not _existential(tokens, index):
            found.append(index)
        elif word == "then" and _last_word(tokens, index):
            found.append(index)
        elif word in ("that", "this") and _standing_alone(tokens, index) and not _antecedent_inside(tokens, index):
            found.append(index)
        elif word == "one" and index > 0 and tokens[index - 1].low in VERBS | PREPOSITIONS \
                and _last_word(tokens, index):
            found.append(index)
    return found


def referring_pronouns(tokens: list[Token]) -> list[int]:
    """`pronoun_indexes` without an "it" that stands for what follows it (`is_dummy_it`)."""
    return [i for i in pronoun_indexes(tokens) if not (tokens[i].low == "it" and is_dummy_it(tokens, i))]


def is_dummy_it(tokens: list[Token], index: int) -> bool:
    """"it" that stands for what follows: "How long does it take to ...", "Is it possible to ..."."""
    for ahead in range(index + 2, min(index + 5, len(tokens))):
        word = tokens[ahead].low
        if word in ("if", "whether", "before", "until", "once") or (word == "to" and ahead + 1 < len(tokens)
                                          and tokens[ahead + 1].low not in DETERMINERS
                                          and not tokens[ahead + 1].has_digit and not tokens[ahead + 1].is_name):
            return True
        if not tokens[ahead].is_word:
            return False
    return False


def _antecedent_inside(tokens: list[Token], index: int) -> bool:
    """A noun the pronoun may stand for in its own question: before a possessive ("How long is Amazon's
    ban on police use of its technology?"), or before a clause of its own ("If my parcel is lost, can
    I get a refund for it?"); not in the question word's phrase ("What interest does it charge?")."""
    begin = _after_question_word(tokens)
    nouns = [i for i in range(begin, index) if tokens[i].is_content and tokens[i].low not in VERBS]
    if not nouns:
        return False
    if tokens[0].low not in WH | BE | DO | _MARKERS:  # a statement first: "I've pulled my T2 off to reset it."
        return True
    if tokens[index].low in _POSSESSIVES and (tokens[index].low != "her" or _owns(tokens, index)):
        return True
    if _opens_clause(tokens, index):  # "how much did the rents go up the last time [they] were reviewed"
        return True
    return any(tokens[i].low in _INSIDE for i in range(nouns[0] + 1, index))


def _opens_clause(tokens: list[Token], index: int) -> bool:
    """A subject pronoun after a noun and before its verb: the subject of a clause inside the question."""
    after = tokens[index + 1].low if index + 1 < len(tokens) else ""
    before = tokens[index - 1]
    if tokens[index].low not in ("it", "they", "he", "she"):
        return False
    if after.endswith("ing") and before.low in PREPOSITIONS:  # "without it ending my leave"
        return True
    return before.is_content and before.low not in VERBS and after in BE | DO | VERBS


def _after_question_word(tokens: list[Token]) -> int:
    """Where the question proper begins: after its auxiliary ("How many days a week [can] ...")."""
    asked = next((i for i, t in enumerate(tokens[:2]) if t.low in WH), None)
    if asked is None:
        return 0
    return next((i + 1 for i in range(asked + 1, len(tokens)) if tokens[i].low in BE | DO), asked + 1)


def _owns(tokens: list[Token], index: int) -> bool:
    return index + 1 < len(tokens) and tokens[index + 1].is_content


def _existential(tokens: list[Token], index: int) -> bool:
    before = tokens[index - 1].low if index > 0 else ""
    after = tokens[index + 1].low if index + 1 < len(tokens) else ""
    return before in BE | {"be"} or after in BE | {"be", "will", "would", "should", "must", "may", "might"}


def _last_word(tokens: list[Token], index: int) -> bool:
    return all(not t.is_word for t in tokens[index + 1:])


def _standing_alone(tokens: list[Token], index: int) -> bool:
    """"that" or "this" as a pronoun ("How long does that take?"), not before its noun ("that plan")."""
    after = tokens[index + 1] if index + 1 < len(tokens) else None
    if after is None or not after.is_word:
        return True
    if index > 0 and tokens[index - 1].is_content and tokens[index - 1].low not in VERBS:
        return False  # "the form that ...": a relative pronoun
    return after.low in BE | DO | VERBS or (index == 1 and tokens[0].low in BE | DO)
