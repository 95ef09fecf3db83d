"""SHA-256 of files, read in blocks: build manifests, weight resolution and upstream fingerprints.

One implementation for every place that hashes a file, so a file of any size costs a few MB of memory
and every checksum the project records is computed the same way.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

_BLOCK = 1 << 22  # 4 MiB


def update_from_file(digest: "hashlib._Hash", path: str | Path) -> None:
    """Feed the bytes of ``path`` into ``digest`` (several files can go into one digest)."""
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_BLOCK), b""):
            digest.update(block)


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of the bytes of ``path``."""
    digest = hashlib.sha256()
    update_from_file(digest, path)
    return digest.hexdigest()
