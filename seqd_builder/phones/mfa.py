"""Montreal Forced Aligner, run as a subprocess when the user has it.

MFA (Kaldi-based, trainable) is the most accurate aligner a user can have, but it cannot be a Python
dependency: ``pip install montreal-forced-aligner`` gives no working ``mfa`` without Kaldi (kalpy),
OpenFst and pynini builds, which conda-forge provides. So we look for ``mfa`` on PATH and talk to it
through its command line contract, MFA 3's:

* ``mfa align CORPUS DICTIONARY ACOUSTIC_MODEL OUTPUT`` with a pretrained acoustic model
  (``german_mfa``, ``english_us_arpa`` … or a path), or
* ``mfa train CORPUS DICTIONARY MODEL_OUT --output_directory OUTPUT`` (train-and-align on the corpus
  itself) when no acoustic model is given.

The corpus folder holds ``<speaker>/<name>.wav`` + ``<speaker>/<name>.lab`` (transcript); MFA writes
``OUTPUT/<speaker>/<name>.TextGrid`` with ``words`` and ``phones`` tiers, read by
:func:`~seqd_builder.phones.readers.read_textgrid`.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import MissingToolError, SeqdError
from ..schema import PhoneSegment
from .readers import read_textgrid

INSTALL_HINT = ("install MFA with conda: `conda install -c conda-forge montreal-forced-aligner` "
                "(pip alone lacks Kaldi, OpenFst and pynini), then `mfa model download acoustic "
                "german_mfa` and `mfa model download dictionary german_mfa` for the models you name")


class MfaError(SeqdError, RuntimeError):
    """``mfa`` ran but failed, or produced no alignment for an utterance."""


def find_mfa() -> str:
    """Path of the ``mfa`` executable; raises :class:`MissingToolError` with the install hint."""
    path = shutil.which("mfa")
    if path is None:
        raise MissingToolError("Montreal Forced Aligner (`mfa`) is not on PATH", hint=INSTALL_HINT)
    return path


def mfa_version() -> str:
    """``mfa version`` output (first line)."""
    out = subprocess.run([find_mfa(), "version"], capture_output=True, text=True, check=False)
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else ""


def safe_name(utterance_id: str) -> str:
    """A file name for an utterance id (``emodb/03a01Fa`` → ``emodb__03a01Fa``)."""
    return utterance_id.replace("/", "__").replace(" ", "_")


@dataclass(frozen=True)
class MfaJob:
    """One MFA run: what to align with, where. Builds the exact command line."""

    corpus_dir: Path
    output_dir: Path
    dictionary: str
    acoustic_model: str | None = None
    jobs: int = 1
    model_out: Path | None = None

    def command(self, mfa: str = "mfa") -> list[str]:
        if self.acoustic_model:
            return [mfa, "align", str(self.corpus_dir), self.dictionary, self.acoustic_model,
                    str(self.output_dir), "-j", str(self.jobs), "--clean", "--overwrite"]
        model_out = self.model_out or self.output_dir.with_name(self.output_dir.name + "_model.zip")
        return [mfa, "train", str(self.corpus_dir), self.dictionary, str(model_out),
                "--output_directory", str(self.output_dir), "-j", str(self.jobs), "--clean",
                "--overwrite"]

    def run(self) -> None:
        """Run MFA (blocking); raises :class:`MfaError` with the tail of its output on failure."""
        command = self.command(find_mfa())
        self.output_dir.mkdir(parents=True, exist_ok=True)
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-5:])
            raise MfaError(f"`{' '.join(command)}` exited with {done.returncode}: {tail}",
                           hint="run the command by hand to see MFA's full log")


def write_corpus_item(corpus_dir: Path, speaker: str, name: str, audio: np.ndarray, sr: int,
                      text: str) -> None:
    """Add one utterance (``<speaker>/<name>.wav`` + ``.lab``) to an MFA corpus folder."""
    import soundfile as sf

    folder = corpus_dir / safe_name(speaker)
    folder.mkdir(parents=True, exist_ok=True)
    sf.write(folder / f"{name}.wav", np.asarray(audio, dtype=np.float32), sr, subtype="PCM_16")
    (folder / f"{name}.lab").write_text(text.strip() + "\n", encoding="utf-8")


def read_alignments(output_dir: Path, tier: str = "phones") -> dict[str, list[PhoneSegment]]:
    """All TextGrids under MFA's output folder, by file stem."""
    return {p.stem: read_textgrid(p, tier) for p in sorted(Path(output_dir).rglob("*.TextGrid"))}


def find_alignment(output_dir: Path, name: str, tier: str = "phones") -> list[PhoneSegment]:
    """The alignment MFA wrote for one utterance; :class:`MfaError` when it wrote none."""
    hits = list(Path(output_dir).rglob(f"{name}.TextGrid"))
    if not hits:
        raise MfaError(f"MFA wrote no alignment for {name} in {output_dir}",
                       hint="see MFA's unaligned.txt there: out-of-vocabulary words or too-short audio")
    return read_textgrid(hits[0], tier)
