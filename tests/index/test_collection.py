import json

from tests.conftest import dense, faiss_collection
import numpy as np
import pytest

from groundqa.errors import DocumentNotFound, IndexMismatch, IndexNotReady
from groundqa.index import persistence
from groundqa.index.chunking import ChunkingConfig
from groundqa.index.collection import Collection, Manifest
from groundqa.index.types import Document


def manifest(embedder, max_tokens=12):
    return Manifest(embedder.name, embedder.dimension, ChunkingConfig(max_tokens=max_tokens, overlap_tokens=3))


def doc(doc_id, text, **meta):
    return Document(doc_id, doc_id.title(), f"test:{doc_id}", text, meta)


ANIMALS = doc("animals", "Cats purr softly at night. Dogs bark loudly at strangers. Owls hunt mice in the dark barn.")
PLANETS = doc("planets", "Mars is the red planet. Jupiter has a great red spot. Saturn has bright rings of ice.")


def assert_consistent(collection: Collection):
    """Invariant 3: one vector row per stored chunk, every chunk's text at its offsets."""
    assert len(collection.store) == collection.chunk_count == sum(len(r) for r in collection.doc_rows.values())
    for row, chunk in collection.chunks.items():
        assert collection.documents[chunk.doc_id].text[chunk.start:chunk.end] == chunk.text
        assert row in collection.doc_rows[chunk.doc_id]


def top_doc(collection, embedder, query, k=1):
    return [p.chunk.doc_id for p in collection.search(embedder.embed([query])[0], k, dense())]


def test_upsert_search_update_delete(fake_embedder):
    collection = faiss_collection(manifest(fake_embedder))
    report = collection.upsert([ANIMALS, PLANETS], fake_embedder)
    assert report.added == ["animals", "planets"] and report.chunks_embedded == collection.chunk_count
    assert_consistent(collection)
    assert top_doc(collection, fake_embedder, "owls hunt mice") == ["animals"]

    embedded_before = fake_embedder.embedded
    assert collection.upsert([ANIMALS], fake_embedder).unchanged == ["animals"]
    assert fake_embedder.embedded == embedded_before, "unchanged documents are not re-embedded"

    changed = doc("animals", "Horses gallop across green fields every morning.")
    assert collection.upsert([changed], fake_embedder).updated == ["animals"]
    assert_consistent(collection)
    assert all(c.text != "Owls hunt mice in the dark barn." for c in collection.chunks.values())
    assert top_doc(collection, fake_embedder, "horses gallop fields") == ["animals"]

    assert collection.delete(["planets", "missing"]) == ["planets"]
    assert_consistent(collection)
    hits = collection.search(fake_embedder.embed(["red planet rings"])[0], 10, dense())
    assert hits and all(p.chunk.doc_id == "animals" for p in hits), "deleted chunks never come back"
    with pytest.raises(DocumentNotFound):
        collection.document("planets")


def test_filter_limits_search_to_matching_documents(fake_embedder):
    collection = faiss_collection(manifest(fake_embedder))
    collection.upsert([doc("a", "Red planet Mars.", lang="en"), doc("b", "Red planet Mars again.", lang="fr")], fake_embedder)
    hits = collection.search(fake_embedder.embed(["red planet"])[0], 5, dense(), filters={"lang": "fr"})
    assert [p.chunk.doc_id for p in hits] == ["b"]
    assert collection.search(fake_embedder.embed(["red"])[0], 5, dense(), filters={"lang": "de"}) == []


def test_failed_embedding_leaves_collection_unchanged(fake_embedder):
    collection = faiss_collection(manifest(fake_embedder))
    collection.upsert([ANIMALS], fake_embedder)

    class Broken:
        name, dimension = fake_embedder.name, fake_embedder.dimension
        token_offsets = staticmethod(fake_embedder.token_offsets)

        def embed(self, texts, progress=False):
            raise RuntimeError("out of memory")

    with pytest.raises(RuntimeError):
        collection.upsert([PLANETS, doc("animals", "Totally new text.")], Broken())
    assert sorted(collection.documents) == ["animals"] and collection.documents["animals"] == ANIMALS
    assert_consistent(collection)


def test_save_and_load_round_trip(tmp_path, fake_embedder):
    collection = faiss_collection(manifest(fake_embedder))
    collection.upsert([ANIMALS, PLANETS], fake_embedder)
    collection.delete(["animals"])
    persistence.save(collection, tmp_path)
    loaded = persistence.load(tmp_path, manifest(fake_embedder))
    assert loaded.documents == collection.documents and loaded.chunks == collection.chunks
    assert_consistent(loaded)
    query = fake_embedder.embed(["saturn rings"])[0]
    assert [(p.chunk, round(p.score, 5)) for p in loaded.search(query, 3, dense())] == \
           [(p.chunk, round(p.score, 5)) for p in collection.search(query, 3, dense())]
    loaded.upsert([ANIMALS], fake_embedder)
    assert_consistent(loaded)
    assert len(set(loaded.chunks)) == loaded.chunk_count, "new rows never reuse live row ids"


