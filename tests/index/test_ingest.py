from tests.conftest import dense, faiss_collection
from groundqa.index import persistence
from groundqa.index.chunking import ChunkingConfig
from groundqa.index.collection import Collection, Manifest
from groundqa.index.ingest import scan, sync


def new_collection(embedder):
    return faiss_collection(Manifest(embedder.name, embedder.dimension, ChunkingConfig(12, 3)))


def test_sync_adds_changes_and_removes_files(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("Alpha is the first letter. It starts the alphabet.")
    (docs / "b.md").write_text("# Beta\n\nBeta is the second letter.")
    (docs / "sub").mkdir()
    (docs / "sub" / "c.html").write_text("<p>Gamma is the third letter.</p>")
    (docs / "ignored.bin").write_bytes(b"\x00\x01")
    collection = new_collection(fake_embedder)

    report = sync(collection, [docs], fake_embedder)
    assert sorted(report.upsert.added) == ["docs/a.txt", "docs/b.md", "docs/sub/c.html"]
    assert report.removed == [] and report.problems == []

    (docs / "a.txt").write_text("Alpha changed its meaning entirely.")
    (docs / "b.md").unlink()
    before = fake_embedder.embedded
    report = sync(collection, [docs], fake_embedder)
    assert report.upsert.updated == ["docs/a.txt"]
    assert report.upsert.unchanged == ["docs/sub/c.html"]
    assert report.removed == ["docs/b.md"]
    assert fake_embedder.embedded - before == report.upsert.chunks_embedded == 1
    assert sorted(collection.documents) == ["docs/a.txt", "docs/sub/c.html"]
    assert len(collection.store) == collection.chunk_count
    hits = collection.search(fake_embedder.embed(["beta second letter"])[0], 10, dense())
    assert "docs/b.md" not in {p.chunk.doc_id for p in hits}


def test_bad_files_are_reported_and_earlier_data_survives(tmp_path, fake_embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text("Good text stays searchable.")
    (docs / "later.txt").write_text("This one will break later.")
    collection = new_collection(fake_embedder)
    sync(collection, [docs], fake_embedder)

    (docs / "later.txt").write_bytes(b"\x00\x00binary now")
    (docs / "broken.pdf").write_bytes(b"%PDF-1.7 truncated")
    (docs / "empty.md").write_text("   ")
    report = sync(collection, [docs], fake_embedder)
    reasons = {p.source.rsplit("/", 1)[-1]: p.reason for p in report.problems}
    assert set(reasons) == {"later.txt", "broken.pdf", "empty.md"}
    assert "binary" in reasons["later.txt"] and "PDF" in reasons["broken.pdf"] and "no extractable" in reasons["empty.md"]
    assert sorted(collection.documents) == ["docs/good.txt", "docs/later.txt"], "a file that fails keeps its old version"
    assert collection.documents["docs/later.txt"].text == "This one will break later."


def test_sync_of_one_folder_leaves_other_sources_alone(tmp_path, fake_embedder):
    (tmp_path / "one").mkdir()
    (tmp_path / "two").mkdir()
    (tmp_path / "one" / "x.txt").write_text("From folder one.")
    (tmp_path / "two" / "y.txt").write_text("From folder two.")
    collection = new_collection(fake_embedder)
    sync(collection, [tmp_path / "one", tmp_path / "two"], fake_embedder)
    (tmp_path / "two" / "y.txt").unlink()
    report = sync(collection, [tmp_path / "one"], fake_embedder)
    assert report.removed == [] and sorted(collection.documents) == ["one/x.txt", "two/y.txt"]


def test_missing_path_and_jsonl_documents(tmp_path, fake_embedder):
    (tmp_path / "d.jsonl").write_text('{"id": "k1", "title": "K", "text": "Kappa text."}\n{"bad": 1}\n')
    result = scan([tmp_path / "nope", tmp_path / "d.jsonl"])
    assert [d.doc_id for d in result.documents] == ["k1"]
    assert [str(p).rsplit("/", 1)[-1] for p in result.problems] == [
        "nope: no such file or directory", "d.jsonl: line 2: missing or empty 'text'"]


def test_persisted_sync_round_trip(tmp_path, fake_embedder):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "a.txt").write_text("Persist me please.")
    collection = new_collection(fake_embedder)
    sync(collection, [tmp_path / "docs"], fake_embedder)
    persistence.save(collection, tmp_path / "index")
    reloaded = persistence.load(tmp_path / "index")
    report = sync(reloaded, [tmp_path / "docs"], fake_embedder)
    assert report.upsert.unchanged == ["docs/a.txt"] and report.upsert.chunks_embedded == 0
