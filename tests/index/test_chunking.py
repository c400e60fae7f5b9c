import re

from hypothesis import given, settings
from hypothesis import strategies as st

from groundqa.index.chunking import HEADING_PATH_MAX_CHARS, ChunkingConfig, chunk_document, heading_path, split_sentences
from groundqa.index.types import Document


def words(text):
    return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]


def sentences_of(text):
    return [text[s:e] for s, e in split_sentences(text)]


def test_sentence_splitter_handles_abbreviations_quotes_and_lines():
    text = ("Microsoft President Brad Smith spoke. “We will not sell it,” he said. Dr. Who met Mr. Smith "
            "in the U.S. today. Is it? Yes!\nNew line without stop\n\nLast one.")
    assert sentences_of(text) == [
        "Microsoft President Brad Smith spoke.",
        "“We will not sell it,” he said.",
        "Dr. Who met Mr. Smith in the U.S. today.",
        "Is it?",
        "Yes!",
        "New line without stop",
        "Last one.",
    ]


def test_a_time_of_day_does_not_end_a_sentence():
    """A citation's context once stopped at "8 p.m." and left "Eastern Time." out."""
    text = "Phone support is open Monday to Friday, 8 a.m. to 8 p.m. Eastern Time. Email us any time."
    assert sentences_of(text) == ["Phone support is open Monday to Friday, 8 a.m. to 8 p.m. Eastern Time.",
                                  "Email us any time."]


def test_chunks_follow_sentences_and_overlap():
    sentences = [f"Sentence number {i} has exactly seven words." for i in range(20)]
    document = Document("doc", "t", "s", " ".join(sentences))
    chunks = chunk_document(document, words, ChunkingConfig(max_tokens=30, overlap_tokens=8))
    assert len(chunks) > 3
    for chunk in chunks:
        assert chunk.text == document.text[chunk.start:chunk.end]
        assert chunk.text.startswith("Sentence number") and chunk.text.endswith("words.")
        assert len(words(chunk.text)) <= 30
    for previous, current in zip(chunks, chunks[1:]):
        assert current.start < previous.end, "consecutive chunks share a sentence"
        assert current.start > previous.start
    assert [c.chunk_id for c in chunks] == [f"doc#{i}" for i in range(len(chunks))]


def test_chunks_are_as_long_as_the_reader_reads_whatever_their_heading_path():
    sections, text = [], ""
    for n in range(6):
        heading = f"Section {n} about the wiring of heat pumps and their reversing valves"
        sections.append([len(text), len(text) + len(heading), 2, heading])
        text += heading + "\n\n" + " ".join(f"Sentence {i} of section {n} has eight words." for i in range(12)) + "\n\n"
    title = "A long guide title that names the product, its model and its revision " * 3
    document = Document("doc", title.strip(), "s", text.strip(), {"sections": sections})
    chunks = chunk_document(document, words, ChunkingConfig(max_tokens=60, overlap_tokens=10))
    assert len(chunks) > 6
    for chunk in chunks:
        assert 50 < len(words(chunk.text)) <= 60 or chunk is chunks[-1]
        assert chunk.text == document.text[chunk.start:chunk.end] and chunk.heading_path not in chunk.text
        assert len(chunk.heading_path) <= HEADING_PATH_MAX_CHARS
    inside = [chunk for chunk in chunks if not chunk.text.startswith("Section")]
    assert inside and all(chunk.heading_path.startswith("Section") for chunk in inside)  # the title dropped first


def test_a_heading_path_leaves_out_what_the_chunk_begins_with_and_keeps_the_innermost():
    text = "Guide\n\nWiring\n\nUse 18 AWG wire."
    document = Document("doc", "Guide", "s", text, {"sections": [[7, 13, 2, "Wiring"]]})
    assert heading_path(document, 0) == ""  # the chunk begins with the title
    assert heading_path(document, 7) == "Guide"  # ... with the heading
    assert heading_path(document, 15) == "Guide / Wiring"
    deep = Document("doc", "T" * 100, "s", "x" * 50 + " body", {"sections": [[0, 50, 2, "H" * 60]]})
    assert heading_path(deep, 51) == "H" * 60  # too long with the title: the outermost part goes


def test_overlong_sentence_is_cut_at_token_boundaries():
    document = Document("doc", "t", "s", " ".join(f"w{i}" for i in range(95)))
    chunks = chunk_document(document, words, ChunkingConfig(max_tokens=20, overlap_tokens=0))
    assert [len(words(c.text)) for c in chunks] == [20, 20, 20, 20, 15]
    assert " ".join(c.text for c in chunks) == document.text


text_strategy = st.lists(
    st.text(alphabet=st.sampled_from("abcXYZ019 .!?\n\u201c\u201d'\t"), min_size=0, max_size=60), max_size=30
).map(lambda parts: "".join(parts))


@settings(max_examples=300, deadline=None)
@given(text=text_strategy, max_tokens=st.integers(1, 40), overlap=st.integers(0, 30))
def test_chunk_offsets_are_exact_and_cover_every_word(text, max_tokens, overlap):
    document = Document("d", "t", "s", text)
    chunks = chunk_document(document, words, ChunkingConfig(max_tokens=max_tokens, overlap_tokens=overlap))
    covered = set()
    for chunk in chunks:
        assert document.text[chunk.start:chunk.end] == chunk.text
        assert chunk.text.strip() == chunk.text and chunk.text
        assert len(words(chunk.text)) <= max_tokens or len(words(chunk.text)) == 1
        covered.update(range(chunk.start, chunk.end))
    for start, end in words(text):
        assert set(range(start, end)) <= covered
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)


@settings(max_examples=200, deadline=None)
@given(text=text_strategy)
def test_sentences_are_ordered_trimmed_and_disjoint(text):
    spans = split_sentences(text)
    for (s1, e1), (s2, _) in zip(spans, spans[1:]):
        assert e1 <= s2
    for s, e in spans:
        assert text[s:e] == text[s:e].strip() != ""
