"""The parts of a question that follow-up resolution works with (service/followup.py): its words,
each with a class taken from closed English word lists (followup_words), and the phrases they bound:
noun phrases, prepositional phrases, runs of capitalized names, numbers and times."""

from __future__ import annotations

import re
from dataclasses import dataclass

from groundqa.service.followup_words import (BE, DETERMINERS, DO, FUNCTION_WORDS, PARTICIPLES, PERSONAL,
                                             PREPOSITIONS, TIME_WORDS, TITLES, VERBS, WH)

_TITLE = rf"\b(?:{'|'.join(TITLES)})\."
_QUESTION_WORD = rf"(?i:{'|'.join(sorted(w for w in WH | BE | DO if w.isalpha()))})\b"
# A word: letters, digits and the currency, per cent and joining characters inside it ("$1,150",
# "3.2.x", "x86_64", "Asia-Pacific", "09:30"), never ending in punctuation, or a title with its full
# stop before a name ("St. Aldric"; not before a question: "on Elm St. What ...?"); else one character.
_TOKEN = re.compile(rf"{_TITLE}(?=\s+[A-Z])(?!\s+{_QUESTION_WORD})|[\w£$€%](?:[\w£$€%.,:/+&'’-]*[\w%])?|\S")
_ENDS_WITH_TITLE = re.compile(rf"{_TITLE}$")
_OPENS_WITH_NAME = re.compile(rf"(?!{_QUESTION_WORD})[A-Z]")


def title_joins(sentence: str, following: str) -> bool:
    """Whether `sentence` ends with a title whose name opens `following` ("... at St." "Aldric?"):
    they are one sentence."""
    return bool(_ENDS_WITH_TITLE.search(sentence)) and bool(_OPENS_WITH_NAME.match(following))


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int
    first: bool  # the first word of the question

    @property
    def low(self) -> str:
        return self.text.lower()

    @property
    def is_word(self) -> bool:
        return self.text[0].isalnum() or self.text[0] in "£$€"

    @property
    def has_digit(self) -> bool:
        return any(char.isdigit() for char in self.text)

    @property
    def is_name(self) -> bool:
        """Capitalized, and not only because it starts the question."""
        if not self.is_word or self.has_digit or not self.text[0].isupper() or self.low in FUNCTION_WORDS:
            return False
        return not self.first or self.text[1:2].isupper() or self.low not in VERBS

    @property
    def is_content(self) -> bool:
        """Part of a noun phrase: a name, a number, or any word outside the function-word lists."""
        return self.is_word and (self.low not in FUNCTION_WORDS or self.has_digit)

    @property
    def is_time(self) -> bool:
        return self.low in TIME_WORDS or (len(self.text) == 4 and self.text.isdigit() and self.text[:2] in ("19", "20"))


def tokenize(text: str) -> list[Token]:
    tokens = []
    for match in _TOKEN.finditer(text):
        word, start = match.group(), match.start()
        for suffix in ("'s", "’s"):  # a possessive is its own token: "Millbrook's" -> "Millbrook", "'s"
            if word.endswith(suffix) and len(word) > 2:
                tokens.append(Token(word[:-2], start, start + len(word) - 2, not tokens))
                word, start = word[-2:], start + len(word) - 2
                break
        tokens.append(Token(word, start, start + len(word), not tokens))
    return tokens


@dataclass(frozen=True)
class Phrase:
    """Tokens [first, last) of a question, and the text they span in it."""
    first: int
    last: int
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Parsed:
    """A question's tokens and which of them are its verbs (they end noun phrases)."""
    text: str
    tokens: list[Token]
    verbs: frozenset[int]

    def phrase(self, first: int, last: int) -> Phrase:
        tokens = self.tokens
        return Phrase(first, last, self.text[tokens[first].start:tokens[last - 1].end], tokens[first].start,
                      tokens[last - 1].end)

    def aux(self) -> int | None:
        """The auxiliary after the question word ("What [is] ...", "How much [does] ...")."""
        tokens = self.tokens
        if tokens and tokens[0].low in BE | DO:
            return 0
        asked = next((i for i, t in enumerate(tokens[:2]) if t.low in WH), None)  # "Until when does ..."
        if asked is None:
            return None
        return next((i for i, t in enumerate(tokens) if i > asked and t.low in BE | DO), None)

    def in_phrase(self, index: int) -> bool:
        """Whether token `index` continues a noun phrase (content, a possessive, a joined range or name)."""
        tokens, token = self.tokens, self.tokens[index]
        if index in self.verbs or (index > 0 and tokens[index - 1].low == "how"):
            return False  # a verb, or what "how" asks ("how [fast]", "how [often]")
        return (token.is_content or token.low in ("'s", "’s") or _joins_numbers(tokens, index)
                or _joins_names(tokens, index) or _elided_head(tokens, index))

    def noun_phrases(self) -> list[Phrase]:
        """Maximal runs of content words, with the determiner before them."""
        found, index, tokens = [], 0, self.tokens
        while index < len(tokens):
            begin = index
            if tokens[index].low in DETERMINERS:
                index += 1
            run = index
            while index < len(tokens) and self.in_phrase(index):
                index += 1
            if index > run:
                found.append(self.phrase(begin, index))
            else:
                index = begin + 1
        return found

    def prepositional_phrases(self) -> list[tuple[Phrase, Phrase]]:
        """(the whole phrase, its object) for each preposition followed by a noun phrase; a range's
        "to" continues its object ("with 2 years to under 5 years")."""
        found, tokens = [], self.tokens
        for index, token in enumerate(tokens):
            if token.low not in PREPOSITIONS or _joins_numbers(tokens, index) or _infinitive(tokens, index):
                continue
            last = self._object_end(index + 1)
            while (last + 1 < len(tokens) and tokens[last].low in ("to", "until") and last > index + 1
                   and any(t.has_digit for t in tokens[index + 1:last])):
                last = self._object_end(last + 1 + (tokens[last + 1].low in ("under", "over", "up")))
            if any(self.in_phrase(i) for i in range(index + 1, last)):
                found.append((self.phrase(index, last), self.phrase(index + 1, last)))
        return found

    def _object_end(self, index: int) -> int:
        index += index < len(self.tokens) and self.tokens[index].low in DETERMINERS
        while index < len(self.tokens) and self.in_phrase(index):
            index += 1
        return index


