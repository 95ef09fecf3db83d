"""``seqd export audformat``: each corpus config of a built dataset as an audformat database.

audb and nkululeko users read audformat: a ``db.yaml`` header (schemes, raters, splits, media) plus
tables indexed by file. One database per corpus config (``OUT/<config>/``), so each keeps its own
licence and card, and ``seqd build audformat --root OUT/<config>`` imports it back as that config.

Per split ``S`` (audformat tables have one split each):

* ``files.S``: ``speaker`` (native id), ``gender``, ``age``, ``language`` (the row's BCP-47 tag;
  the header's ``languages`` are ISO 639-3, as audformat writes them), ``transcription``, ``phones``,
  and ``fold.<protocol>`` (the row's test group under each fold protocol in ``meta.protocols``);
* ``emotion.S`` (rater ``gold``: the published label): ``emotion`` (the unified categories as
  labels), ``emotion.native`` (the corpus' own code), the perceived pair where the corpus has one,
  ``intensity`` ([0, 1]), ``intensity.level`` (1..N on an ordinal scale), ``arousal``/``valence``/
  ``dominance`` ([0, 1]) and ``agreement``; a column only where the corpus fills it;
* ``phones.S``: the phone alignment as a segmented table (``phone`` per start/end);
* ``votes.<field>.S``: one column per rater (raters declared in the header; ``R#2``, ``R#3`` … for a
  rater's further votes on one utterance, as IEMOCAP's multi-category lines give) for each vote field
  the corpus has (``emotion``, ``emotion.native``, ``intensity``, the dimensions, ``self_rating``,
  ``weight``, and ``position`` where the votes' order is not the columns' order).

Scales are the published [0, 1] ones; the native scale is in each scheme's description and the card's
facts (licence, citation, scales, protocols) in the header's ``meta``. Audio files are the embedded WAV
bytes, written byte for byte under ``audio/``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..audio import SAMPLING_RATE
from ..errors import require
from ..schema import CATEGORIES, GENDERS
from .source import SourceConfig, native_id, read_folder

GOLD = "gold"
SPLIT_TYPES = {"train": "train", "validation": "dev", "test": "test", "test1": "test",
               "test2": "test", "test3": "test"}
"""Our split names → audformat's split types (``dev`` is its name for validation)."""

EMOTION_COLUMNS = {  # column id → (row column, scheme id)
    "emotion": ("category", "emotion"), "emotion.native": ("category_native", "emotion.native"),
    "emotion.perceived": ("category_perceived", "emotion"),
    "emotion.perceived.native": ("category_perceived_native", "emotion.native"),
    "intensity": ("intensity", "intensity"), "intensity.level": ("intensity_level", "intensity.level"),
    "arousal": ("arousal", "arousal"), "valence": ("valence", "valence"),
    "dominance": ("dominance", "dominance"), "agreement": ("agreement", "agreement"),
}
FILE_COLUMNS = {"speaker": "speaker", "gender": "gender", "age": "age", "language": "language",
                "transcription": "text", "phones": "phones"}
VOTE_FIELDS = {"emotion": "category", "emotion.native": "category_native", "intensity": "intensity",
               "arousal": "arousal", "valence": "valence", "dominance": "dominance",
               "self_rating": "self_rating", "weight": "weight"}
"""Vote tables (``votes.<key>.<split>``) → the vote's field."""


@dataclass
class AudformatExport:
    out: Path
    databases: dict[str, Path] = field(default_factory=dict)
    files: int = 0

    def summary(self) -> str:
        return (f"audformat: {len(self.databases)} database(s) ({', '.join(sorted(self.databases))}), "
                f"{self.files} files, in {self.out}")


def _audformat():
    return require("audformat", "interop")


