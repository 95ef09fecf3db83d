"""Decode, check and normalise one audio file: the per-item work of a build.

Every file is decoded in full (that is the only way to know it is not corrupt), checked, and turned
into 16 kHz mono. A file that already is 16 kHz mono 16-bit WAV and is used whole is embedded
byte-for-byte, so the published audio is bit-identical to the source and its checksum matches the
corpus'. Anything else is downmixed (mean of channels) and resampled with soxr (:mod:`seqd_builder.audio`,
``soxr_hq``), and the change is reported as a warning on the row.

Problems that make a file unusable raise :class:`AudioProblem` with a reason from
:class:`~seqd_builder.schema.RejectReason`:

* ``missing_audio``: the file does not exist;
* ``corrupt_audio``: libsndfile cannot open or decode it;
* ``truncated_audio``: the header declares more data than the file holds (libsndfile reports it);
* ``empty_audio``: shorter than :data:`MIN_DURATION` or digital silence throughout;
* ``corrupt_audio`` also for a floating-point file with NaN or infinite samples (no rule turns them
  into sound: libsndfile's conversion would make a NaN full-scale -1.0).

Floating-point samples beyond [-1, 1] are clipped to full scale (what any conversion to PCM does) and
the row carries a ``clipped`` warning with the number of samples, so the damage is never silent.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from ..errors import AudioError
from ..audio import SAMPLING_RATE, resample, to_mono
from ..schema import RejectReason

MIN_DURATION = 0.05
"""Seconds. No real utterance is shorter; CREMA-D's broken ``1076_MTI_SAD_XX`` is."""

_FLOAT_SUBTYPES = ("FLOAT", "DOUBLE")
_TRUNCATED = re.compile(r"^data : (\d+) \(should be (\d+)\)", re.MULTILINE)


class AudioProblem(AudioError):
    """An unusable audio file; ``reason`` is the rejection reason."""

    def __init__(self, reason: str, message: str, path: str | Path):
        self.reason = RejectReason.check(reason)
        self.detail = message  # without the path: the rejection records it relative to the root
        super().__init__(message, file=path)


@dataclass(frozen=True)
class DecodedAudio:
    """The published audio of one row."""

    wav_bytes: bytes
    samples: np.ndarray          # float32 mono at SAMPLING_RATE (for enrichers such as aligners)
    duration: float
    source_sha256: str
    source_rate: int
    source_channels: int
    warnings: tuple[str, ...]
    verbatim: bool = False       # wav_bytes are the source file's bytes (16 kHz mono PCM16 WAV, whole)
    source_stamp: tuple[int, ...] = ()  # see read_source


def read_source(path: str | Path) -> tuple[bytes, tuple[int, ...]]:
    """A file's bytes and its stamp (size, mtime in ns, inode, device), taken from the open file.

    The stamp is the quick check of build tools (make, rsync, git's index): equal stamps mean the
    same content unless someone rewrote the file in place and reset its time. The build uses it to
    tell that a file it reads a second time (the parent embedding a worker's verbatim audio) is still
    the file the worker checked, at a fraction of the cost of hashing it again.
    """
    with open(path, "rb") as fh:
        return fh.read(), stamp_of(os.fstat(fh.fileno()))


def stamp_of(st: os.stat_result) -> tuple[int, ...]:
    return st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev


def _why(exc: Exception) -> str:
    """libsndfile's own words, without the in-memory buffer's address (reports must be reproducible)."""
    return getattr(exc, "error_string", None) or str(exc)


def _encode_wav(samples: np.ndarray, subtype: str) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, samples, SAMPLING_RATE, format="WAV", subtype=subtype)
    return buf.getvalue()


