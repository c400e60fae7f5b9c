"""Traced (and quantized) model graphs cached on disk, so a start pays for building them once.

An entry is a folder named after the hash of its key: the TorchScript graph, a check batch with the
outputs the graph gave when it was built, and entry.json (the key, the files' sha256). The key holds
what the graph depends on: the model's files, the precision, torch and transformers versions, and the
CPU's instruction sets (kernels, and so quantized weights' packing, differ between them). A load checks
all of it and reruns the check batch; an entry that fails anything is deleted and rebuilt, never used.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FORMAT = 1  # bump when what an entry holds changes
GRAPH, CHECK, ENTRY = "graph.pt", "check.pt", "entry.json"
MODEL_FILES = ("config.json", "model.safetensors", "pytorch_model.bin")


def model_identity(location: str) -> dict[str, Any]:
    """The model's files as they are now (name, size, modification time), or its name where it is not a
    local folder. Cheap: nothing is read."""
    folder = Path(location)
    if not folder.is_dir():
        return {"name": location}
    files = {name: [(folder / name).stat().st_size, (folder / name).stat().st_mtime_ns]
             for name in MODEL_FILES if (folder / name).is_file()}
    return {"path": str(folder.resolve()), "files": files}


def graph_key(kind: str, location: str, precision: str, input_names: list[str], outputs: int) -> dict[str, Any]:
    import torch
    import transformers

    from groundqa.hardware import isa_flags
    from groundqa.quantize import SCHEME

    return {"format": FORMAT, "kind": kind, "model": model_identity(location), "precision": precision,
            "inputs": list(input_names), "outputs": outputs, "torch": torch.__version__,
            "transformers": transformers.__version__, "quantized_engine": torch.backends.quantized.engine,
            "cpu": isa_flags(), "quantizer": SCHEME if precision == "int8" else None}


class GraphCache:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def entry_dir(self, key: dict[str, Any]) -> Path:
        digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:20]
        return self.root / f"{key['kind']}-{key['precision']}-{digest}"

    def load(self, key: dict[str, Any]):
        """The cached graph for `key`, or None (nothing cached, or an entry that fails a check: deleted)."""
        folder = self.entry_dir(key)
        if not folder.exists():
            return None
        try:
            return _load_checked(folder, key)
        except Exception as exc:  # noqa: BLE001 - any broken entry is rebuilt, whatever broke it
            log.warning("rebuilding cached model graph %s: %s", folder.name, exc)
            shutil.rmtree(folder, ignore_errors=True)
            return None

    def save(self, key: dict[str, Any], graph, check_inputs: tuple) -> Path | None:
        """Write the entry (to a temporary folder, then renamed into place); None where it cannot be written."""
        import torch

        folder = self.entry_dir(key)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=self.root))
        except OSError as exc:
            log.warning("not caching model graph in %s: %s", self.root, exc)
            return None
        try:
            with torch.inference_mode():
                expected = tuple(graph(*check_inputs))
            torch.jit.save(graph, str(staging / GRAPH))
            torch.save({"inputs": check_inputs, "outputs": expected}, staging / CHECK)
            entry = {"key": key, "sha256": {name: sha256_of_file(staging / name) for name in (GRAPH, CHECK)}}
            (staging / ENTRY).write_text(json.dumps(entry, indent=1, sort_keys=True))
            shutil.rmtree(folder, ignore_errors=True)
            os.rename(staging, folder)
            return folder
        except Exception as exc:  # noqa: BLE001 - caching only saves time at the next start
            log.warning("not caching model graph in %s: %s", folder, exc)
            shutil.rmtree(staging, ignore_errors=True)
            return None


def _load_checked(folder: Path, key: dict[str, Any]):
    import torch

    entry = json.loads((folder / ENTRY).read_text())
    if entry["key"] != key:
        raise ValueError("its key differs")
    for name, digest in entry["sha256"].items():
        if sha256_of_file(folder / name) != digest:
            raise ValueError(f"{name} is not the file that was written")
    graph = torch.jit.load(str(folder / GRAPH), map_location="cpu")
    check = torch.load(folder / CHECK, weights_only=True)
    with torch.inference_mode():
        got = tuple(graph(*check["inputs"]))
    if len(got) != len(check["outputs"]) or not all(
            torch.allclose(g.float(), e.float(), rtol=1e-2, atol=2e-2) for g, e in zip(got, check["outputs"])):
        raise ValueError("its outputs differ from those it gave when built")
    return graph


def sha256_of_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