def _schemes(af, card: dict[str, Any]) -> dict[str, Any]:
    scales = card.get("scales") or {}
    dims = scales.get("dimensions", {})
    native = f"native scale {dims['range']}, mapped linearly to [0, 1]" if dims else "[0, 1]"
    unit = dict(dtype="float", minimum=0.0, maximum=1.0)
    schemes = {
        "emotion": af.Scheme(labels=list(CATEGORIES), description="unified fine category (seqd-builder)"),
        "emotion.native": af.Scheme("str", description="the corpus' own label, untouched"),
        "intensity": af.Scheme(**unit, description="intensity in [0, 1]: "
                               + str(scales.get("intensity", {}).get("normalised", "normalised"))),
        "arousal": af.Scheme(**unit, description=f"arousal, {native}"),
        "valence": af.Scheme(**unit, description=f"valence, {native}"),
        "dominance": af.Scheme(**unit, description=f"dominance, {native}"),
        "agreement": af.Scheme(**unit, description="share of votes for the consensus (or recognition rate)"),
        "speaker": af.Scheme("str", description="native speaker id"),
        "gender": af.Scheme(labels=list(GENDERS)),
        "age": af.Scheme("int", minimum=0),
        "language": af.Scheme("str", description="BCP-47 language tag"),
        "transcription": af.Scheme("str"),
        "phones": af.Scheme("str", description="phone sequence, space-separated"),
        "phone": af.Scheme("str", description="phone label of an aligned segment"),
        "fold": af.Scheme("str", description="test group of the row under a protocol of meta.protocols"),
        "self_rating": af.Scheme("bool", description="the rater is the speaker"),
        "position": af.Scheme("int", minimum=0, description="the vote's place among the row's votes"),
        "weight": af.Scheme("float", minimum=0.0,
                            description="vote weight (counts, 1/n of a multi-label line)"),
    }
    levels = (scales.get("intensity") or {}).get("levels")
    if levels:
        schemes["intensity.level"] = af.Scheme("int", minimum=1, maximum=max(levels.values()),
                                               description=f"native ordinal level; tokens {levels}")
    return schemes


def exclude_self_votes(rows: list[dict[str, Any]]) -> bool:
    """Whether the published soft labels leave self-ratings out (a project setting that the rows
    show but the manifest does not record): the setting under which the votes reproduce them."""
    from ..annotations import summarise_votes
    from ..schema import Vote

    for row in rows:
        if not any(v["self_rating"] for v in row["votes"]):
            continue
        votes = [Vote(**v) for v in row["votes"]]
        published = [(d["category"], d["weight"]) for d in row["category_distribution"]]
        with_self = summarise_votes(votes, exclude_self=False).distribution
        if [(c, round(w, 5)) for c, w in with_self] != [(c, round(w, 5)) for c, w in published]:
            return True
    return False


def _set(table, column_id: str, scheme_id: str | None, rater_id: str | None, values: list) -> None:
    from audformat import Column

    table[column_id] = Column(scheme_id=scheme_id, rater_id=rater_id)
    table[column_id].set(values)


def _write_split(af, db, split: str, rows: list[dict[str, Any]], config: str) -> None:
    files = [f"audio/{native_id(r['id'], config)}.wav" for r in rows]
    index = af.filewise_index(files)
    db.splits[split] = af.Split(SPLIT_TYPES.get(split, "other"))
    table = af.Table(index, split_id=split, media_id="microphone")
    db[f"files.{split}"] = table
    prefix = f"{config}/"
    for column_id, key in FILE_COLUMNS.items():
        values = [r[key] for r in rows]
        if key == "speaker":
            values = [v[len(prefix):] if v and v.startswith(prefix) else v for v in values]
        if key == "phones":
            values = [" ".join(v) if v else None for v in values]
        _set(table, column_id, column_id, None, values)
    for protocol in sorted({p for r in rows for p in r["folds"]}):
        _set(table, f"fold.{protocol}", "fold", None, [r["folds"].get(protocol) for r in rows])
    emotion = af.Table(index, split_id=split, media_id="microphone")
    db[f"emotion.{split}"] = emotion
    for column_id, (key, scheme) in EMOTION_COLUMNS.items():
        values = [r[key] for r in rows]
        if column_id in ("emotion", "emotion.native") or any(v is not None for v in values):
            _set(emotion, column_id, scheme, GOLD, values)
    segments = [(f, s) for f, r in zip(files, rows) for s in (r["phone_alignment"] or [])]
    if segments:
        seg_index = af.segmented_index([f for f, _ in segments], [s["start"] for _, s in segments],
                                       [s["end"] for _, s in segments])
        phones = af.Table(seg_index, split_id=split, media_id="microphone")
        db[f"phones.{split}"] = phones
        _set(phones, "phone", "phone", None, [s["phone"] for _, s in segments])
    _write_votes(af, db, split, rows, index)


def _vote_columns(rows: list[dict[str, Any]]) -> tuple[list[tuple[str, int]], list[dict]]:
    """The (rater, k) columns and, per row, each vote's column and position.

    A rater may cast several votes on one utterance (IEMOCAP's multi-category lines: n votes of
    weight 1/n), so a rater has as many columns as its most votes on one row: ``R``, ``R#2``, …
    """
    most: dict[str, int] = {}
    placed = []
    for row in rows:
        seen: dict[str, int] = {}
        cells = {}
        for position, vote in enumerate(row["votes"]):
            k = seen.get(vote["rater"], 0)
            seen[vote["rater"]] = k + 1
            cells[(vote["rater"], k)] = (position, vote)
        for rater, n in seen.items():
            most[rater] = max(most.get(rater, 0), n)
        placed.append(cells)
    columns = [(rater, k) for rater in sorted(most) for k in range(most[rater])]
    return columns, placed


