"""``seqd export lhotse``: a built dataset as Lhotse manifests (and optionally Lhotse Shar).

k2/icefall and NeMo users read Lhotse's ``RecordingSet`` / ``SupervisionSet`` / ``CutSet``. Each row
becomes one recording (its WAV bytes written as a file, byte for byte: the dataset embeds 16 kHz mono
16-bit WAV) and one supervision spanning it. Lhotse's supervision has first-class ``text``,
``language``, ``speaker`` and ``gender``; the emotion labels go into ``custom``, under the unified
schema's column names (``category``, ``intensity``, ``arousal`` …, plus ``split`` and ``folds``:
``{protocol: test group}``), and ``phone_alignment`` into Lhotse's own ``alignment["phone"]``.

Files follow Lhotse's recipe naming, per corpus config and split::

    OUT/<config>_recordings_<split>.jsonl.gz   OUT/<config>_supervisions_<split>.jsonl.gz
    OUT/<config>_cuts_<split>.jsonl.gz         OUT/audio/<config>/<native id>.wav
    OUT/shar/<config>/<split>/                 (with ``shar=True``: Lhotse's own ``CutSet.to_shar``)

Recordings point at the audio by absolute path (as Lhotse's recipes write them); a moved folder is
re-pointed with ``RecordingSet.with_path_prefix``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import require
from .source import SourceConfig, native_id, read_folder

CUSTOM_COLUMNS = ("corpus", "category", "category_native", "category_perceived",
                  "category_perceived_native", "intensity", "intensity_level", "arousal", "valence",
                  "dominance", "agreement", "age", "split")
"""Row columns carried in each supervision's ``custom`` (null values are left out)."""


@dataclass
class LhotseExport:
    """What an export wrote: manifest paths per (config, split) and the number of cuts."""

    out: Path
    manifests: dict[str, dict[str, Path]] = field(default_factory=dict)
    shar: dict[str, Path] = field(default_factory=dict)
    cuts: int = 0

    def summary(self) -> str:
        parts = ", ".join(sorted(self.manifests))
        return f"lhotse: {self.cuts} cuts ({parts}) in {self.out}" + (
            f"; shar in {self.out / 'shar'}" if self.shar else "")


def _lhotse():
    return require("lhotse", "interop")


def supervision_of(row: dict[str, Any], duration: float):
    """The :class:`lhotse.SupervisionSegment` of one row (class names already resolved)."""
    from lhotse.supervision import AlignmentItem, SupervisionSegment

    custom = {c: row[c] for c in CUSTOM_COLUMNS if row.get(c) is not None}
    custom["folds"] = row["folds"]
    if row.get("phones"):
        custom["phones"] = list(row["phones"])
    if row.get("votes"):
        custom["votes"] = [{k: v for k, v in vote.items() if v is not None} for vote in row["votes"]]
    if row.get("category_distribution"):
        custom["category_distribution"] = row["category_distribution"]
    alignment = None
    if row.get("phone_alignment"):
        alignment = {"phone": [AlignmentItem(symbol=s["phone"], start=float(s["start"]),
                                             duration=float(s["end"]) - float(s["start"]))
                               for s in row["phone_alignment"]]}
    return SupervisionSegment(id=row["id"], recording_id=row["id"], start=0.0, duration=duration,
                              channel=0, text=row.get("text"), language=row.get("language"),
                              speaker=row.get("speaker"), gender=row.get("gender"), custom=custom,
                              alignment=alignment)


def _export_split(config: SourceConfig, split: str, out: Path, shar: bool, shard_size: int,
                  result: LhotseExport) -> None:
    lhotse = _lhotse()
    audio_dir = out / "audio" / config.name
    audio_dir.mkdir(parents=True, exist_ok=True)
    recordings, supervisions = [], []
    for row in config.rows(split):
        path = audio_dir / f"{native_id(row['id'], config.name)}.wav"
        path.write_bytes(row["audio"]["bytes"])
        recording = lhotse.Recording.from_file(path.resolve(), recording_id=row["id"])
        recordings.append(recording)
        supervisions.append(supervision_of(row, recording.duration))
    recording_set = lhotse.RecordingSet.from_recordings(recordings)
    supervision_set = lhotse.SupervisionSet.from_segments(supervisions)
    # one cut per recording; Lhotse names it "<recording id>-<channel>": named like the row instead,
    # so a cut, its supervision and the dataset row share one id
    cuts = lhotse.CutSet.from_manifests(recordings=recording_set, supervisions=supervision_set)
    cuts = cuts.modify_ids(lambda cut_id: cut_id.rsplit("-", 1)[0])
    key = f"{config.name}/{split}"
    paths = {kind: out / f"{config.name}_{kind}_{split}.jsonl.gz"
             for kind in ("recordings", "supervisions", "cuts")}
    recording_set.to_file(paths["recordings"])
    supervision_set.to_file(paths["supervisions"])
    cuts.to_file(paths["cuts"])
    result.manifests[key] = paths
    result.cuts += len(cuts)
    if shar:
        target = out / "shar" / config.name / split
        target.mkdir(parents=True, exist_ok=True)
        cuts.to_shar(target, fields={"recording": "wav"}, shard_size=shard_size)
        result.shar[key] = target


def export_lhotse(folder: str | Path, out: str | Path, *, configs: list[str] | None = None,
                  shar: bool = False, shard_size: int = 1000) -> LhotseExport:
    """Write Lhotse manifests (and optionally Shar) for the corpus configs of a built folder."""
    _lhotse()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    result = LhotseExport(out)
    for config in read_folder(folder, configs):
        for split in config.splits:
            _export_split(config, split, out, shar, shard_size, result)
    return result
