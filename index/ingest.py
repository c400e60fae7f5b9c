"""`groundqa index PATH...`: read files, then bring the collection in step with them."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from groundqa.errors import DocumentConflict, GroundQAError, InvalidDocument
from groundqa.index.collection import Collection, UpsertReport
from groundqa.index.embedder import Embedder
from groundqa.index.loaders import (JSONL_SUFFIXES, SANDBOXED_SUFFIXES, SUPPORTED_SUFFIXES, UNREAD_PAGES,
                                    document_from_bytes, documents_from_jsonl, is_supported)
from groundqa.index.sandbox import ParseBudget, SandboxedLoader
from groundqa.index.types import Document

MAX_FILE_BYTES = 50 * 1024 * 1024
SUPPORTED_TYPES = ", ".join(sorted(SUPPORTED_SUFFIXES))


@dataclass(frozen=True)
class Problem:
    source: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


@dataclass
class ScanResult:
    documents: list[Document] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)  # files that could not be read
    skipped: list[Problem] = field(default_factory=list)  # files of a type no loader reads
    warnings: list[Problem] = field(default_factory=list)  # files read in part (a scanned page left unread)
    roots: dict[str, Path | str] = field(default_factory=dict)  # name -> folder (or file, or site) it stands for


@dataclass
class SyncReport:
    upsert: UpsertReport
    removed: list[str]
    problems: list[Problem]


def scan(paths: Sequence[Path], name: str | None = None, budget: ParseBudget | None = None) -> ScanResult:
    """Load every supported file under `paths`. Files that fail become Problems, never exceptions.
    A file's id and source are its path under the folder named, prefixed with that folder's name
    (or `name`, given one path): the server's own paths never reach a citation. PDF and Office files
    are read in a child process under `budget` (index/sandbox.py), as uploads are: a file that takes
    too long or too much memory is a Problem, and the rest are still read."""
    if name is not None and len(paths) != 1:
        raise GroundQAError("a name for the folder (--as) goes with exactly one path")
    result = ScanResult()
    sandbox = SandboxedLoader(budget or ParseBudget())
    for path in paths:
        root = path.resolve()
        if not root.exists():
            result.problems.append(Problem(str(path), "no such file or directory"))
            continue
        prefix = name or root.name
        if result.roots.get(prefix, root) != root:
            raise DocumentConflict(f"{result.roots[prefix]} and {root} have the same name, {prefix!r}; "
                                   "index one of them separately with --as OTHER_NAME")
        result.roots[prefix] = root
        if root.is_file():
            _load_into(result, root, label=prefix, sandbox=sandbox)
            continue
        for file in sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith(".")):
            label = f"{prefix}/{file.relative_to(root).as_posix()}"
            if is_supported(file):
                _load_into(result, file, label=label, sandbox=sandbox)
            else:
                result.skipped.append(Problem(label, f"not a type groundqa reads ({SUPPORTED_TYPES})"))
    return result


def _load_into(result: ScanResult, file: Path, label: str, sandbox: SandboxedLoader) -> None:
    """`label` is both the document's id and its source."""
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise InvalidDocument(f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB")
        data = file.read_bytes()
        suffix = file.suffix.lower()
        if suffix in JSONL_SUFFIXES:
            documents, problems = documents_from_jsonl(data, source=label, id_prefix=label)
            result.documents.extend(documents)
            result.problems.extend(Problem(label, reason) for reason in problems)
            return
        load = sandbox.load if suffix in SANDBOXED_SUFFIXES else document_from_bytes
        document = load(data, doc_id=label, source=label, suffix=file.suffix)
        result.documents.append(document)
        if document.meta.get(UNREAD_PAGES):
            result.warnings.append(Problem(label, unread_pages_note(document.meta[UNREAD_PAGES])))
    except InvalidDocument as exc:
        result.problems.append(Problem(label, str(exc)))
    except OSError as exc:
        result.problems.append(Problem(label, f"cannot read ({exc.strerror or exc})"))


def unread_pages_note(pages: list[int]) -> str:
    named = f"page {pages[0]}" if len(pages) == 1 else f"pages {', '.join(map(str, pages))}"
    return (f"{named} {'has' if len(pages) == 1 else 'have'} no text layer (scanned) and {'was' if len(pages) == 1 else 'were'} "
            "not read: reading scans needs Tesseract (README, Scanned PDFs); the rest of the file is indexed")


@dataclass(frozen=True)
class Shard:
    """Shard `index` of `count`: the documents whose id hashes to it. Several `groundqa index --shard
    I/N` processes (on several machines, into one Milvus server) together index what one run would."""

    index: int = 0
    count: int = 1

    def owns(self, doc_id: str) -> bool:
        if self.count == 1:
            return True
        digest = hashlib.blake2b(doc_id.encode("utf-8"), digest_size=8).digest()
        return int.from_bytes(digest, "big") % self.count == self.index

    def take(self, scanned: ScanResult) -> ScanResult:
        """Its documents; every file that failed stays a problem for every shard, so that no shard takes
        the documents of a file it could not read for gone (a JSONL file's documents hash apart)."""
        return dataclasses.replace(scanned, documents=[d for d in scanned.documents if self.owns(d.doc_id)])


def sync(collection: Collection, found: Sequence[Path] | ScanResult, embedder: Embedder,
         progress: bool = False, shard: Shard = Shard()) -> SyncReport:
    """Add new and changed documents found under some paths (or what `scan` found there); drop
    documents that came from there but are gone. Documents from other places (other paths, uploads)
    are left alone, and so are other shards' documents. A file that fails to load keeps its previously
    indexed version."""
    scanned = shard.take(found if isinstance(found, ScanResult) else scan(found))
    if shard.count == 1:  # shards on several machines read copies of one folder from different paths
        _claim_folders(collection, scanned.roots)
    upsert = collection.upsert(scanned.documents, embedder, progress=progress)
    seen = {document.doc_id for document in scanned.documents}
    failed_sources = {problem.source for problem in scanned.problems}
    gone = [doc_id for doc_id, document in collection.documents.items()
            if doc_id not in seen and shard.owns(doc_id) and _file_of(document.source) not in failed_sources
            and any(_came_from(_file_of(document.source), name, root) for name, root in scanned.roots.items())]
    return SyncReport(upsert, collection.delete(gone), scanned.problems)


def _file_of(source: str) -> str:
    return source.split("#L", 1)[0]


def _claim_folders(collection: Collection, roots: dict[str, Path]) -> None:
    """Record which folder each name stands for; a name already standing for another folder is an
    error, not a silent overwrite of that folder's documents."""
    for name, root in roots.items():
        known = collection.folders.get(name)
        if known is not None and known != str(root):
            raise DocumentConflict(f"the index holds documents named {name}/... from {known}; {root} has the same "
                                   f"name: index it with --as OTHER_NAME (or remove the others with "
                                   f"`groundqa documents rm`)")
    collection.folders.update({name: str(root) for name, root in roots.items()})


def _came_from(source: str, name: str, root: Path) -> bool:
    """Whether a document's source lies under `root`, indexed as `name`: its label (the name, then
    the path under it), or an absolute path, as indexes written before sources were made relative hold."""
    if source == name or source.startswith(name + "/"):
        return True
    path = Path(source)
    return path.is_absolute() and (path == root or root in path.parents)