def vote_column_id(rater: str, k: int) -> str:
    return rater if k == 0 else f"{rater}#{k + 1}"


def _write_votes(af, db, split: str, rows: list[dict[str, Any]], index) -> None:
    columns, placed = _vote_columns(rows)
    if not columns:
        return
    for rater, _ in columns:
        if rater not in db.raters:
            db.raters[rater] = af.Rater(af.define.RaterType.HUMAN)
    level = db.schemes.get("intensity.level")
    fields = dict(VOTE_FIELDS)
    # the votes' order within a row, where it is not the columns' order (written only then)
    in_order = all([c for c in columns if c in cells] == sorted(cells, key=lambda c: cells[c][0])
                   for cells in placed)
    if not in_order:
        fields["position"] = None
    for key, vote_field in fields.items():
        grid = {c: [None] * len(rows) for c in columns}
        for i, cells in enumerate(placed):
            for c, (position, vote) in cells.items():
                grid[c][i] = position if vote_field is None else vote[vote_field]
        if key == "intensity" and level is not None:
            # raters chose a level on the ordinal scale: write the level, as the consensus's
            # intensity.level column does (the [0, 1] value is level / N)
            key = "intensity.level"
            grid = {c: [None if v is None else round(v * level.maximum) for v in values]
                    for c, values in grid.items()}
        filled = [v for column in grid.values() for v in column if v is not None]
        if not filled or (key == "self_rating" and not any(filled)) or (
                key == "weight" and all(v == 1 for v in filled)):
            continue
        table = af.Table(index, split_id=split, media_id="microphone")
        db[f"votes.{key}.{split}"] = table
        for rater, k in columns:
            _set(table, vote_column_id(rater, k), key, rater, grid[(rater, k)])


def export_config(config: SourceConfig, out: Path) -> tuple[Path, int]:
    """Write one corpus config as an audformat database in ``out/<config>``."""
    af = _audformat()
    card = config.card
    root = out / config.name
    (root / "audio").mkdir(parents=True, exist_ok=True)
    licence = card["licence"]
    known = licence.get("id") in af.define.License._attribute_values()
    db = af.Database(
        name=config.name, source=card.get("homepage") or "", usage=af.define.Usage.UNRESTRICTED
        if licence.get("redistribution") == "allowed" else af.define.Usage.RESEARCH,
        languages=[af.utils.map_language(lang) for lang in card["languages"]],
        description=(card.get("description") or config.entry["title"]).strip(),
        license=licence.get("id") if known else licence.get("name"), license_url=licence.get("url"),
        meta={"title": config.entry["title"], "citation": card["citation"],
              "licence": licence, "scales": card.get("scales") or {},
              "protocols": card.get("protocols") or [], "official_split": card.get("official_split"),
              "seqd_builder": {"code_version": config.entry["code_version"],
                               "fingerprint": config.entry["fingerprint"]}},
    )
    db.media["microphone"] = af.Media(af.define.MediaType.AUDIO, format="wav", sampling_rate=SAMPLING_RATE,
                                      channels=1, bit_depth=16)
    db.raters[GOLD] = af.Rater(af.define.RaterType.TRUTH,
                               description="the published label: intended, or the raters' consensus")
    for scheme_id, scheme in _schemes(af, card).items():
        db.schemes[scheme_id] = scheme
    n, exclude_self = 0, False
    for split in config.splits:
        rows = []
        for row in config.rows(split):  # audio goes to disk as it streams; labels stay for the tables
            path = root / "audio" / f"{native_id(row['id'], config.name)}.wav"
            path.write_bytes(row.pop("audio")["bytes"])
            rows.append(row)
        exclude_self = exclude_self or exclude_self_votes(rows)
        _write_split(af, db, split, rows, config.name)
        n += len(rows)
    db.meta["exclude_self_votes"] = exclude_self
    unused = [s for s in db.schemes if not any(c.scheme_id == s for t in db.tables.values()
                                                for c in t.columns.values())]
    for scheme_id in unused:  # a scheme no column uses is noise in the header
        del db.schemes[scheme_id]
    db.save(root)
    return root, n


def export_audformat(folder: str | Path, out: str | Path, *,
                     configs: list[str] | None = None) -> AudformatExport:
    """One audformat database per corpus config of a built folder, in ``out/<config>/``."""
    _audformat()
    out = Path(out)
    result = AudformatExport(out)
    for config in read_folder(folder, configs):
        root, n = export_config(config, out)
        result.databases[config.name] = root
        result.files += n
    return result