def _infinitive(tokens: list[Token], index: int) -> bool:
    """"to" before a verb: a word followed by its object ("to reserve a flat"), not a name."""
    if tokens[index].low != "to" or index + 2 >= len(tokens):
        return False
    verb, following = tokens[index + 1], tokens[index + 2]
    return following.low in DETERMINERS | PERSONAL and verb.is_content and not verb.is_name


def _joins_numbers(tokens: list[Token], index: int) -> bool:
    """"to", "-" or "or" between two numbers belongs to the range ("2 to 4 hours", "6 - 8")."""
    return (0 < index < len(tokens) - 1 and tokens[index].low in ("to", "-", "–", "or", "and")
            and tokens[index - 1].has_digit and tokens[index + 1].has_digit)


def _joins_names(tokens: list[Token], index: int) -> bool:
    """"and" or "&" between two names belongs to the name ("England and Wales")."""
    return (0 < index < len(tokens) - 1 and tokens[index].low in ("and", "&")
            and tokens[index - 1].is_name and tokens[index + 1].is_name)


def _elided_head(tokens: list[Token], index: int) -> bool:
    """"one" standing for a noun after its modifiers ("the 5GB one", "an urgent one"), not after a verb."""
    if tokens[index].low not in ("one", "ones") or index == 0:
        return False
    before = tokens[index - 1]
    return before.low in DETERMINERS or (before.is_content and before.low not in VERBS)


def parse(text: str) -> Parsed:
    tokens = tokenize(text)
    return Parsed(text, tokens, frozenset(_verbs(tokens) + _phrasal_verbs(tokens)))


_PARTICLES = frozenset("up down out off back away".split())


def _phrasal_verbs(tokens: list[Token]) -> list[int]:
    """A verb before its particle ("the rent [going] up", "to [hand] back my keys"): a verb form, or
    any word after "to"."""
    return [i for i in range(len(tokens) - 1) if tokens[i + 1].low in _PARTICLES and tokens[i].is_content
            and (tokens[i].low in VERBS or (i > 0 and tokens[i - 1].low == "to"))]


def _verbs(tokens: list[Token]) -> list[int]:
    """The main verb after a do-auxiliary ("does the 2.x series [get] ..."), the verb of a question
    whose question word is its subject ("What [happens] ..."), and the participle after a be-question's
    subject ("is the deposit [returned]", "How long is maternity pay [paid] at full pay")."""
    if not tokens:
        return []
    aux = Parsed("", tokens, frozenset()).aux()
    if aux is None:
        return [i for i in range(1, min(len(tokens), 4)) if tokens[i].low in VERBS and tokens[0].low in WH][:1]
    if tokens[aux].low in DO:
        index = aux + 1
        if index < len(tokens) and tokens[index].low in PERSONAL:
            index += 1
            return [index] if index < len(tokens) and tokens[index].is_content else []
        if index < len(tokens) and tokens[index].low in VERBS and tokens[0].low in ("who", "what", "which"):
            return [index]  # "Who can [hold] one?"
        index += index < len(tokens) and tokens[index].low in DETERMINERS
        begin = index
        while index < len(tokens) and (tokens[index].is_content or tokens[index].low in DETERMINERS | PREPOSITIONS
                                       or _joins_numbers(tokens, index)):
            if index > begin and tokens[index].low in VERBS and tokens[index - 1].low not in DETERMINERS:
                return [index]  # "does the tour of the North lighthouse [cost]"
            index += 1
        run = begin
        while run < len(tokens) and tokens[run].is_content:
            run += 1
        return [run - 1] if run - begin > 1 else []
    last = max((i for i, t in enumerate(tokens) if t.is_word), default=0)
    participles = [i for i in range(aux + 2, last + 1) if tokens[i].low in PARTICIPLES
                   or (i == last and tokens[i].low.endswith(("ed", "ised", "ized")) and i > aux + 2)]
    return [i for i in participles if tokens[i - 1].is_content and tokens[i - 1].low not in DETERMINERS][:1]


def runs(parsed: Parsed, test) -> list[Phrase]:
    """Maximal runs of tokens passing `test` (names, numbers, times)."""
    found, index, tokens = [], 0, parsed.tokens
    while index < len(tokens):
        if test(tokens, index):
            begin = index
            while index < len(tokens) and test(tokens, index):
                index += 1
            found.append(parsed.phrase(begin, index))
        else:
            index += 1
    return found


def name_at(tokens: list[Token], index: int) -> bool:
    return tokens[index].is_name or _joins_names(tokens, index)


def number_at(tokens: list[Token], index: int) -> bool:
    return tokens[index].has_digit or _joins_numbers(tokens, index)


def time_at(tokens: list[Token], index: int) -> bool:
    return tokens[index].is_time


def stems(text: str) -> set[str]:
    """Content words, lower-cased, without a plural s: for matching a follow-up's words to a question's."""
    found = set()
    for token in tokenize(text):
        word = token.low
        if not token.is_content or word in ("'s", "’s"):
            continue
        if word.endswith("ies") and len(word) > 4:
            word = word[:-3] + "y"
        elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
            word = word[:-1]
        found.add(word)
    return found