def decode(path: str | Path, segment: tuple[float, float] | None = None) -> DecodedAudio:
    """Read, check and normalise ``path`` (optionally only ``segment`` = (start, end) seconds)."""
    path = Path(path)
    try:
        raw, stamp = read_source(path)
    except FileNotFoundError:
        raise AudioProblem(RejectReason.MISSING_AUDIO, "audio file not found", path) from None
    except OSError as exc:
        raise AudioProblem(RejectReason.CORRUPT_AUDIO, f"cannot read audio file: {exc}", path) from exc
    sha = hashlib.sha256(raw).hexdigest()
    try:
        # decode from the path (the bytes are in the page cache now): libsndfile's own file I/O is
        # much faster than soundfile's Python callbacks over a BytesIO
        with sf.SoundFile(path) as fh:
            rate, frames, fmt, subtype = fh.samplerate, fh.frames, fh.format, fh.subtype
            extra = fh.extra_info
            trunc = _TRUNCATED.search(extra or "")
            if trunc and fmt == "WAV":
                declared, present = int(trunc.group(1)), int(trunc.group(2))
                if declared > present:
                    raise AudioProblem(
                        RejectReason.TRUNCATED_AUDIO,
                        f"truncated: header declares {declared} data bytes, file holds {present} "
                        f"({present / max(declared, 1):.0%})", path)
            data = fh.read(dtype="float32", always_2d=True)
            if subtype in _FLOAT_SUBTYPES:
                finite = np.isfinite(data)
                if not finite.all():
                    n_nan = int(np.isnan(data).sum())
                    raise AudioProblem(
                        RejectReason.CORRUPT_AUDIO,
                        f"not finite: {n_nan} NaN and {int((~finite).sum()) - n_nan} infinite samples "
                        f"in {subtype} audio", path)
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        raise AudioProblem(RejectReason.CORRUPT_AUDIO,
                           f"not a readable audio file ({_why(exc)})", path) from exc
    if data.shape[0] != frames:
        raise AudioProblem(RejectReason.TRUNCATED_AUDIO,
                           f"truncated: header declares {frames} frames, decoded {data.shape[0]}", path)
    warnings: list[str] = []
    if subtype in _FLOAT_SUBTYPES:
        over = int(np.count_nonzero(np.abs(data) > 1.0))
        if over:
            np.clip(data, -1.0, 1.0, out=data)
            warnings.append(f"clipped: {over} samples of the {subtype} source beyond [-1, 1] clipped "
                            f"to full scale")
    if segment is not None:
        start, end = (int(round(t * rate)) for t in segment)
        if end > data.shape[0] + int(0.01 * rate):
            warnings.append(f"segment end {segment[1]:.3f}s beyond file end "
                            f"{data.shape[0] / rate:.3f}s; cut at the end")
        data = data[start:end]
    channels = data.shape[1]
    mono = to_mono(data)
    if channels > 1:
        warnings.append(f"downmixed: {channels} channels averaged to mono")
    if rate != SAMPLING_RATE:
        mono = resample(mono, rate)
        warnings.append(f"resampled: {rate} Hz to {SAMPLING_RATE} Hz")
    duration = mono.shape[0] / SAMPLING_RATE
    if duration < MIN_DURATION:
        raise AudioProblem(RejectReason.EMPTY_AUDIO,
                           f"empty: {duration * 1000:.0f} ms of audio (minimum {MIN_DURATION * 1000:.0f} ms)",
                           path)
    if not mono.any():
        raise AudioProblem(RejectReason.EMPTY_AUDIO, "empty: digital silence throughout", path)
    if rate != SAMPLING_RATE:  # only resampling can overshoot [-1, 1]
        peak = float(np.abs(mono).max())
        if peak > 1.0:
            mono = mono / peak
            warnings.append(f"clipped: resampling overshoot (peak {peak:.3f}) scaled to 1.0")
    untouched = (segment is None and channels == 1 and rate == SAMPLING_RATE and fmt == "WAV"
                 and subtype == "PCM_16")
    if untouched:
        wav = raw
    else:
        wav = _encode_wav(mono, "PCM_16" if subtype in ("PCM_16", "PCM_U8", "PCM_S8") else "PCM_24")
    return DecodedAudio(wav, mono, duration, sha, rate, channels, tuple(warnings), verbatim=untouched,
                        source_stamp=stamp)
