"""What a quantity measures (money, mass, time, size, power), and what a question after one wants:
"How long can I borrow a DVD?" is not answered by "1 pound per day"."""

from __future__ import annotations

import re


def wanted_measures(question: str) -> set[str]:
    """The measures a question's words ask for: "cost" money, "how long" time or size; empty if none."""
    return {kind for kind, asked in _MEASURE_QUESTIONS if asked.search(question)}


# What a question wants, by its words; what a quantity measures, by the symbol before it or the word
# after it.
_MEASURE_QUESTIONS = (
    ("time", re.compile(r"\bhow (long|often|soon|quickly|far (in advance|ahead))\b|\bwhat (time|hours)\b", re.I)),
    ("size", re.compile(r"\bhow (long|big|large|tall|wide|high|far|deep)\b|\b(size|dimensions?|length|width|height)\b",
                        re.I)),
    ("money", re.compile(r"\b(cost|costs|price|prices|priced|fee|fees)\b|\bhow much is\b", re.I)),
    ("mass", re.compile(r"\b(weigh|weighs|weight|heavy)\b", re.I)),
    ("power", re.compile(r"\b(watts?|wattage|power consumption|power draw)\b", re.I)),
)
_MEASURES = (
    ("money", re.compile(r"[$€£¥]|(usd|eur|gbp|dollars?|euros?|pounds?|pence|cents?)$", re.I)),
    ("mass", re.compile(r"(mg|g|kg|lbs?|pounds?|grams?|kilograms?|ounces?|oz)$", re.I)),  # a pound is both
    ("time", re.compile(r"(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|nights?|weeks?|months?|years?|"
                        r"a\.m\.?|p\.m\.?|am|pm)$", re.I)),
    ("size", re.compile(r"(mm|cm|m|km|in|inch(es)?|ft|feet|foot|yards?|metres?|meters?|miles?)$", re.I)),
    ("power", re.compile(r"(w|kw|watts?|kilowatts?)$", re.I)),
)
# The first quantity, over a range to its unit: "1 to 2 business days" measures time.
_FIRST_QUANTITY = re.compile(r"([$€£¥])?\s?\d[\d.,]*(?:\s*(?:to|through|-|\u2013|and|or)\s*[$€£¥]?\d[\d.,]*)?\s*"
                             r"(?:(?:business|working|calendar)\s+)?([^\W\d_][\w.]*)?")


def measure(answer: str) -> set[str]:
    """What the answer's first number may measure (money, mass, time, size, power): empty if unknown."""
    quantity = _FIRST_QUANTITY.search(answer)
    if quantity is None:
        return set()
    symbol, unit = quantity.group(1), (quantity.group(2) or "").lower().rstrip(".")
    return {kind for kind, pattern in _MEASURES if (symbol and pattern.match(symbol)) or (unit and pattern.fullmatch(unit))}


def currency_mismatch(question: str, answer: str) -> bool:
    """Whether the question asks for an amount in one currency ("in euros") and the answer is an
    amount in others only ("$29"; "€20, about $22" is in euros too)."""
    asked = _ASKED_CURRENCY.search(question)
    if asked is None:
        return False
    given, wanted = _currencies(answer), _currencies(asked.group(1))
    return bool(given) and bool(wanted) and not given & wanted


def _currencies(text: str) -> set[str]:
    return {name for name, pattern in _CURRENCIES if pattern.search(text)}


# Coarse on purpose: any dollar is a dollar (US, Canadian, Australian), a yen sign a yen.
_CURRENCIES = (
    ("dollar", re.compile(r"\$|\b(usd|cad|aud|dollars?)\b", re.I)),
    ("euro", re.compile(r"€|\b(eur|euros?)\b", re.I)),
    ("pound sterling", re.compile(r"£|\b(gbp|sterling|british pounds?)\b", re.I)),
    ("yen", re.compile(r"¥|\b(jpy|yen)\b", re.I)),
)
# "in euros", "in US dollars", "how many euros": the currency a question wants ("pounds" alone may weigh).
_ASKED_CURRENCY = re.compile(r"\b(?:in|how many)\s+((?:us\s+|american\s+|canadian\s+|australian\s+)?dollars|"
                             r"euros?|eur|usd|gbp|(?:pounds\s+)?sterling|british\s+pounds|yen|jpy)\b", re.I)
