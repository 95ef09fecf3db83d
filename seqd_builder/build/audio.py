"""Decode, check and normalise one audio file: the per-item work of a build.

Every file is decoded in full (that is the only way to know it is not corrupt), checked, and turned
into 16 kHz mono. A file that already is 16 kHz mono 16-bit WAV and is used whole is embedded
byte-for-byte, so the published audio is bit-identical to the source and its checksum matches the
corpus'. Anything else is downmixed (mean of channels) and resampled with soxr (via librosa,
``soxr_hq``), and the change is reported as a warning on the row.

Problems that make a file unusable raise :class:`AudioProblem` with a reason from
:class:`~seqd_builder.schema.RejectReason`:

* ``missing_audio``: the file does not exist;
* ``corrupt_audio``: libsndfile cannot open or decode it;
* ``truncated_audio``: the header declares more data than the file holds (libsndfile reports it);
* ``empty_audio``: shorter than :data:`MIN_DURATION` or digital silence throughout.
"""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from ..errors import AudioError
from ..schema import SAMPLING_RATE, RejectReason

MIN_DURATION = 0.05
"""Seconds. No real utterance is shorter; CREMA-D's broken ``1076_MTI_SAD_XX`` is."""

_TRUNCATED = re.compile(r"^data : (\d+) \(should be (\d+)\)", re.MULTILINE)


class AudioProblem(AudioError):
    """An unusable audio file; ``reason`` is the rejection reason."""

    def __init__(self, reason: str, message: str, path: str | Path):
        self.reason = RejectReason.check(reason)
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


def _encode_wav(samples: np.ndarray, subtype: str) -> bytes:
    buf = io.BytesIO()
    sf.write(buf, samples, SAMPLING_RATE, format="WAV", subtype=subtype)
    return buf.getvalue()


def decode(path: str | Path, segment: tuple[float, float] | None = None) -> DecodedAudio:
    """Read, check and normalise ``path`` (optionally only ``segment`` = (start, end) seconds)."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise AudioProblem(RejectReason.MISSING_AUDIO, "audio file not found", path) from None
    except OSError as exc:
        raise AudioProblem(RejectReason.CORRUPT_AUDIO, f"cannot read audio file: {exc}", path) from exc
    sha = hashlib.sha256(raw).hexdigest()
    try:
        info = sf.info(io.BytesIO(raw))
    except (sf.LibsndfileError, RuntimeError, TypeError) as exc:
        raise AudioProblem(RejectReason.CORRUPT_AUDIO, f"not a readable audio file ({exc})",
                           path) from exc
    trunc = _TRUNCATED.search(info.extra_info or "")
    if trunc and info.format == "WAV":
        declared, present = int(trunc.group(1)), int(trunc.group(2))
        if declared > present:
            raise AudioProblem(
                RejectReason.TRUNCATED_AUDIO,
                f"truncated: header declares {declared} data bytes, file holds {present} "
                f"({present / max(declared, 1):.0%})", path)
    try:
        data, rate = sf.read(io.BytesIO(raw), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise AudioProblem(RejectReason.CORRUPT_AUDIO, f"decoding failed ({exc})", path) from exc
    if data.shape[0] != info.frames:
        raise AudioProblem(RejectReason.TRUNCATED_AUDIO,
                           f"truncated: header declares {info.frames} frames, decoded {data.shape[0]}",
                           path)
    warnings: list[str] = []
    if segment is not None:
        start, end = (int(round(t * rate)) for t in segment)
        if end > data.shape[0] + int(0.01 * rate):
            warnings.append(f"segment end {segment[1]:.3f}s beyond file end "
                            f"{data.shape[0] / rate:.3f}s; cut at the end")
        data = data[start:end]
    channels = data.shape[1]
    mono = data.mean(axis=1) if channels > 1 else data[:, 0]
    if channels > 1:
        warnings.append(f"downmixed: {channels} channels averaged to mono")
    if rate != SAMPLING_RATE:
        import librosa  # imported lazily: most corpora are 16 kHz already

        mono = librosa.resample(mono, orig_sr=rate, target_sr=SAMPLING_RATE, res_type="soxr_hq")
        warnings.append(f"resampled: {rate} Hz to {SAMPLING_RATE} Hz")
    mono = np.ascontiguousarray(mono, dtype=np.float32)
    duration = mono.shape[0] / SAMPLING_RATE
    if duration < MIN_DURATION:
        raise AudioProblem(RejectReason.EMPTY_AUDIO,
                           f"empty: {duration * 1000:.0f} ms of audio (minimum {MIN_DURATION * 1000:.0f} ms)",
                           path)
    if not np.any(mono):
        raise AudioProblem(RejectReason.EMPTY_AUDIO, "empty: digital silence throughout", path)
    peak = float(np.max(np.abs(mono)))
    if peak > 1.0:
        mono = mono / peak
        warnings.append(f"clipped: resampling overshoot (peak {peak:.3f}) scaled to 1.0")
    untouched = (segment is None and channels == 1 and rate == SAMPLING_RATE and info.format == "WAV"
                 and info.subtype == "PCM_16")
    if untouched:
        wav = raw
    else:
        wav = _encode_wav(mono, "PCM_16" if info.subtype in ("PCM_16", "PCM_U8", "PCM_S8") else "PCM_24")
    return DecodedAudio(wav, mono, duration, sha, rate, channels, tuple(warnings))
