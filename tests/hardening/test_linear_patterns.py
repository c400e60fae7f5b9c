"""Every regular expression that runs on document or question text runs in linear time on hostile
input (issue 39): a stored line such as "Widget prices | price: 10: 20 | price: 10: 20 ... | see note"
once made every ask that read it run for minutes.

Each pattern is applied as its code applies it: searched (finditer: every match, as search, sub and
findall walk the text) or matched from the start (fullmatch, which goes furthest), over hostile texts
of growing length. Growth is judged by ratio only, never against a clock: up to EXPONENTIAL_UNTIL
repetitions of a unit the text doubles, and twenty times the time for twice the text fails at once; from there it
grows eightfold, where linear work takes about 8 times as long and quadratic work 64 times, and over
24 times at two steps in a row fails. Each ratio that fails is measured again, both lengths side by
side, before it counts: a busy machine slows one measurement, seldom two.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # about two minutes: every pattern, every hostile text
PACKAGES = ["groundqa.index", "groundqa.service", "groundqa.eval.metrics"]
CALLS = {"compile", "search", "match", "fullmatch", "sub", "subn", "findall", "finditer", "split"}
# (start, unit, end): units that patterns over prose, numbers, tables, lists and headings overlap on,
# each repeated, then ended with what makes the match fail at the last moment.
HOSTILE = [("", unit, "!") for unit in (".", " ", "a", "1", ":", "-", "\n", "a.", ". ", "1.", "1,", "a ", "1 ", "A. ",
                                    "a: ", "$1", "(", "* ", "1) ", "'a", "\u2026", " \n", "Aa ", "1 a ", "a, ")]
HOSTILE += [("Widget prices", " | price: 10: 20", " | see note"), ("a", " | a", " |")]
EXPONENTIAL_UNTIL, LIMIT = 64, 1 << 15  # repetitions of the unit; characters
# Below this a call's time is mostly the timer's and the interpreter's noise, and ratios mean nothing;
# work that grows faster than the text passes it long before LIMIT.
NOISE_FLOOR_S = 20e-6


def _modules():
    for name in PACKAGES:
        module = importlib.import_module(name)
        yield module
        for info in pkgutil.walk_packages(getattr(module, "__path__", []), prefix=f"{name}."):
            yield importlib.import_module(info.name)


SEARCHES = {"search", "sub", "subn", "findall", "finditer", "split"}


def _uses(module) -> tuple[dict[str, set[str]], list[tuple[re.Pattern, set[str]]]]:
    """How the module applies its patterns: by name, the methods called on each module-level pattern
    (`_ROW.fullmatch(line)`: {"fullmatch"}); and the patterns written inline (`re.search(r"...", text)`)
    with the function that applies each."""
    by_name: dict[str, set[str]] = {}
    inline = []
    for node in ast.walk(ast.parse(Path(module.__file__).read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CALLS):
            continue
        owner = node.func.value
        if isinstance(owner, ast.Name) and owner.id == "re":
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                flags = re.IGNORECASE if any(kw.arg == "flags" for kw in node.keywords) else 0
                inline.append((re.compile(node.args[0].value, flags), {node.func.attr}))
        elif isinstance(owner, ast.Name):
            by_name.setdefault(owner.id, set()).add(node.func.attr)
    return by_name, inline


def text_patterns() -> dict[str, tuple[re.Pattern, set[str]]]:
    """Every pattern of the packages with the ways it is applied: "search" (it scans the text, from
    every position) and "match" (anchored where the code says). A module-level pattern the module
    never applies by name (passed on, or used elsewhere) is checked both ways."""
    patterns, named, applied = {}, {}, {}
    for module in _modules():
        by_name, inline = _uses(module)
        for name, value in vars(module).items():
            if isinstance(value, re.Pattern):  # an imported pattern is the same object: one entry
                named.setdefault(id(value), (f"{module.__name__}.{name}", value))
                applied.setdefault(id(value), set()).update(by_name.get(name, ()))
        for number, (pattern, methods) in enumerate(inline):
            patterns[f"{module.__name__}:{number}:{pattern.pattern[:40]}"] = (pattern, _ways(methods))
    for key, (name, pattern) in named.items():
        patterns[name] = (pattern, _ways(applied[key] or {"search", "match"}))
    return patterns


def _ways(methods: set[str]) -> set[str]:
    ways = {"search"} if methods & SEARCHES else set()
    return ways | ({"match"} if methods - SEARCHES else set())


def _seconds(work) -> float:
    """Seconds per call, the least of three batches of at least half a millisecond each (noise only adds
    time)."""
    best = float("inf")
    for _ in range(3):
        calls, began = 0, time.perf_counter()
        while True:
            work()
            calls += 1
            elapsed = time.perf_counter() - began
            if elapsed >= 0.0005:
                break
        best = min(best, elapsed / calls)
    return best


def superlinear(pattern: re.Pattern, unit: str, ending: str, ways=("search", "match"), start: str = "") -> str | None:
    """A description of the growth where it is worse than linear (see the module's docstring), else None."""
    runs = {"search": lambda text: sum(1 for _ in pattern.finditer(text)), "match": pattern.fullmatch}
    for way in ways:
        def timed(length: int) -> float:
            text = start + unit * length + ending
            return _seconds(lambda: runs[way](text))

        previous, strikes, length = None, 0, 1
        while length * len(unit) <= LIMIT:
            step = 2 if length <= EXPONENTIAL_UNTIL else 8
            seconds = timed(length)
            if previous is not None and seconds > NOISE_FLOOR_S:
                bound = 20 if step == 2 else 24
                if seconds > bound * previous:
                    previous, seconds = timed(length // step), timed(length)
                confirmed = seconds > bound * previous
                strikes = strikes + 1 if confirmed else 0
                if confirmed and (step == 2 or strikes == 2):
                    return f"{way} on {unit!r}*n+{ending!r}: {previous * 1e3:.2f} -> {seconds * 1e3:.2f} ms at n={length}"
            if seconds > 0.05:
                break
            previous = seconds
            length = length * 2 if length < EXPONENTIAL_UNTIL else length * 8
    return None


PATTERNS = text_patterns()


def test_the_patterns_are_found():
    assert len(PATTERNS) > 50
    assert any(name.startswith("groundqa.index.chunking.") for name in PATTERNS)


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_pattern_runs_in_linear_time(name):
    pattern, ways = PATTERNS[name]
    slow = [found for start, unit, ending in HOSTILE if (found := superlinear(pattern, unit, ending, ways, start))]
    assert not slow, f"{name} ({pattern.pattern[:80]!r}) grows faster than the text: {slow[:3]}"


def test_the_check_catches_backtracking():
    """The check itself fails a pattern known to backtrack (nested quantifiers over one class)."""
    assert superlinear(re.compile(r"(?:a|a)*b"), "a", "!") is not None  # exponential
    assert superlinear(re.compile(r"[.]+(?=x)"), ".", "!") is not None  # quadratic: a scan from every dot
    assert superlinear(re.compile(r"(?<![.])[.]++(?=x)"), ".", "!") is None
    table_row = re.compile(r"[^|\n]+(?: \| [^|\n]*?: [^|\n]*)+")  # issue 39's stored line froze the server
    assert superlinear(table_row, " | price: 10: 20", " | see note", ("match",), "Widget prices") is not None
