"""Build small corpus trees with real file names and real audio, for tests and examples.

Tests never commit corpus material: they build trees like these in a temporary folder from the real
files in the shared data folder (``SEQD_SHARED_DATA``, default ``../shared/data`` beside the checkout),
hard-linking audio where the file system allows it so a tree of hundreds of files costs nothing.
The damage helpers make the broken files real corpora contain: a file cut short, one of garbage bytes,
a stereo 48 kHz copy, a dangling link.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path

import numpy as np
import soundfile as sf

from .assets import repo_root


def shared_data_dir() -> Path:
    """The real corpus material (see ``shared/data/README.md``)."""
    return Path(os.environ.get("SEQD_SHARED_DATA", repo_root().parent / "shared" / "data"))


def link_or_copy(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)
    return dst


def make_ravdess_tree(dst: Path, actors: Iterable[int] | None = None, limit: int | None = None) -> Path:
    """``dst/Audio_Speech_Actors_01-24/Actor_NN/*.wav`` from the real RAVDESS clips."""
    src = shared_data_dir() / "audio" / "ravdess" / "Audio_Speech_Actors_01-24"
    wanted = None if actors is None else {f"Actor_{a:02d}" for a in actors}
    root = dst / "Audio_Speech_Actors_01-24"
    for actor_dir in sorted(src.glob("Actor_*")):
        if wanted is not None and actor_dir.name not in wanted:
            continue
        for wav in sorted(actor_dir.glob("*.wav"))[:limit]:
            link_or_copy(wav, root / actor_dir.name / wav.name)
    return dst


def make_emodb_tree(dst: Path, stems: Iterable[str] | None = None) -> Path:
    """``dst/{wav,lablaut}/`` and ``erkennung.txt`` from the real EmoDB distribution."""
    src = shared_data_dir() / "audio" / "emodb"
    wanted = None if stems is None else set(stems)
    for wav in sorted((src / "wav").glob("*.wav")):
        if wanted is None or wav.stem in wanted:
            link_or_copy(wav, dst / "wav" / wav.name)
            for lab in (src / "lablaut").glob(f"{wav.stem}*.lablaut"):
                link_or_copy(lab, dst / "lablaut" / lab.name)
    link_or_copy(src / "erkennung.txt", dst / "erkennung.txt")
    return dst


def truncate(path: Path, fraction: float = 0.5) -> Path:
    """Cut a file short (a broken download): the header still declares the full length."""
    data = path.read_bytes()
    path.unlink()  # break a hard link before writing
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def corrupt(path: Path) -> Path:
    """Replace a file by bytes that are no audio format at all."""
    path.unlink(missing_ok=True)
    path.write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk" + bytes(range(256)) * 8)
    return path


def make_stereo_48k(path: Path) -> Path:
    """Rewrite a 16 kHz mono file as 48 kHz stereo (as RAVDESS is distributed), content preserved."""
    import librosa

    mono, rate = sf.read(path, dtype="float32")
    up = librosa.resample(mono, orig_sr=rate, target_sr=48_000, res_type="soxr_hq")
    stereo = np.stack([up, 0.5 * up], axis=1)
    path.unlink()
    sf.write(path, stereo, 48_000, subtype="PCM_16")
    return path


def dangle(path: Path) -> Path:
    """Replace a file by a symbolic link to nowhere (a copied tree whose target moved)."""
    path.unlink(missing_ok=True)
    path.symlink_to(path.parent / f".missing-{path.name}")
    return path


@contextlib.contextmanager
def unreadable(folder: Path | None) -> Iterator[None]:
    """Make ``folder`` unreadable for the duration: ``chmod 0`` for a normal user; as root, who reads
    every folder, ``os.scandir`` and ``os.listdir`` (under ``Path.iterdir``, ``glob`` and ``os.walk``)
    refuse it with the ``PermissionError`` a user would get. ``None`` changes nothing."""
    if folder is None:
        yield
        return
    folder = Path(folder)
    if os.geteuid() != 0:
        folder.chmod(0)
        try:
            yield
        finally:
            folder.chmod(0o755)
        return
    from unittest import mock

    def guard(real):
        def call(path="."):
            try:
                refused = Path(os.fsdecode(path)) == folder
            except TypeError:  # a file descriptor
                refused = False
            if refused:
                raise PermissionError(13, "Permission denied", os.fsdecode(path))
            return real(path)
        return call

    with mock.patch("os.scandir", guard(os.scandir)), mock.patch("os.listdir", guard(os.listdir)):
        yield
