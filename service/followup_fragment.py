"""Fragment follow-ups (service/followup.py): "and Growth?", "what about weekends?", "And at
Westmere?", "and for a high one?" take the place of the previous question's phrase of their kind (the
same preposition, shared words, a name for a name, a number for a number, a time for a time; the
embedder's similarity breaks ties), or are added to it when nothing there is of their kind."""

from __future__ import annotations

from typing import Callable, Sequence

from groundqa.service.followup_lead import preposition_length
from groundqa.service.followup_text import Parsed, Phrase, Token, name_at, number_at, runs, stems, time_at
from groundqa.service.followup_words import (BE, DETERMINERS, DO, ORDINALS, PERSONAL, PLACE_ADVERBS, PREPOSITIONS,
                                             THING_PRONOUNS)

# Scores texts against one text (higher: nearer in meaning), for choosing among same-kind phrases.
Similarity = Callable[[str, Sequence[str]], Sequence[float]]


def fill_fragment(parsed: Parsed, start: int, before: Parsed, similarity: Similarity | None) -> str | None:
    """The previous question with the fragment in place of its phrase of the fragment's kind."""
    tokens, end = parsed.tokens, len(parsed.tokens)
    while end > start and not tokens[end - 1].is_word:
        end -= 1
    if end <= start or not before.tokens:
        return None
    fragment = parsed.phrase(start, end)
    opening = tokens[start].low
    if preposition_length(tokens, start):
        return _replace_prepositional(fragment, parsed, before, similarity)
    if opening in ("when", "if", "while", "whether"):
        at = next((i for i, t in enumerate(before.tokens) if i and t.low == opening), None)
        if at is None:  # "what about if we were on Essentials?" after "... covered on the Plus policy?"
            prepositions = {t.low for t in before.tokens if t.low in PREPOSITIONS}
            own = [whole for whole, _ in parsed.prepositional_phrases()
                   if whole.first == start + 3 and whole.last == end and tokens[whole.first].low in prepositions]
            if own and tokens[start + 1].low in PERSONAL | THING_PRONOUNS and tokens[start + 2].low in BE:
                return _replace_prepositional(own[0], parsed, before, similarity)  # "if" + "we" + "were" + phrase
            return appended(before.text, fragment.text)
        return close(before.text[:before.tokens[at].start] + " " + _clause_subject_kept(parsed, start, before, at))
    if opening in PLACE_ADVERBS:
        places = [_with_place_adverb(before, whole) for whole, obj in before.prepositional_phrases()
                  if _is_place(before, obj)]
        return _replace(before.text, fragment.text, [(p, 1.0) for p in places[-1:]], None) or appended(
            before.text, fragment.text)
    return _replace_noun_phrase(fragment, parsed, before, similarity)


def _clause_subject_kept(parsed: Parsed, start: int, before: Parsed, at: int) -> str:
    """The fragment's clause, its pronoun subject replaced by the subject of the clause it replaces:
    "when it is £50,000 or more" for "when the annual rent is below £50,000" is "when the annual rent
    is £50,000 or more"."""
    tokens, theirs = parsed.tokens, before.tokens
    text = parsed.text[tokens[start].start:].rstrip(" ?")
    if start + 1 >= len(tokens) or tokens[start + 1].low != "it":  # "they are" would need its verb changed
        return text
    verb = next((i for i in range(at + 1, len(theirs)) if theirs[i].low in BE | DO or i in before.verbs), None)
    if verb is None or verb == at + 1:
        return text
    subject = before.text[theirs[at + 1].start:theirs[verb - 1].end]
    pronoun = tokens[start + 1]
    return text[:pronoun.start - tokens[start].start] + subject + text[pronoun.end - tokens[start].start:]


