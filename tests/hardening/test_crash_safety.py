"""kill -9 the indexer at each step of a write, then start again: the last saved index loads and
answers, no half-written document is visible, and re-running completes and cleans up."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from groundqa.index import persistence

pytestmark = pytest.mark.slow

# Where the child process SIGKILLs itself: (module attribute to replace, what has happened by then).
CRASH_POINTS = {
    "after-embedding": "groundqa.index.collection.Collection.apply",  # everything embedded, nothing applied
    "staging-written": "os.rename",  # the new version is on disk under its temporary name
    "version-renamed": "os.replace",  # the version is in place, CURRENT still names the old one
    "before-cleanup": "groundqa.index.persistence._remove_stale",  # CURRENT names the new version
}
OLD = {"keeper.txt": "The lighthouse keeper on Fogg Island is Margit Olsen.\n"}
NEW = {f"report-{n}.txt": f"Report {n}. The harbour master of port {n} is Captain Number{n}.\n" * 20 for n in range(30)}


def run_indexer(folder, index_dir, crash_at: str | None = None) -> subprocess.CompletedProcess:
    script = textwrap.dedent(f"""
        import importlib, os, signal, sys
        target = {CRASH_POINTS.get(crash_at)!r}
        if target:
            module_name, _, attribute = target.rpartition(".")
            try:
                owner = importlib.import_module(module_name)
            except ModuleNotFoundError:  # a class attribute: module.Class.method
                module_name, _, cls = module_name.rpartition(".")
                owner = getattr(importlib.import_module(module_name), cls)
            setattr(owner, attribute, lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL))
        from groundqa.cli import main
        sys.exit(main(["index", {str(folder)!r}, "--index-dir", {str(index_dir)!r}, "--quiet"]))
    """)
    return subprocess.run([sys.executable, "-c", script], env={**os.environ, "HF_HUB_OFFLINE": "1"},
                          capture_output=True, text=True, timeout=300)


def write_folder(folder, files):
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)


def ask(index_dir, question):
    out = subprocess.run([sys.executable, "-m", "groundqa.cli", "ask", question, "--index-dir", str(index_dir), "--json"],
                         env={**os.environ, "HF_HUB_OFFLINE": "1"}, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout


@pytest.mark.parametrize("crash_at", list(CRASH_POINTS))
def test_kill_9_mid_write_loses_nothing(tmp_path, crash_at):
    folder, index_dir = tmp_path / "docs", tmp_path / "index"
    write_folder(folder, OLD)
    assert run_indexer(folder, index_dir).returncode == 0
    write_folder(folder, NEW)

    crashed = run_indexer(folder, index_dir, crash_at)
    assert crashed.returncode == -9, crashed.stderr[-2000:]
    on_disk = sorted(".tmp-" if p.name.startswith(".tmp-") else "v" for p in index_dir.iterdir() if p.is_dir())
    assert on_disk == {"after-embedding": ["v"], "staging-written": [".tmp-", "v"], "version-renamed": ["v", "v"],
                       "before-cleanup": ["v", "v"]}[crash_at], on_disk  # the kill really came mid-write

    survived = persistence.load(index_dir)  # loads, and its vectors and chunks agree (load checks)
    expected = set(OLD) | set(NEW) if crash_at == "before-cleanup" else set(OLD)
    assert {Path(d.source).name for d in survived.documents.values()} == expected
    assert survived.chunk_count == len(survived.store)
    assert "Margit Olsen" in ask(index_dir, "Who is the lighthouse keeper on Fogg Island?")

    rerun = run_indexer(folder, index_dir)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    final = persistence.load(index_dir)
    assert len(final.documents) == len(OLD) + len(NEW)
    leftovers = [p.name for p in index_dir.iterdir() if p.is_dir()]
    assert len(leftovers) == 1 and leftovers[0] == (index_dir / "CURRENT").read_text().strip()
