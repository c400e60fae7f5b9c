"""Answer verification: the probability that a candidate answer is right, from evidence the reader's
logits do not see, and the decision to answer or abstain.

A question whose key identifier (a version, a ticket or CVE id, a model number) or rare term is
missing from the passage is a near miss however sure the reader is; so the features compare the
question with the passage and the answer, beside the reader's and retriever's scores. A logistic
regression over them, fitted by `groundqa calibrate` and shipped as a small JSON file, turns them
into a calibrated probability; below the file's threshold the service says "not found".
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import numpy as np

from groundqa.errors import GroundQAError
from groundqa.index.sections import headings_at, section_span
from groundqa.index.terms import STOP_WORDS, TermStats, holds, words, words_at
from groundqa.index.types import Document
from groundqa.service.answers import Candidate
from groundqa.service.completion import asks_how_many
from groundqa.service.cross_check import DEFAULT_FOLDER, CrossCheckFit
from groundqa.service.measures import currency_mismatch, measure, wanted_measures
from groundqa.service.reader import Reading
from groundqa.service.tables import SEPARATOR, cell_and_label, in_a_row, label_end, row_cells, row_label
from groundqa.service.types import Citation

FEATURE_VERSION = 15
FEATURES = (
    "reader_margin",  # best span logit over the lowest no-answer logit, clipped
    "window_margin",  # span logit over its own window's no-answer logit, clipped
    "evidence_share",  # the answer's share of the reader's probability mass over all spans
    "retrieval_score",  # the passage's fused retrieval score (0..1)
    "passage_rank",  # 1 for the best passage
    "covered_passage",  # IDF-weighted share of the question's terms found in the passage
    "covered_sentence",  # ... found in the answer's sentence(s)
    "covered_near",  # ... found next to the answer: its table cell and row label, else its sentence on
    # its line, with the headings above it and the document's title
    "covered_near_words",  # ... of the question's words that are no identifier or name, a word's stem
    # counting ("weigh" in "Weight"): the row of a spec table the question asks about, not the model's other rows
    "identifier_missing",  # the question names an identifier (has a digit) the passage, its headings and
    # the document's title lack
    "identifier_missing_near",  # ... that is not next to the answer nor in another field of its record
    # ("CVE ID: CVE-2024-38112" beside "Advisory ID: NSA-2024-003")
    "name_missing",  # the question names a proper noun (capitalized, not its first word) the passage,
    # its headings and the document's title lack
    "name_missing_near",  # ... that is not next to the answer nor in its record ("the Family plan" -> the
    # Starter row's price)
    "rarest_missing",  # IDF of the rarest question term the passage lacks, over the highest IDF
    "answer_words",  # log of the answer's length in words
    "type_mismatch",  # a how-many/when/which-version question, or one after a price, fee, number, postal
    # address..., answered without a number of its own (the 2 of "T2" is not one) or with another measure
    # ("how long" -> "1 pound per day"); an e-mail question without an address, a phone or fax number
    # without a phone's digits; a who question with a digit
    "answer_in_question",  # share of the answer's words already in the question
    "rival_nearer",  # the identifier nearest the answer (in its clause, else on its line, else in its
    # record of fields, else in the nearest heading that has one) is another of a kind the question names
    # ("3 years for the Nimbus T2 and 4 years for the Nimbus T5": "3 years" for a T5; "Released: May 7,
    # 2024" under "Firmware 3.2.1" for firmware 3.1.1); or the answer's label names another thing
    # (service/verify.py _rival_label: "Support phone:" for a sales number beside "Sales and order
    # questions:")
    "asked_cell",  # the answer is a table cell whose row label and column header both hold a word of the
    # question (the header's words that set it apart from the row's other headers: "T2" of "Nimbus T2")
)
_NUMERIC_QUESTION = re.compile(r"^\s*(how (many|much|long|far|old|often|big|large|high|tall|soon|quickly|heavy|wide|"
                               r"deep|fast|hot|warm|cold|loud|thick)|when|"
                               r"(what|which) (year|date|time|hours|([\w-]+ ){0,2}versions?|percentage|firmware))\b", re.I)
# Asking after a thing people write with digits: "the Data Protection Officer's phone number".
_NUMBER_NOUN = re.compile(r"\b(number|price|cost|fee|percentage|score|version|port|gauge|voltage|wattage|amperage|"
                          r"(postal|street|mailing) address)\b",
                          re.I)
# A number of its own, in digits or words: the digit in a model name ("Nimbus T2", "NT5-") is not one,
# a version's is ("v3").
_NUMBER = re.compile(r"(?<![A-Za-z])\d|\bv\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
                     r"(thir|four|fif|six|seven|eigh|nine)teen|(twen|thir|for|fif|six|seven|eigh|nine)ty|hundred|"
                     r"thousand|million|billion|dozen)\b", re.I)
# ... except where the thing asked for is a code with letters: "the model number" -> "T5".
_CODE_NOUN = re.compile(r"\b(model|serial|part|item|product|order|ticket|tracking|account) numbers?\b", re.I)
_PERSON_QUESTION = re.compile(r"^\s*(who|whom)\b", re.I)
_NAME = re.compile(r"(?<!^)\b[A-Z][\w-]*")


class VerifierMismatch(GroundQAError):
    code = "verifier_mismatch"


@dataclass(frozen=True)
class Evidence:
    """What the verifier looks at for one candidate answer."""

    question: str
    answer: str
    passage_text: str
    sentence: str  # the answer's sentence(s) in the document
    near: str  # the text next to the answer (FEATURES: covered_near)
    line: str  # the answer's line: a table row, else cut to the answer's sentence
    answer_at: int  # where the answer starts in `line`
    reader_margin: float
    window_margin: float
    evidence_share: float
    retrieval_score: float
    passage_rank: int
    heading_chain: tuple[str, ...] = ()  # the title and the headings above the answer, outermost first
    section_text: str = ""  # the answer's section of the document (its sibling fields, past its chunk)
    passage_at: int = -1  # where the answer starts in passage_text (-1: unknown)

    @property
    def headings(self) -> str:
        return " ".join(self.heading_chain)

    @functools.cached_property
    def record(self) -> str:
        return _record_of(self.passage_text, self.line, self.passage_at)


def feature_vector(evidence: Evidence, stats: TermStats) -> np.ndarray:
    terms = [t for t in dict.fromkeys(words(evidence.question)) if t not in STOP_WORDS]
    sentence, near = set(words(evidence.sentence)), _word_set(evidence.headings) | set(words(evidence.near))
    # An identifier or name in another field of the answer's record is near it ("CVE ID:
    # CVE-2024-38112" beside "Advisory ID: NSA-2024-003"); one naming another thing is rival_nearer's.
    near_record = near | _word_set(evidence.record)
    passage = _word_set(evidence.passage_text) | _word_set(evidence.headings)
    weights = {t: stats.idf(t) for t in terms}
    total = sum(weights.values()) or 1.0
    missing = [t for t in terms if t not in passage]
    identifiers = [t for t in terms if any(c.isdigit() for c in t)]
    top_idf = stats.idf("") or 1.0  # a word in no document: the highest IDF there is
    answer_words = words(evidence.answer)
    question_words = set(words(evidence.question))
    names = _names(evidence.question)
    plain = [t for t in terms if t not in identifiers and t not in names]
    plain_total = sum(weights[t] for t in plain)
    return np.array([
        max(-20.0, min(evidence.reader_margin, 40.0)),
        max(-20.0, min(evidence.window_margin, 40.0)),
        evidence.evidence_share,
        evidence.retrieval_score,
        float(evidence.passage_rank),
        sum(weights[t] for t in terms if t in passage) / total,
        sum(weights[t] for t in terms if t in sentence) / total,
        sum(weights[t] for t in terms if t in near) / total,
        sum(weights[t] for t in plain if holds(near, t)) / plain_total if plain_total else 1.0,
        float(any(not holds(passage, t) for t in identifiers)),
        float(any(not holds(near_record, t) for t in identifiers)),
        float(any(not holds(passage, t) for t in names)),
        float(any(not holds(near_record, t) for t in names)),
        max((weights[t] for t in missing), default=0.0) / top_idf,
        math.log(1 + len(answer_words)),
        float(type_mismatch(evidence.question, evidence.answer)),
        sum(w in question_words for w in answer_words) / max(1, len(answer_words)),
        float(_rival(evidence, terms, identifiers)),
        float(_in_asked_cell(evidence.line, evidence.answer_at, evidence.answer_at + len(evidence.answer), terms)),
    ], dtype=np.float64)


def _rival(evidence: Evidence, terms: list[str], identifiers: list[str]) -> bool:
    """The rival_nearer feature: a rival identifier or day nearer the answer than the asked one, or a
    label naming another thing."""
    start, end = evidence.answer_at, evidence.answer_at + len(evidence.answer)
    return (_rival_nearer(identifiers + [t for t in terms if t in _DAY_PART], evidence.line, start, end,
                          evidence.heading_chain, evidence.record)
            or _rival_label(terms, evidence.line, start, evidence.passage_text, evidence.heading_chain,
                            negated=bool(_NEGATION.search(evidence.question)), section=evidence.section_text))


def _in_asked_cell(line: str, start: int, end: int, terms: list[str]) -> bool:
    """The asked_cell feature: the answer from `start` to `end` in the table row `line` is a cell's value
    whose row label and column header both hold a question term ("Opened, missing parts" and "Nimbus
    T2" for the fee on an opened T2 with missing parts)."""
    cells = row_cells(line)
    own = next((cell for cell in cells if cell.start <= start and end <= cell.end), None)
    if own is None:
        return False
    shared = frozenset.intersection(*(_word_set(cell.header) for cell in cells)) if len(cells) > 1 else frozenset()
    return (any(holds(_word_set(own.label), t) for t in terms)
            and any(holds(_word_set(own.header) - shared, t) for t in terms))


@dataclass(frozen=True)
class Verifier:
    """Standardize, then logistic regression; answer when the probability reaches `threshold`. With a
    cross-check, its first candidates are judged again, the cross-encoder's view beside the features'
    (service/cross_check.py), and the threshold applies to that combined probability."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    threshold: float
    about: Mapping[str, object]  # what it was fitted on and how it scored, for people
    fitted_for: Mapping[str, str] = field(default_factory=dict)  # the reader's digest and precision
    cross_check: CrossCheckFit | None = None

    def log_odds(self, features: np.ndarray) -> float:
        return float(((features - self.mean) / self.scale) @ self.coef + self.intercept)

    def probability(self, features: np.ndarray) -> float:
        return sigmoid(self.log_odds(features))

    def to_json(self) -> dict:
        return {"feature_version": FEATURE_VERSION, "features": list(FEATURES), "mean": self.mean.tolist(),
                "scale": self.scale.tolist(), "coef": self.coef.tolist(), "intercept": self.intercept,
                "threshold": self.threshold, "fitted_for": dict(self.fitted_for),
                **({"cross_check": self.cross_check.to_json()} if self.cross_check else {}), "about": dict(self.about)}

    def check_fitted_for(self, reader_digest: str, precision: str, origin: str) -> None:
        """Refuse a reader or precision other than the one the features were fitted on: its logits differ."""
        wanted = self.fitted_for
        if wanted.get("reader", reader_digest) != reader_digest:
            raise VerifierMismatch(f"{origin} was fitted for the reader {wanted['reader']}, not the configured one "
                                   f"({reader_digest}): refit it with `groundqa calibrate`")
        if precision_family(wanted.get("precision", precision)) != precision_family(precision):
            raise VerifierMismatch(f"{origin} was fitted at precision {wanted['precision']}, not {precision}: "
                                   f"set PRECISION={wanted['precision']} or refit it with `groundqa calibrate`")

    @classmethod
    def load(cls, path: Path) -> "Verifier":
        try:
            data = json.loads(Path(path).read_text())
        except (OSError, ValueError) as exc:
            raise VerifierMismatch(f"cannot read the verifier file {path}: {exc}") from None
        return cls.from_json(data, f"the verifier file {path}", Path(path).parent)

    @classmethod
    def from_json(cls, data: object, origin: str, folder: Path | None = None) -> "Verifier":
        """`origin` names where it came from, for the error; `folder` is where a cross-check file lies."""
        if not isinstance(data, dict) or data.get("feature_version") != FEATURE_VERSION \
                or tuple(data.get("features", ())) != FEATURES:
            version = data.get("feature_version") if isinstance(data, dict) else None
            raise VerifierMismatch(f"{origin} was fitted on feature version {version!r}; this groundqa computes "
                                   f"version {FEATURE_VERSION}: refit it with `groundqa calibrate`")
        try:
            cross = data.get("cross_check")
            return cls(np.array(data["mean"]), np.array(data["scale"]), np.array(data["coef"]),
                       float(data["intercept"]), float(data["threshold"]), data.get("about", {}),
                       {str(k): str(v) for k, v in data.get("fitted_for", {}).items()},
                       CrossCheckFit.from_json(cross, folder or DEFAULT_FOLDER) if cross else None)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise VerifierMismatch(f"{origin} is not a verifier groundqa wrote: {exc}") from None


def precision_family(precision: str) -> str:
    """bf16 and fp32 give the reader's logits within noise of each other; int8 does not."""
    return "int8" if precision == "int8" else "float"


def sigmoid(log_odds: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(log_odds, 30.0))))


