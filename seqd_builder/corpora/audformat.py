"""audformat databases as a corpus: ``seqd build audformat --root DB`` (``DB/db.yaml`` + tables).

The database's header becomes the corpus card (on top of ``corpora/audformat.yaml``): its name names
the config (so a database exported by ``seqd export audformat`` comes back under its own corpus name
and row ids), its languages, licence, splits and ``meta`` (title, citation, protocols) the card's.
Labels are read by column, the way audformat's conventions name them:

* ``emotion`` (scheme ``emotion``): the category. Where an ``emotion.native`` column sits beside it
  (our export), the native codes are the corpus' own and the card maps each to the unified category
  found beside it; otherwise the labels are native and ``corpora/audformat.yaml`` maps them (an
  unmapped label rejects its row as ``unknown_label``, it does not stop the build);
* ``intensity.level`` (ordinal, the scheme's maximum is N) or ``intensity`` (continuous, the
  scheme's range); ``arousal``/``valence``/``dominance`` on their scheme's range; ``agreement``;
* ``speaker``, ``gender``, ``age``, ``language``, ``transcription``, ``phones`` (space-separated);
  gender and age also from a speaker scheme's label dictionary, as audb's databases keep them;
* a segmented table with a ``phone`` column: the phone alignment;
* tables ``votes.<field>.<split>``: one column per rater (our export's layout; ``R#2`` … hold a
  rater's further votes on one file, ``votes.position`` their order where it matters).

Every media file in the database's tables is one item, in sorted order, with its path below the folder
all media share (without extension) as its id; a file that is not on disk is rejected as
``missing_audio`` by the build, like any corpus' missing file.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import ConfigError, UnknownLabelError, require
from ..schema import CATEGORIES, PhoneSegment, RawItem, Rejection, RejectReason, Split, Vote
from .base import Adapter, register
from .card import CorpusCard, IntensityScale

_SPLIT_TYPES = {"train": Split.TRAIN, "dev": Split.VALIDATION, "test": Split.TEST}
_VOTE_FIELDS = {"emotion": "category", "emotion.native": "category_native", "intensity": "intensity",
                "intensity.level": "intensity", "arousal": "arousal", "valence": "valence",
                "dominance": "dominance", "self_rating": "self_rating", "weight": "weight",
                "position": "position"}
_FILE_FIELDS = {"speaker": "speaker", "gender": "gender", "age": "age", "language": "language",
                "transcription": "text", "text": "text", "phones": "phones",
                "emotion": "category", "emotion.native": "category_native",
                "emotion.perceived": "perceived_unified",
                "emotion.perceived.native": "category_perceived", "intensity": "intensity",
                "intensity.level": "intensity_level", "arousal": "arousal", "valence": "valence",
                "dominance": "dominance", "agreement": "agreement"}
"""Column ids read per file → the field they fill (first table that has the file wins)."""


def _load(root: Path):
    audformat = require("audformat", "interop")
    if not (root / "db.yaml").is_file():
        return None
    try:
        return audformat.Database.load(str(root), load_data=True)
    except Exception as exc:  # noqa: BLE001 - audformat raises yaml, pandas, OS and its own errors
        raise ConfigError(f"audformat cannot load the database: {type(exc).__name__}: {exc}",
                          file=root / "db.yaml",
                          hint="check it with audformat.Database.load(ROOT, load_data=True)") from exc


def _value(v: Any) -> Any:
    """A pandas cell as a plain Python value (NaN/NA → None)."""
    import pandas as pd

    if v is None or (not isinstance(v, (list, tuple, dict)) and pd.isna(v)):
        return None
    return v.item() if hasattr(v, "item") else v


def _bcp47(language: str) -> str:
    import iso639  # audformat's own dependency

    try:
        return iso639.Lang(language).pt1 or language
    except Exception:  # noqa: BLE001 - iso639 raises its own error family; keep the code as given
        return language


def corpus_name(db_name: str) -> str:
    """A config name from a database name: lower case, ``[a-z0-9_-]`` only."""
    name = re.sub(r"[^a-z0-9_-]+", "_", db_name.strip().lower()).strip("_")
    if not name:
        raise ConfigError(f"database name {db_name!r} gives no usable corpus name",
                          hint="pass name=... to the adapter")
    return name


@register("audformat")
class AudformatAdapter(Adapter):
    """Reads a database with ``audformat.Database.load``; the card comes from its header."""

    def __init__(self, root, *, card: CorpusCard | None = None, name: str | None = None, **options):
        super().__init__(root, card=card, **options)
        self.db = _load(self.root)
        if self.db is not None:
            self.files = self._read_files()
            self.card = self._card(name)

    @classmethod
    def layout_description(cls) -> str:
        return "an audformat database: db.yaml, its tables and the media files they index"

    def check_layout(self) -> None:
        if self.db is None:
            raise self.layout_error()

    def input_files(self) -> list[Path]:
        return sorted(p for p in self.root.glob("db.*") if p.is_file())

    # --- reading the tables ----------------------------------------------------------------------

    def _read_files(self) -> dict[str, dict[str, Any]]:
        files: dict[str, dict[str, Any]] = {}
        for table_id, table in sorted(self.db.tables.items()):
            df = table.get()
            split = self._split(table.split_id)
            if table.is_segmented:
                if "phone" in df.columns:
                    for (file, start, end), phone in df["phone"].items():
                        rec = files.setdefault(file, {})
                        rec.setdefault("phone_alignment", []).append(
                            PhoneSegment(str(phone), start.total_seconds(), end.total_seconds()))
                continue
            vote = re.fullmatch(r"votes\.(.+)\.[^.]+", table_id)
            for file in df.index:
                rec = files.setdefault(file, {})
                if split is not None:
                    rec.setdefault("split", split)
            if vote:
                self._read_votes(files, table, df, vote.group(1))
                continue
            for column_id in df.columns:
                key = _FILE_FIELDS.get(column_id)
                if key is None:
                    continue
                for file, v in df[column_id].items():
                    files[file].setdefault(key, _value(v))
        return dict(sorted(files.items()))

    def _read_votes(self, files, table, df, field: str) -> None:
        """Columns of one vote field: rater ``R``'s first vote on a file in column ``R``, further
        ones in ``R#2`` … (the column's rater_id names the rater)."""
        target = _VOTE_FIELDS.get(field)
        if target is None:
            return
        for column_id in df.columns:
            rater = table.columns[column_id].rater_id or column_id
            m = re.fullmatch(r".*#(\d+)", column_id)
            k = int(m.group(1)) - 1 if m and column_id != rater else 0
            for file, v in df[column_id].items():
                v = _value(v)
                if v is not None:
                    files[file].setdefault("votes", {}).setdefault((rater, k), {})[target] = v

    def _split(self, split_id: str | None) -> str | None:
        if split_id is None:
            return None
        if split_id in Split.values():
            return split_id
        kind = self.db.splits[split_id].type
        if kind not in _SPLIT_TYPES:
            raise UnknownLabelError("split type", kind, _SPLIT_TYPES, file=self.root / "db.yaml",
                                    hint=f"give split {split_id!r} the type train, dev or test")
        return _SPLIT_TYPES[kind]

    # --- the card ----------------------------------------------------------------------------------

    def _categories(self, defaults: dict[str, str | None], native: str = "category_native",
                    unified: str = "category") -> dict[str, str | None]:
        """native → unified, from the pairs in the tables; the default map where there are none."""
        pairs = {(r.get(native), r.get(unified)) for r in self.files.values() if native in r}
        if native == "category_native" and not pairs:
            return {**{c: c for c in CATEGORIES}, **defaults}
        out: dict[str, str | None] = {}
        for native, unified in sorted(pairs, key=str):
            if native is None:
                continue
            if native in out and out[native] != unified:
                raise ConfigError(f"native label {native!r} has two unified categories "
                                  f"({out[native]!r}, {unified!r}) in the emotion tables",
                                  file=self.root / "db.yaml")
            out[native] = unified
        return out

    def _card(self, name: str | None) -> CorpusCard:
        db, meta = self.db, dict(self.db.meta)
        where = str(self.root / "db.yaml")
        languages = sorted({r["language"] for r in self.files.values() if r.get("language")}) or [
            _bcp47(lang) for lang in db.languages] or [self.card.language]
        licence = meta.get("licence") or {
            "id": db.license or "other", "name": db.license or "not stated",
            "url": db.license_url or "", "redistribution": "unclear"}
        intensity = None
        if "intensity.level" in db.schemes:
            n = int(db.schemes["intensity.level"].maximum)
            intensity = IntensityScale(levels={str(i): i for i in range(1, n + 1)},
                                       description=db.schemes["intensity.level"].description or "")
        elif "intensity" in db.schemes:
            s = db.schemes["intensity"]
            intensity = IntensityScale(range=(float(s.minimum or 0.0), float(s.maximum or 1.0)),
                                       description=s.description or "")
        dimensions = None
        dims = [db.schemes[d] for d in ("arousal", "valence", "dominance") if d in db.schemes]
        if dims:
            lo, hi = {float(d.minimum or 0.0) for d in dims}, {float(d.maximum or 1.0) for d in dims}
            if len(lo) > 1 or len(hi) > 1:
                raise ConfigError("arousal, valence and dominance schemes have different ranges",
                                  file=where, hint="give the three schemes one minimum and maximum")
            dimensions = {"range": [lo.pop(), hi.pop()]}
        protocols = {p["name"]: {k: v for k, v in p.items() if k != "name"}
                     for p in meta.get("protocols") or []}
        try:
            return dataclasses.replace(
                self.card, name=name or corpus_name(db.name), title=meta.get("title") or db.name,
                description=db.description or "", homepage=db.source or "",
                language=languages[0], languages=tuple(languages), licence=licence,
                citation=str(meta.get("citation") or db.author or ""),
                categories=self._categories(self.card.categories), intensity=intensity,
                perceived_categories=self._categories({}, "category_perceived", "perceived_unified")
                or None, splits={s: s for s in Split.values()},
                dimensions=dimensions, protocols=protocols,
                official_split=bool(meta.get("official_split", False)),
                options={**self.card.options, "exclude_self_votes": bool(meta.get("exclude_self_votes"))})
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"database header: {exc}", file=where) from exc

    # --- items ------------------------------------------------------------------------------------

    def items(self) -> Iterator[RawItem | Rejection]:
        # ids are the file paths below the folder all media share (our export's audio/, audb's
        # wav/), without the extension; deeper folders join with "_" (ids contain no "/")
        parents = {Path(f).parent.as_posix() for f in self.files}
        common = os.path.commonpath(list(parents)) if parents else ""
        for file, rec in self.files.items():
            relative = Path(os.path.relpath(file, common or ".")).with_suffix("")
            native = relative.as_posix().replace("/", "_")
            try:
                yield RawItem(**self._raw(native, file, rec))
            except (ValueError, TypeError) as exc:
                yield self.reject(native, file, RejectReason.INVALID_VALUE, str(exc))

    def _raw(self, native: str, file: str, rec: dict[str, Any]) -> dict[str, Any]:
        level = rec.get("intensity_level")
        cells = rec.get("votes", {})
        order = sorted(cells, key=lambda c: (cells[c].get("position", 0), c))
        votes = tuple(Vote(rater=rater, **{k: (bool(v) if k == "self_rating" else v)
                                           for k, v in cells[(rater, n)].items() if k != "position"})
                      for rater, n in order)
        speaker = rec.get("speaker")
        info = self._speaker_info(speaker)
        category = rec.get("category_native", rec.get("category"))
        return dict(
            native_id=native, audio_path=self.root / file, source_file=file,
            speaker=str(speaker) if speaker is not None else None,
            gender=rec.get("gender", info.get("gender")), age=rec.get("age", info.get("age")),
            language=rec.get("language"), text=rec.get("text"),
            category=str(category) if category is not None else None,
            category_perceived=rec.get("category_perceived"),
            intensity=str(level) if level is not None else rec.get("intensity"),
            arousal=rec.get("arousal"), valence=rec.get("valence"), dominance=rec.get("dominance"),
            votes=votes, agreement=rec.get("agreement"), split=rec.get("split"),
            phones=tuple(rec["phones"].split()) if rec.get("phones") else None,
            phone_alignment=tuple(rec["phone_alignment"]) if rec.get("phone_alignment") else None)

    def _speaker_info(self, speaker: Any) -> dict[str, Any]:
        scheme = self.db.schemes.get("speaker")
        labels = scheme.labels if scheme is not None and isinstance(scheme.labels, dict) else {}
        info = labels.get(speaker) or {}
        return info if isinstance(info, dict) else {}