def _replace_prepositional(fragment: Phrase, parsed: Parsed, before: Parsed, similarity: Similarity | None) -> str:
    """"And at Westmere?": in place of the previous question's phrase with the same preposition (or
    sharing words); "for a high one" keeps the noun it leaves out."""
    length = preposition_length(parsed.tokens, fragment.first)
    preposition = " ".join(t.low for t in parsed.tokens[fragment.first:fragment.first + length])
    words = stems(fragment.text)
    choices = [(whole, 3.0 * (" ".join(t.low for t in before.tokens[whole.first:obj.first]) == preposition)
                + 2.0 * len(words & stems(obj.text))) for whole, obj in before.prepositional_phrases()]
    text = fragment.text
    modifiers = _elided(parsed.tokens[fragment.first + length:fragment.last])
    objects = {whole.start: obj for whole, obj in before.prepositional_phrases()}
    if modifiers:  # "for a high one" is nearest to "for a critical vulnerability" by "high" ~ "critical"
        shown = " ".join(t.text for t in modifiers)
        chosen = _choose(shown, choices, similarity, lambda whole: _modifier_text(before, objects[whole.start]))
    else:
        chosen = _choose(text, choices, similarity)
    if chosen is None:
        said = [t for t in runs(before, time_at) if t.first > 0 and before.tokens[t.first - 1].low in BE]
        if said and any(t.is_time for t in parsed.tokens[fragment.first + length:fragment.last]):
            # "And on a weekday?" after "It's Saturday. What does a call-out cost?": the time, not the preposition
            return _replace(before.text, parsed.phrase(fragment.first + length, fragment.last).text,
                            [(said[-1], 1.0)], None)
        return appended(before.text, text)
    nested = sum(1 for whole, _ in parsed.prepositional_phrases() if fragment.first < whole.first < fragment.last)
    following = {whole.first: whole for whole, _ in before.prepositional_phrases()}
    for _ in range(nested):  # "for the ferry to Mull" in place of "for the ferry to Skye", not of "for the ferry"
        if chosen.last in following:
            chosen = before.phrase(chosen.first, following[chosen.last].last)
    if modifiers:  # "for a high one" in place of "for a critical vulnerability": "for a high vulnerability"
        obj = objects[chosen.start]
        text = text[:modifiers[0].start - fragment.start] + _with_new_modifiers(before, obj, modifiers, parsed.text)
        if not any(t.low in DETERMINERS for t in parsed.tokens[fragment.first:fragment.last]):
            text = text.replace(" ", " " + _determiner(before, obj), 1) if _determiner(before, obj) else text
    return close(before.text[:chosen.start] + text + before.text[chosen.end:])


def _replace_noun_phrase(fragment: Phrase, parsed: Parsed, before: Parsed, similarity: Similarity | None) -> str | None:
    tokens = parsed.tokens
    first = fragment.first + (tokens[fragment.first].low in DETERMINERS)
    core = [t for t in tokens[first:fragment.last] if t.low not in ("one", "ones")]
    if not core:
        return None
    modifiers = _elided(tokens[first:fragment.last])
    if modifiers:  # "the 5GB one", "an urgent one": only the previous phrase's modifier changes
        heads = {p.last - 1 for p in before.noun_phrases()}
        choices = [(s, _span_score(core, s, before)) for s in _spans(before)
                   if s.last - 1 not in heads or s.last - s.first > 1]
        chosen = _choose(" ".join(t.text for t in core), choices, similarity)
        text = parsed.text[core[0].start:core[-1].end]
        return None if chosen is None else close(before.text[:chosen.start] + text + before.text[chosen.end:])
    whole = len(core) > 1 or first > fragment.first  # a phrase of its own: it replaces a whole one
    spans = _noun_phrases(before, core) if whole else _spans(before)
    choices = [(span, _span_score(core, span, before)) for span in spans]
    if max((score for _, score in choices), default=0.0) < 1.0 and similarity is None:
        choices = []  # nothing of its kind and no way to tell which word it stands for
    chosen = _choose(fragment.text, choices, similarity)
    if chosen is None:
        return appended(before.text, _time_phrase(fragment.text, core)) if any(t.is_time for t in core) else None
    names = _names_in_place(core, chosen, before)
    if names is not None:  # "the Enterprise plan" for "the Team support plan": "the Enterprise support plan"
        named, text = names
        return _replace(before.text, text, [(named, 1.0)], None)
    text = fragment.text
    if chosen.text.split()[0].lower() in DETERMINERS and first == fragment.first and core[0].is_name:
        text = chosen.text.split()[0] + " " + text  # "the Starter plan" -> "the Growth plan"
    return close(before.text[:chosen.start] + text + before.text[chosen.end:])


def _names_in_place(core: list[Token], chosen: Phrase, before: Parsed) -> tuple[Phrase, str] | None:
    """Where a fragment of names and then words the chosen phrase already holds ("Enterprise plan"
    for "the Team support plan") only swaps names: the chosen phrase's names, and the fragment's."""
    count = next((i for i, t in enumerate(core) if not t.is_name), len(core))
    if not 0 < count < len(core) or not stems(" ".join(t.text for t in core[count:])) <= stems(chosen.text):
        return None
    inside = [p for p in runs(before, name_at) if chosen.first <= p.first and p.last <= chosen.last]
    if len(inside) != 1:
        return None
    return inside[0], " ".join(t.text for t in core[:count])


def _noun_phrases(before: Parsed, core: list[Token]) -> list[Phrase]:
    """The noun phrases a phrase may replace, each with its "of" phrase too where the fragment has
    one ("a household of 6" for "a household of 4")."""
    following = {whole.first: whole for whole, _ in before.prepositional_phrases()}
    asked = before.aux()
    found = []
    for noun in before.noun_phrases():
        if asked is not None and noun.last <= asked and before.tokens[0].low in ("what", "which", "how"):
            continue  # the question word's own phrase ("What interest")
        found.append(noun)
        last = noun.last
        while "of" in [t.low for t in core] and last in following and before.tokens[last].low == "of":
            last = following[last].last
            found.append(before.phrase(noun.first, last))
    return found


