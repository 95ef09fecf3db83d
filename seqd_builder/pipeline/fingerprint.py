"""What a build was made from: the fingerprint that decides "up to date" and "safe to resume".

A build is up to date, and an interrupted build may resume, only when its inputs are unchanged.
Inputs are the code version, the corpus card, the options, the phones mode, the metadata files the
adapter names (by SHA-256, as the manifest records them) and every file under the corpus root, by
name, size and modification time (the quick check of make, rsync and git's index). Hashing every
audio file on each rerun would cost as much as the build; the stamps catch an added, removed,
replaced or rewritten file, and the per-file SHA-256 of the audio is still in
``checksums/<corpus>.sha256`` for ``sha256sum -c``.

The stamps of an interrupted build are kept in its staging folder (``sources.json``), so a refused
resume can say which files changed.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..checksums import file_sha256
from ..corpora.base import printable_path

SOURCES = "sources.json"


@dataclass(frozen=True)
class Fingerprint:
    digest: str
    inputs: list[dict[str, Any]]             # metadata files with their SHA-256
    stamps: dict[str, list[int]]             # relative path -> [size, mtime_ns] of every source file

    @property
    def sources(self) -> dict[str, Any]:
        """What the manifest records of the source tree (the stamps themselves stay local)."""
        blob = json.dumps(self.stamps, sort_keys=True).encode()
        return {"files": len(self.stamps), "bytes": sum(s[0] for s in self.stamps.values()),
                "stamps_sha256": hashlib.sha256(blob).hexdigest()}


def tree_stamps(root: Path, exclude: Path | None = None) -> dict[str, list[int]]:
    """Size and modification time of every file under ``root`` (symbolic links followed).

    An unreadable folder is stamped ``[-1, -1]`` (its contents cannot be seen; becoming readable
    is a change); a dangling link is stamped by the link itself.
    """
    root = Path(root)
    stamps: dict[str, list[int]] = {}
    skip = str(exclude.resolve()) if exclude is not None else None
    stack = [root]
    while stack:
        folder = stack.pop()
        if skip is not None and str(folder.resolve()) == skip:
            continue
        try:
            entries = list(os.scandir(folder))
        except OSError:
            stamps[printable_path(os.path.relpath(folder, root)) + "/"] = [-1, -1]
            continue
        for entry in entries:
            if entry.name in (".seqd-build",):
                continue
            try:
                if entry.is_dir():
                    stack.append(Path(entry.path))
                    continue
                st = entry.stat()
            except OSError:
                st = entry.stat(follow_symlinks=False)
            stamps[printable_path(os.path.relpath(entry.path, root))] = [st.st_size, st.st_mtime_ns]
    return dict(sorted(stamps.items()))


def jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def fingerprint(adapter, options: Mapping[str, Any], phones: str, out: Path | None = None) -> Fingerprint:
    inputs = []
    for p in sorted(adapter.input_files()):
        inputs.append({"path": adapter.rel(p), "bytes": p.stat().st_size, "sha256": file_sha256(p)})
    stamps = tree_stamps(adapter.root, exclude=out)
    card_bytes = adapter.card.path.read_bytes() if adapter.card.path else b""
    payload = {
        "code": __version__, "corpus": adapter.name, "root": str(adapter.root.resolve()),
        "card": hashlib.sha256(card_bytes).hexdigest(), "options": jsonable(options),
        "phones": phones, "inputs": inputs, "sources": stamps,
    }
    digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
    return Fingerprint(digest, inputs, stamps)


def save_stamps(folder: Path, fp: Fingerprint) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / (SOURCES + ".tmp")
    tmp.write_text(json.dumps(fp.stamps), encoding="utf-8")
    os.replace(tmp, folder / SOURCES)


def describe_change(folder: Path, fp: Fingerprint) -> str:
    """What changed between the interrupted build's sources and now, in one line."""
    try:
        old = json.loads((folder / SOURCES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "the inputs or settings differ from those of the interrupted build"
    new = fp.stamps
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    changed = sorted(p for p in set(old) & set(new) if old[p] != new[p])
    if not (added or removed or changed):
        return "the settings (options, phones mode, card, metadata files or code version) differ"
    parts = []
    for word, paths in (("added", added), ("removed", removed), ("changed", changed)):
        if paths:
            shown = ", ".join(paths[:3]) + (" …" if len(paths) > 3 else "")
            parts.append(f"{len(paths)} {word} ({shown})")
    return "source files changed since the interrupted build: " + "; ".join(parts)