@functools.lru_cache(maxsize=64)
def _word_set(text: str) -> frozenset[str]:
    """words(text) as a set, remembered: a question's candidates share a few passages and headings."""
    return frozenset(words(text))


def cannot_answer(question: str, answer: str) -> bool:
    """Whether an answer cannot be what the question asks for, whatever the evidence: an e-mail
    address without "@", a phone or fax number not mostly digits (at least three) or with a date in it
    ("1 March 2024", "220 Canal Road, Suite 4" for "What is the fax number?"), an amount in another
    currency than the one asked for ("$29" for a price in euros). Such candidates are not answers
    (service/pipeline.py)."""
    return bool(_contact_mismatch(question, answer)) or currency_mismatch(question, answer)


def _contact_mismatch(question: str, answer: str) -> bool | None:
    """For a question after an e-mail address or a phone or fax number, whether the answer cannot be
    one; None for other questions."""
    if _EMAIL_QUESTION.search(question):
        return "@" not in answer
    if _PHONE_QUESTION.search(question) and not asks_how_many(question):
        digits = sum(char.isdigit() for char in answer)
        # Mostly digits: "0113 496 0725", "911"; not an address with its house number.
        letters = any(char.isalpha() for char in answer)  # "OH 43219" is a ZIP code; "0800 FLOWERS24" is rare
        return (digits < 3 or 2 * digits < sum(char.isalnum() for char in answer) or (letters and digits < 7)
                or bool(_CALENDAR_WORD.search(answer)))
    return None