def _elided(tokens: Sequence[Token]) -> list[Token]:
    """The modifiers of a phrase that leaves its noun out ("a high one", "the 5GB one", "a third")."""
    words = [t for t in tokens if t.is_word and t.low not in DETERMINERS]
    if words and words[-1].low in ("one", "ones"):
        return words[:-1]
    return words if len(words) == 1 and words[0].low in ORDINALS else []


def _with_new_modifiers(before: Parsed, obj: Phrase, modifiers: list[Token], source: str) -> str:
    """The object with its first modifiers replaced: "a second bus conduct report" -> "a third bus ..."."""
    words = [i for i in range(obj.first, obj.last) if before.tokens[i].low not in DETERMINERS]
    new = source[modifiers[0].start:modifiers[-1].end]
    return new if len(words) <= len(modifiers) else new + " " + before.phrase(words[len(modifiers)], obj.last).text


def _modifier_text(before: Parsed, obj: Phrase) -> str:
    """An object's words before its noun ("critical" of "a critical vulnerability")."""
    words = [t.text for t in before.tokens[obj.first:obj.last] if t.low not in DETERMINERS]
    return " ".join(words[:-1]) or " ".join(words)


def _determiner(before: Parsed, obj: Phrase) -> str:
    word = before.tokens[obj.first]
    return word.text if word.low in DETERMINERS else ""


def _spans(before: Parsed) -> list[Phrase]:
    """What a fragment may replace: runs of names, numbers and times, and single content words."""
    tokens = before.tokens
    spans = runs(before, name_at) + runs(before, number_at) + runs(before, time_at)
    spans += [before.phrase(i, i + 1) for i, t in enumerate(tokens)
              if before.in_phrase(i) and t.is_content and not t.is_name and not t.has_digit and not t.is_time]
    asked = before.aux()
    unique = {(s.start, s.end): s for s in spans
              if asked is None or s.first > asked or tokens[0].low not in ("what", "which", "how")}
    return list(unique.values())


def _kind(tokens: Sequence[Token]) -> set[str]:
    return {"number" if t.has_digit else "time" if t.is_time else "name" if t.is_name else "word" for t in tokens}


def _span_score(core: list[Token], span: Phrase, before: Parsed) -> float:
    """Shared words count most, then the same kind of phrase (a name for a name ...), then a phrase
    all of the fragment's kind."""
    words = before.tokens[span.first:span.last]
    shared = len(stems(" ".join(t.text for t in core)) & stems(span.text))
    kinds = _kind(core) & _kind(words)
    pure = _kind(words) <= _kind(core)
    return 2.0 * shared + (1.5 if kinds - {"word"} else 0.5 if kinds else 0.0) + 0.5 * pure


def _choose(text: str, choices: list[tuple[Phrase, float]], similarity: Similarity | None,
            shown: Callable[[Phrase], str] | None = None) -> Phrase | None:
    """The best-scoring phrase; ties go to the one nearest in meaning to `text` (comparing `shown` of
    each phrase, by default its text), else the latest."""
    if not choices:
        return None
    best = max(score for _, score in choices)
    tied = [span for span, score in choices if score == best]
    if len(tied) > 1 and similarity is not None:
        scores = list(similarity(text, [(shown or (lambda span: span.text))(span) for span in tied]))
        return tied[max(range(len(tied)), key=lambda i: (scores[i], tied[i].start))]
    return max(tied, key=lambda span: (span.start, span.end - span.start))


def _replace(previous: str, text: str, choices: list[tuple[Phrase, float]],
             similarity: Similarity | None) -> str | None:
    chosen = _choose(text, choices, similarity)
    return None if chosen is None else close(previous[:chosen.start] + text + previous[chosen.end:])


def appended(previous: str, text: str) -> str:
    return close(previous.rstrip().rstrip("?.!").rstrip() + " " + text)


def _time_phrase(text: str, core: list[Token]) -> str:
    """A time added to a question without one: "weekends" -> "at weekends", "Sunday" -> "on Sunday"."""
    word = core[0].low
    if word in ("morning", "afternoon", "evening", "summer", "winter", "spring", "autumn") or word[:3] in (
            "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "oct", "nov", "dec"):
        return "in " + text
    return ("at " if word in ("night", "weekends", "weekend") else "on ") + text


def close(text: str) -> str:
    text = " ".join(text.split())
    return text if text.endswith(("?", ".", "!")) else text + "?"


def _is_place(parsed: Parsed, obj: Phrase) -> bool:
    return any(t.is_name or t.low in PLACE_ADVERBS for t in parsed.tokens[obj.first:obj.last])


def _with_place_adverb(parsed: Parsed, whole: Phrase) -> Phrase:
    """"elsewhere in the UK": a place adverb before a place's phrase goes with it."""
    if whole.first > 0 and parsed.tokens[whole.first - 1].low in PLACE_ADVERBS:
        return parsed.phrase(whole.first - 1, whole.last)
    return whole
