"""A spreadsheet cell's value as the spreadsheet shows it, near enough: numbers in their format's percent,
currency symbol, thousands separator and decimals; dates as ISO dates; booleans as TRUE and FALSE."""

from __future__ import annotations

import datetime
import math
import re


def cell_text(cell) -> str:
    """A cell's value as the spreadsheet shows it, near enough: numbers in their format's percent,
    currency, thousands separator and decimals; dates as ISO dates; TRUE/FALSE."""
    value = getattr(cell, "value", None)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(" ", "minutes")
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return str(value)
    if isinstance(value, (int, float)):
        return format_number(value, getattr(cell, "number_format", None) or "General")
    return str(value)


_DECIMALS = re.compile(r"\.(0+)")
_CURRENCY = re.compile(r"[$\u20ac\u00a3\u00a5]")


def format_number(value: float, number_format: str) -> str:
    section = number_format[:255].split(";", 1)[0]  # Excel's own limit on a format's length
    unquoted = _LITERAL.sub(_symbol_of, section)
    percent = "%" in unquoted
    number = value * 100 if percent else value
    decimals = _DECIMALS.search(unquoted)
    comma = "," if "#,##" in unquoted or "0,0" in unquoted else ""
    if decimals:
        text = f"{number:{comma}.{len(decimals.group(1))}f}"
    elif re.search(r"[0#]", unquoted) or float(number).is_integer():  # "0", "#,##0": a whole number
        text = f"{int(math.copysign(math.floor(abs(number) + 0.5), number)):{comma}d}"  # half away from 0, as Excel
    else:  # General: as many digits as it has
        text = f"{number:.15g}"
    symbol = _CURRENCY.search(unquoted)
    if symbol and not text.startswith("-"):
        text = symbol.group() + text
    elif symbol:
        text = "-" + symbol.group() + text[1:]
    return text + ("%" if percent else "")


# Quoted text ("$"), a bracketed locale or colour ([$€-407], [Red]), an escaped character (\$).
_LITERAL = re.compile(r'"[^"]*"|\[[^\]\[]*\]|\\.')


def _symbol_of(literal: re.Match) -> str:
    """The currency symbol a format's literal shows, if any: [$€-407] shows €."""
    text = literal.group()
    if text.startswith("[$"):
        text = text[2:].split("-", 1)[0]
    symbol = _CURRENCY.search(text)
    return symbol.group() if symbol else ""
