"""The command line's fast paths, through a real process: every mistake is one `error:` line, exit
status 2, before any model loads; the index can be listed, read and pruned without the models."""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from groundqa.index import persistence
from groundqa.index.chunking import ChunkingConfig
from groundqa.index.collection import Manifest
from groundqa.index.types import Document
from tests.conftest import FakeEmbedder, faiss_collection


# What `python -m groundqa.cli` runs, writing down on its way out which model libraries the process imported:
# loading a model imports torch, so a command that never imported it loaded no model.
MODEL_LIBRARIES = ("torch", "transformers", "sentence_transformers")
PROBE = ("import atexit, os, sys\n"
         "atexit.register(lambda: open(os.environ['GROUNDQA_TEST_IMPORTED'], 'w').write("
         f"' '.join(['checked', *(name for name in {MODEL_LIBRARIES!r} if name in sys.modules)])))\n"
         "from groundqa.cli import main\n"
         "sys.exit(main())\n")


def groundqa(*args, cwd, env=None):
    handle, name = tempfile.mkstemp(prefix="imported-")
    os.close(handle)
    imported = Path(name)
    # The timeout only guards against a hang: the test fails by timing out, never on a measured time.
    result = subprocess.run([sys.executable, "-c", PROBE, *map(str, args)], cwd=cwd, capture_output=True,
                            text=True, timeout=120, env={**os.environ, "HF_HUB_OFFLINE": "1",
                                                         "GROUNDQA_TEST_IMPORTED": str(imported), **(env or {})})
    written = imported.read_text().split()
    result.model_libraries = written[1:] if written[:1] == ["checked"] else None  # None: the probe never ran
    imported.unlink()
    return result


def assert_one_line_error(result, fragment):
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], result.stderr
    assert result.model_libraries == [], f"a model library was loaded before the error: {result.model_libraries}"


@pytest.mark.parametrize("args, fragment", [
    (["ask", "--file", "missing.txt"], "no such file: missing.txt"),
    (["index", "/does-not-exist"], "no such file or folder: /does-not-exist"),
    (["index", "empty"], "no documents to index in empty"),
    (["ask", "Who?", "--index-dir", "nowhere"], "no index at nowhere"),
    (["ask", "Who?", "--top-k", "0"], "top_k must be between 1 and 100"),
    (["documents", "list", "--index-dir", "nowhere"], "no index at nowhere"),
    (["status", "--index-dir", "nowhere"], "no usable index"),
    (["index", "a", "b", "--as", "x"], "exactly one path"),
    (["ask", "Who?", "--collection", "Bad-Name"], "a collection name is 1 to 48 characters"),
    (["documents", "list", "--collection", "nope"], "no collection 'nope'"),
    (["serve", "--collection", "acme"], "serve serves every collection"),
])
def test_mistakes_are_one_line_before_any_model_loads(tmp_path, args, fragment):
    (tmp_path / "empty").mkdir()
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
    assert_one_line_error(groundqa(*args, cwd=tmp_path), fragment)


def test_bad_settings_from_the_config_file_or_environment(tmp_path):
    (tmp_path / "groundqa.toml").write_text('top_k = "many"\n')
    assert_one_line_error(groundqa("ask", "Who?", cwd=tmp_path), "setting top_k")
    (tmp_path / "groundqa.toml").write_text("top_k = \n")
    assert_one_line_error(groundqa("ask", "Who?", cwd=tmp_path), "not valid TOML")
    (tmp_path / "groundqa.toml").write_text("top_k = 7\n")
    assert_one_line_error(groundqa("ask", "Who?", cwd=tmp_path, env={"GROUNDQA_TOP_K": "0"}), "GROUNDQA_TOP_K")


def test_version_and_help_name_every_default(tmp_path):
    assert groundqa("--version", cwd=tmp_path).stdout.startswith("groundqa ")
    for command in ("index", "ask", "serve", "eval", "documents"):
        text = groundqa(command, "--help", cwd=tmp_path).stdout
        assert "--index-dir" in text and "default: $GROUNDQA_INDEX_DIR" in text, command
    ask_help = groundqa("ask", "--help", cwd=tmp_path).stdout
    assert "default: $GROUNDQA_TOP_K, else 5" in " ".join(ask_help.split())


def test_config_file_sets_what_the_environment_does_not(tmp_path):
    (tmp_path / "groundqa.toml").write_text('index_dir = "from-file"\n')
    assert_one_line_error(groundqa("ask", "Who?", cwd=tmp_path), "no index at from-file")
    assert_one_line_error(groundqa("ask", "Who?", cwd=tmp_path, env={"GROUNDQA_INDEX_DIR": "from-env"}),
                          "no index at from-env")


@pytest.fixture
def small_index(tmp_path):
    embedder = FakeEmbedder()
    collection = faiss_collection(Manifest(embedder.name, embedder.dimension, ChunkingConfig(254, 40)))
    collection.upsert([Document("notes/a", "Note A", "notes/a", "Alpha is the first letter.", {"lang": "en"}),
                       Document("notes/b", "Note B", "notes/b", "Beta is the second letter.")], embedder)
    persistence.save(collection, tmp_path / "index")
    return tmp_path / "index"


def test_documents_and_status_without_models(small_index, tmp_path):
    listed = groundqa("documents", "list", "--json", "--index-dir", small_index, cwd=tmp_path)
    assert [json.loads(line)["doc_id"] for line in listed.stdout.splitlines()] == ["notes/a", "notes/b"]
    shown = json.loads(groundqa("documents", "show", "notes/a", "--json", "--index-dir", small_index, cwd=tmp_path).stdout)
    assert shown["text"] == "Alpha is the first letter." and shown["meta"] == {"lang": "en"}
    status = json.loads(groundqa("status", "--json", "--index-dir", small_index, cwd=tmp_path).stdout)
    assert status["documents"] == 2 and status["embedding_model"] == "fake-hashing"
    assert_one_line_error(groundqa("documents", "rm", "notes/a", "nope", "--index-dir", small_index, cwd=tmp_path),
                          "no document with id 'nope'")
    assert sorted(persistence.load(small_index).documents) == ["notes/a", "notes/b"]  # nothing removed
    removed = groundqa("documents", "rm", "notes/a", "--index-dir", small_index, cwd=tmp_path)
    assert removed.returncode == 0 and "removed 1 documents: notes/a" in removed.stdout
    assert sorted(persistence.load(small_index).documents) == ["notes/b"]


def test_serve_help_offers_only_what_serve_accepts(tmp_path):
    shown = groundqa("serve", "--help", cwd=tmp_path)
    assert "--port" in shown.stdout and "--index-dir" in shown.stdout
    assert "--collection" not in shown.stdout  # serve refuses it (above): every collection is served
    assert "--collection" in groundqa("ask", "--help", cwd=tmp_path).stdout