def type_mismatch(question: str, answer: str) -> bool:
    """Whether the answer is not of the kind the question asks for (FEATURES: type_mismatch)."""
    contact = _contact_mismatch(question, answer)
    if contact is not None:
        return contact
    if _CODE_NOUN.search(question):
        return not any(char.isdigit() for char in answer)
    if _NUMERIC_QUESTION.search(question) or _NUMBER_NOUN.search(question):
        if not _NUMBER.search(answer):
            return True
        if asks_how_many(question):  # "how many days": the unit is the question's
            return False
        wanted = wanted_measures(question)
        return bool(wanted) and not (measure(answer) or wanted) & wanted
    return bool(_PERSON_QUESTION.search(question)) and any(char.isdigit() for char in answer)


_EMAIL_QUESTION = re.compile(r"\be-?mail address(es)?\b|\b(what|which)('s| is)? (the |an? )?e-?mail( (for|of|to)\b|\s*\?)",
                             re.I)
_PHONE_QUESTION = re.compile(r"\b((tele)?phone|fax|mobile|cell) numbers?\b|\bnumber (do i|to|should i) (call|ring|dial)\b",
                             re.I)
_CALENDAR_WORD = re.compile(r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\b|\b\d{4}-\d\d-\d\d\b", re.I)
def _kind(term: str) -> str | None:
    """What sort of identifier a word is, for finding its rivals: a version, a year, or a code's series,
    its letters and the shape of its numbers ("t5" and "t2" are both "t0"; "cve-2024-38112" and
    "nsa-2024-003" are not of one series), or a part of the week; None for plain words and numbers."""
    if term in _DAY_PART:
        return "day"
    if _VERSION.fullmatch(term):
        return "version"
    if _YEAR.fullmatch(term):
        return "year"
    if term.isdigit() or not any(char.isdigit() for char in term):
        return None
    return _DIGITS.sub("0", term)


# Days as the part of the week they are in: "weekend hours" are Saturday's, not "weekdays'".
_DAY_PART = {**{day: "weekday" for day in ("monday", "tuesday", "wednesday", "thursday", "friday", "weekday")},
             **{day: "weekend" for day in ("saturday", "sunday", "weekend")}}
_DAY_PART.update({f"{day}s": part for day, part in list(_DAY_PART.items())})


def _same(word: str, identifiers: list[str]) -> bool:
    """Whether the word is one of the identifiers (a day as the part of the week it is in)."""
    if word in _DAY_PART:
        return any(_DAY_PART.get(term) == _DAY_PART[word] for term in identifiers)
    return word in identifiers


_VERSION = re.compile(r"\d+(\.\d+)+")
_YEAR = re.compile(r"1[5-9]\d\d|20\d\d")
_DIGITS = re.compile(r"\d+")


def _rival_nearer(identifiers: list[str], line: str, start: int, end: int, headings: tuple[str, ...] = (),
                  record: str = "") -> bool:
    """Whether, of some kind of identifier the question names, the one nearest the answer is not one
    the question names: looked for in the answer's clause first ("and 4 years for the Nimbus T5"), then
    on its whole line (a table row's label), then in the other fields of its `record` ("Models: Nimbus
    T2, Nimbus T5" under "Released: July 9, 2024"), then in the nearest of `headings` (outermost first)
    that holds one ("Firmware 3.2.1" above "Released: May 7, 2024")."""
    kinds = {_kind(term) for term in identifiers} - {None}
    if not kinds:
        return False
    clause_start = max((m.end() for m in _CLAUSE_BREAK.finditer(line, 0, start)), default=0)
    after = _CLAUSE_BREAK.search(line, end)
    clause_end = after.start() if after else len(line)
    nearest: dict[str, tuple[bool, int, bool]] = {}
    for word, word_start, word_end in words_at(line):
        kind = _kind(word)
        if kind not in kinds:
            continue
        if word_start < end and word_end > start:  # in the answer: the one asked about is the answer's
            if _same(word, identifiers):
                nearest[kind] = (False, -1, False)
            continue
        outside_clause = word_end <= clause_start or word_start >= clause_end
        distance = start - word_end if word_end <= start else word_start - end
        rival = not _same(word, identifiers)  # on a tie, the one asked about is the nearest
        nearest[kind] = min(nearest.get(kind, (True, len(line), True)), (outside_clause, distance, rival))
    for kind in kinds - nearest.keys():
        for around in (record, *reversed(headings)):
            named = [word for word in words(around) if _kind(word) == kind]
            if named:
                nearest[kind] = (True, 0, not any(_same(word, identifiers) for word in named))
                break
    return any(rival for _, _, rival in nearest.values())


def _record_of(passage: str, line: str, offset: int = -1) -> str:
    """The other fields of the record the answer's field belongs to: the field lines next to its line
    (the one holding `offset` in `passage`, else the first holding `line`), up to a blank line, a line
    that is no field or a label the record already has (the next record's "Advisory ID:"):
    "Models: Nimbus T2, Nimbus T5" beside "Released: July 9, 2024"; empty where the answer is in no
    field."""
    lines = passage.split("\n")
    if 0 <= offset < len(passage):
        at = passage.count("\n", 0, offset)
    else:
        at = next((i for i, whole in enumerate(lines) if line and line in whole), None)
    label = _field_label(lines[at]) if at is not None else None
    if label is None:
        return ""
    labels = {label}

    def joins(i: int) -> bool:
        other = _field_label(lines[i])
        if other is None or other in labels:
            return False
        labels.add(other)
        return True

    first, last = at, at
    while first > 0 and joins(first - 1):
        first -= 1
    while last + 1 < len(lines) and joins(last + 1):
        last += 1
    return "\n".join(lines[first:at] + lines[at + 1:last + 1])


def _field_label(line: str) -> str | None:
    field = _FIELD_LABEL.match(line)
    return field.group(1).strip().lower() if field else None


_CLAUSE_BREAK = re.compile(r"[,;] | and |" + re.escape(SEPARATOR))


def _rival_label(terms: list[str], line: str, at: int, passage: str, headings: tuple[str, ...] = (),
                 negated: bool = False, section: str = "") -> bool:
    """Whether the answer at `at` in `line` follows a label ("Support phone:", a table row's first
    cell) that names another thing than the one asked about (`terms`: the question's words): it holds a
    word the question lacks and lacks one that another label of its kind in the passage holds ("Opened,
    complete with all parts" for "an opened T2 with missing parts"; "Support phone:" for a sales number
    beside "Sales and order questions:"). A field whose first word the question names is another's
    only by an identifier ("Nimbus T2:"): "Support phone:" is no rival of "Weekend hours:" for "support
    on weekends". A label saying the opposite of the question beside one saying the same is another's
    (_opposite_label). Other labels are looked for in the passage and the answer's `section`. A heading
    with a colon labels nothing."""
    labels = tuple(dict.fromkeys(_labels(passage) + _labels(section)))
    own = _label_before(line, at)
    if _opposite_label(own[1] if own else (headings[-1] if headings else ""), terms, labels, negated):
        return True
    if own is None:
        return False
    kind, label = own
    own_words = _word_set(label)
    if all(word in STOP_WORDS or _named(word, terms) for word in own_words):
        return False  # nothing in the label that the question does not ask about
    lacking = [t for t in terms if not holds(own_words, t)]
    qualified = kind == "field" and _named(_first_word(label), terms)
    for other_kind, other, whole in labels:
        if other_kind != kind or other == label or whole in headings:
            continue
        held = [t for t in lacking if holds(_word_set(other), t)]
        if any(any(char.isdigit() for char in t) for t in held) or (held and not qualified):
            return True
    return False


def _first_word(label: str) -> str:
    return next((word for word in words(label) if word not in STOP_WORDS), "")


def _named(word: str, terms: list[str]) -> bool:
    """Whether the question names the word (`terms`: its words)."""
    return bool(word) and any(holds(frozenset((word,)), term) for term in terms)


def _opposite_label(label: str, terms: list[str], labels: tuple[tuple[str, str, str], ...], negated: bool) -> bool:
    """Whether the answer's label (else its section's heading) says the opposite of the question
    (`negated`: it asks what is not ...) where another of the `labels` says the same, about a word the
    question names: "Affected products" for "Which products are not affected?" beside "Not affected:"."""
    if not label or bool(_NEGATION.search(label)) == negated:
        return False
    shared = {word for word in _word_set(label) - _NEGATING if _named(word, terms)}
    return any(bool(_NEGATION.search(other)) == negated and shared & _word_set(other)
               for _, other, _ in labels if other != label)


_NEGATING = frozenset({"not", "no", "non", "never", "without", "excluded", "except"})
_NEGATION = re.compile(rf"\b(?:{'|'.join(sorted(_NEGATING))})\b|n't\b", re.I)
# A field's label at the start of a line: "Support phone: ...", "- Sales and order questions: ...".
_FIELD_LABEL = re.compile(r"^[ \t]*(?:[-*\u2022][ \t]+|\d{1,2}[.)][ \t]+)?([^\n:|.?!]{1,60}?):[ \t].*", re.M)


def _label_before(line: str, at: int) -> tuple[str, str] | None:
    """The kind ("row" or "field") and text of the label the answer at `at` follows on its line: a
    table row's first cell, else a field's label."""
    label = row_label(line)
    if label is not None:
        return ("row", label) if at > label_end(line) else None
    field = _FIELD_LABEL.match(line)
    return ("field", field.group(1).strip()) if field and field.end(1) < at else None


@functools.lru_cache(maxsize=64)
def _labels(passage: str) -> tuple[tuple[str, str, str], ...]:
    """(kind, label, its whole line) for the labels of a passage's lines: table rows' first cells and
    fields' labels."""
    rows = [("row", label, line.strip()) for line in passage.splitlines() if (label := row_label(line)) is not None]
    fields = [("field", match.group(1).strip(), match.group().strip()) for match in _FIELD_LABEL.finditer(passage)]
    return (*rows, *fields)


def _names(question: str) -> list[str]:
    """The question's capitalized words after its first, lower-cased as `words` does."""
    return [w.lower() for w in _NAME.findall(question) if w.lower() not in STOP_WORDS]


def evidence_of(question: str, candidate: Candidate, reading: Reading, document: Document) -> Evidence:
    span, citation = candidate.span, candidate.answer.citation
    chain = (document.plain_title, *headings_at(document.meta, span.start))
    line, answer_at = answer_line(document.text, span.start, citation)
    item = _item_line(document.text, span.start)
    section_start, section_end = section_span(document.meta, span.start, len(document.text))
    # A section without headings is the whole text: what is near enough to be a sibling field.
    section = document.text[max(section_start, span.start - _SECTION_REACH):min(section_end, span.end + _SECTION_REACH)]
    return Evidence(question=question, answer=candidate.answer.text, passage_text=span.passage.chunk.text,
                    sentence=citation.context, near=item or cell_and_label(line, answer_at), line=line, answer_at=answer_at,
                    heading_chain=chain, section_text=section, passage_at=span.start - span.passage.chunk.start,
                    reader_margin=span.logit - reading.null_logit,
                    window_margin=span.logit - span.window_null, evidence_share=candidate.share,
                    retrieval_score=span.passage.score, passage_rank=span.passage.rank)


_SECTION_REACH = 1500  # characters


def answer_line(text: str, start: int, citation: Citation) -> tuple[str, int]:
    """The line of an answer at `start` (a table row "label | header: cell | ..." whole, else cut to the
    answer's sentence: a list item, a field) and where in it the answer starts."""
    line_start, line_end = _line_bounds(text, start)
    if not in_a_row(text, line_start, line_end):
        line_start = max(line_start, citation.context_start)
        line_end = min(line_end, citation.context_start + len(citation.context))
    return text[line_start:line_end], start - line_start


def _line_bounds(text: str, at: int) -> tuple[int, int]:
    """Where the line holding offset `at` starts and ends (before its line break)."""
    end = text.find("\n", at)
    return text.rfind("\n", 0, at) + 1, len(text) if end < 0 else end


_ITEM_MAX_CHARS = 300


def _item_line(text: str, start: int) -> str | None:
    """The whole line of an answer in a field or a list item of a few sentences ("NIM-1187: Fixed an
    authentication bypass (CVE-2024-38112). See security advisory NSA-2024-003 for details."): all of
    it is said of one thing, so all of it is next to the answer. None for a table row or prose."""
    line = text[slice(*_line_bounds(text, start))]
    if len(line) > _ITEM_MAX_CHARS or in_a_row(line) or not _FIELD_LABEL.match(line):
        return None
    return line
