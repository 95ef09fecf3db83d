"""Provenance that can confirm a rerun: what data, what configuration, what code, what weights.

* **Data**: :func:`data_fingerprint` hashes *content*, never where it lies. A built folder's
  ``manifest.json`` records the SHA-256 of every source audio file and annotation input
  (``checksums/<config>.sha256``, ``inputs``); the fingerprint is a hash over those checksums with the
  files' corpus-relative names, so the same corpus built into two folders (or on two machines) has one
  fingerprint. HF's ``_fingerprint`` changed with the folder's path. :func:`rows_fingerprint` adds the
  task's own view (ids, speakers, labels of the rows it keeps), which also changes when the labels do.
* **Configuration**: :func:`effective_config` drops runtime options that cannot change a number (where
  features are cached, thread counts), so recording one never changes the config hash.
* **Code**: ``code_version`` ends in ``.dirty`` when the working tree had uncommitted changes; such a
  result cannot be rerun from its commit, and the leaderboard refuses it unless the filer says why
  (``provenance.dirty_allowed``), then shows the mark.
* **Weights**: upstreams report the SHA-256 of their weight files (``upstream.weights_sha256``).
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any, Sequence

from ..checksums import file_sha256

#: configuration keys (dotted paths) that choose how a run is executed, never what it computes
RUNTIME_KEYS = ("upstream.options.cache", "upstream.options.cache_dir", "upstream.options.threads",
                "upstream.options.device")


def effective_config(cfg: dict) -> dict:
    """``cfg`` without :data:`RUNTIME_KEYS` (the part of a config that the config hash covers)."""
    out = copy.deepcopy(cfg)
    for dotted in RUNTIME_KEYS:
        *parents, leaf = dotted.split(".")
        node: Any = out
        for key in parents:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(leaf, None)
    return out


def _sha(obj: Any) -> str:
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def manifest_content(folder: str | Path) -> dict | None:
    """The content checksums a built folder's manifest records, per config; None without a manifest."""
    folder = Path(folder)
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        return None
    data = json.loads(manifest.read_text(encoding="utf-8"))
    content = {}
    for name, entry in sorted((data.get("configs") or {}).items()):
        sums = []
        listing = folder / (entry.get("checksums") or f"checksums/{name}.sha256")
        if listing.is_file():
            sums = sorted(line.strip() for line in listing.read_text(encoding="utf-8").splitlines()
                          if line.strip())
        content[name] = {"audio": sums,
                         "inputs": sorted((i.get("path"), i.get("sha256")) for i in entry.get("inputs", [])),
                         "options": entry.get("options"), "phones_mode": entry.get("phones_mode"),
                         "found": (entry.get("accounting") or {}).get("found"),
                         "expected": ((entry.get("card") or {}).get("expected") or {}).get("utterances")}
    return content


def data_fingerprint(folder: str | Path) -> str | None:
    """``sha256:<hex>`` of the manifest's content checksums (path-free); None without a manifest."""
    content = manifest_content(folder)
    if content is None:
        return None
    return _sha({k: {f: v[f] for f in ("audio", "inputs", "options", "phones_mode")} for k, v in content.items()})


def rows_fingerprint(ids: Sequence[str], speakers: Sequence[str], labels: Sequence[Any]) -> str:
    """``sha256:<hex>`` of the task's rows as it sees them (id, speaker, label), in id order."""
    rows = sorted(zip(map(str, ids), map(str, speakers), map(str, labels)))
    return _sha(rows)


def corpus_coverage(folder: str | Path, corpus: str) -> dict:
    """How much of the published corpus the folder holds: ``found`` source utterances against the card's
    ``expected`` count (``partial`` when fewer), from the manifest."""
    content = manifest_content(folder) or {}
    entry = content.get(corpus) or {}
    found, expected = entry.get("found"), entry.get("expected")
    out: dict[str, Any] = {}
    if found is not None:
        out["corpus_utterances"] = int(found)
    if expected is not None:
        out["published_utterances"] = int(expected)
        if found is not None and int(found) < int(expected):
            out["partial"] = True
    return out


def weights_sha256(path: str | Path) -> str:
    """SHA-256 of a weight file (read in blocks)."""
    return file_sha256(path)


def is_dirty(code_version: str | None) -> bool:
    return bool(code_version) and str(code_version).endswith(".dirty")