def test_index_built_with_other_settings_refuses_to_load(tmp_path, fake_embedder):
    persistence.save(faiss_collection(manifest(fake_embedder)), tmp_path)
    with pytest.raises(IndexMismatch, match="chunking"):
        persistence.load(tmp_path, manifest(fake_embedder, max_tokens=99))
    other = Manifest("another-model", fake_embedder.dimension, ChunkingConfig(12, 3))
    with pytest.raises(IndexMismatch, match="embedding_model='fake-hashing'"):
        persistence.load(tmp_path, other)


def test_an_index_embedded_before_heading_paths_loads_with_a_warning_to_rebuild(tmp_path, fake_embedder, caplog):
    collection = faiss_collection(manifest(fake_embedder))
    collection.upsert([ANIMALS], fake_embedder)
    persistence.save(collection, tmp_path)
    written = next(tmp_path.glob("v*/manifest.json"))
    old = json.loads(written.read_text())
    assert old["searched_text_version"] == 2
    del old["searched_text_version"]  # as indexes built before it was recorded
    written.write_text(json.dumps(old))
    loaded = persistence.load(tmp_path, manifest(fake_embedder))
    assert loaded.manifest.searched_text_version == 1 and set(loaded.documents) == {"animals"}
    assert "re-index into a new --index-dir" in caplog.text
    caplog.clear()
    persistence.save(faiss_collection(manifest(fake_embedder)), tmp_path / "new")
    persistence.load(tmp_path / "new", manifest(fake_embedder))
    assert "re-index" not in caplog.text


def test_missing_index_is_not_ready(tmp_path):
    with pytest.raises(IndexNotReady, match="groundqa index"):
        persistence.load(tmp_path / "nowhere")


def test_crash_while_saving_keeps_previous_version(tmp_path, fake_embedder, monkeypatch):
    collection = faiss_collection(manifest(fake_embedder))
    collection.upsert([ANIMALS], fake_embedder)
    persistence.save(collection, tmp_path)
    collection.upsert([PLANETS], fake_embedder)

    def crash(directory):
        (directory / "vectors.faiss").write_bytes(b"half written")
        raise KeyboardInterrupt("killed")

    monkeypatch.setattr(collection.store, "write", crash)
    with pytest.raises(KeyboardInterrupt):
        persistence.save(collection, tmp_path)
    loaded = persistence.load(tmp_path, manifest(fake_embedder))
    assert sorted(loaded.documents) == ["animals"]
    assert_consistent(loaded)

    monkeypatch.undo()
    persistence.save(collection, tmp_path)
    assert sorted(persistence.load(tmp_path).documents) == ["animals", "planets"]
    leftovers = [p.name for p in tmp_path.iterdir() if p.is_dir()]
    assert len(leftovers) == 1, f"stale versions and staging folders are cleaned up: {leftovers}"


def test_inconsistent_files_are_reported(tmp_path, fake_embedder):
    collection = faiss_collection(manifest(fake_embedder))
    collection.upsert([ANIMALS], fake_embedder)
    version = persistence.save(collection, tmp_path)
    lines = (version / "documents.jsonl").read_text().splitlines()
    record = json.loads(lines[0])
    record["chunks"] = record["chunks"][:1]
    (version / "documents.jsonl").write_text(json.dumps(record) + "\n")
    with pytest.raises(IndexNotReady, match="inconsistent"):
        persistence.load(tmp_path)


RELEASES = ("Firmware 3.1\n\nThis release adds Eco mode to every thermostat. It needs app 5.4 or later. Rollout takes "
            "three weeks.\n\nFirmware 3.0\n\nThis release adds schedules to every thermostat. It needs app 5.0 or later.")


def test_a_chunk_is_found_by_its_sections_heading_though_its_text_lacks_it(tmp_path, fake_embedder):
    from groundqa.index.hybrid import RetrievalConfig

    second = RELEASES.index("Firmware 3.0")
    notes = doc("notes", RELEASES, sections=[[0, 12, 2, "Firmware 3.1"], [second, second + 12, 2, "Firmware 3.0"]])
    collection = faiss_collection(manifest(fake_embedder, max_tokens=12))
    collection.upsert([notes], fake_embedder)
    persistence.save(collection, tmp_path)
    for searched in (collection, persistence.load(tmp_path, manifest(fake_embedder, max_tokens=12))):
        assert_consistent(searched)
        hits = searched.search(fake_embedder.embed(["app for firmware 3.1"])[0], 1, RetrievalConfig("sparse"),
                               query_text="Which app do I need for firmware 3.1?")
        assert "5.4 or later" in hits[0].chunk.text and "3.1" not in hits[0].chunk.text  # found by its heading
        assert hits[0].chunk.heading_path == "Notes / Firmware 3.1"
