"""Word statistics of the indexed chunks: how rare each word is (IDF), for weighing a question's
words when an answer is verified."""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from typing import Iterable, Iterator, Mapping

# Words that say little about what a question asks: left out of its terms when answers are verified.
STOP_WORDS = frozenset("""a an the of in on at to for from by with about as is are was were be been being do does did
what which who whom whose when where why how many much long often is it its this that these those there their
they them he she his her i you your we our my me and or not no can could should would will may might must has
have had than then into onto over under any some all each per if so such""".split())
_WORD = re.compile(r"\w[\w.\-/]*\w|\w", re.UNICODE)


def words(text: str) -> list[str]:
    """Lower-cased words; identifiers keep their inner dots, dashes and slashes (3.2.1, CVE-2024-1)."""
    return [w.lower().rstrip(".") for w in _WORD.findall(text)]


def has_word_besides(text: str, excluded: frozenset[str]) -> bool:
    """Whether the text holds a word (as `words` gives it) not among `excluded`; stops at the first."""
    for match in _WORD.finditer(text):
        if match.group().lower().rstrip(".") not in excluded:
            return True
    return False


def words_at(text: str) -> Iterator[tuple[str, int, int]]:
    """Each word as `words` gives it, with where it starts and ends in the text."""
    for match in _WORD.finditer(text):
        yield match.group().lower().rstrip("."), match.start(), match.end()


_NUMBER_WORDS = dict(enumerate("zero one two three four five six seven eight nine ten eleven twelve".split()))


def holds(text_words: frozenset[str] | set[str], term: str) -> bool:
    """Whether a question's word (an identifier, a name) is among the words: as written, as a number word
    ("4" for "four"), or for a longer word as a word sharing its first five letters ("African" for
    "Africa"): a near miss changes the thing named, not its grammar."""
    if term in text_words:
        return True
    if term.isdigit() and int(term) in _NUMBER_WORDS:
        return _NUMBER_WORDS[int(term)] in text_words
    if len(term) >= 5 and term.isalpha():
        return term[:5] in (_prefixes(text_words) if isinstance(text_words, frozenset)
                            else {word[:5] for word in text_words})
    return False


@functools.lru_cache(maxsize=256)
def _prefixes(text_words: frozenset[str]) -> frozenset[str]:
    """The first five letters of each word (a passage's words are asked about by several terms)."""
    return frozenset(word[:5] for word in text_words)


@dataclass(frozen=True)
class TermStats:
    document_frequency: Mapping[str, int] = field(default_factory=dict)  # chunks holding each word
    documents: int = 0  # chunks

    def idf(self, term: str) -> float:
        return math.log((self.documents + 1) / (self.document_frequency.get(term, 0) + 0.5))

    @classmethod
    def of(cls, texts: Iterable[str]) -> "TermStats":
        frequency: dict[str, int] = {}
        count = 0
        for text in texts:
            count += 1
            for term in set(words(text)):
                frequency[term] = frequency.get(term, 0) + 1
        return cls(frequency, count)
