"""The answer cache: what it keeps, for how long, and that it never outlives a change to the index."""

from groundqa.service.answer_cache import AnswerCache, cache_key
from groundqa.service.types import AskResult


def result(text: str) -> AskResult:
    return AskResult(question=text, answers=[], no_answer=True)


def test_keeps_answers_by_question_top_k_and_filters():
    cache = AnswerCache(10)
    key = cache_key("  Who is   the president? ", 5, {"b": 1, "a": 2})
    cache.put(key, result("one"), cache.generation)
    assert cache.get(cache_key("Who is the president?", 5, {"a": 2, "b": 1})).question == "one"
    assert cache.get(cache_key("Who is the president?", 3, {"a": 2, "b": 1})) is None
    assert cache.get(cache_key("Who is the president?", 5, None)) is None


def test_a_write_empties_it_and_answers_computed_before_the_write_are_not_kept():
    cache = AnswerCache(10)
    cache.put("kept", result("old"), cache.generation)
    computing_since = cache.generation
    cache.invalidate()  # a document was written while an answer was being computed
    assert cache.get("kept") is None
    cache.put("late", result("stale"), computing_since)
    assert cache.get("late") is None
    cache.put("fresh", result("new"), cache.generation)
    assert cache.get("fresh").question == "new"


def test_least_recently_used_answers_go_first_and_size_zero_keeps_nothing():
    cache = AnswerCache(2)
    for name in ("a", "b"):
        cache.put(name, result(name), cache.generation)
    cache.get("a")  # a is now more recent than b
    cache.put("c", result("c"), cache.generation)
    assert cache.get("b") is None and cache.get("a") and cache.get("c")
    off = AnswerCache(0)
    off.put("a", result("a"), off.generation)
    assert off.get("a") is None
