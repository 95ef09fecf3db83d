"""The SYNTHETIC demo corpus written by :func:`seqd_builder.demo.synthesise_demo`.

``get_adapter("demo", root=OUT_DIR)`` reads ``truth.csv`` (one row per file), the eSpeak NG phone
alignment in ``textgrids/`` and the audio in ``audio/``. With simulated raters
(``annotations=[sheet.csv], project=project.yaml``, as written by
:mod:`seqd_builder.annotations.simulate`) the sheet is read, validated and merged by the one merging
implementation (:mod:`seqd_builder.annotations`) and each item also carries:

* ``votes``: every simulated rating, and ``agreement``;
* ``category_perceived``: the raters' consensus (a kept tie such as ``angry:sad`` stays in
  ``category_perceived_native`` only);
* arousal/valence/dominance: the raters' mean, as IEMOCAP publishes them ("rated VAD").

Without raters the dimensions are the designed coordinates. Category and intensity level are always
the designed ones: like an actor's intended emotion in RAVDESS or CREMA-D, they are what the audio
was made to express. Labels and scales come from ``corpora/demo.yaml``.
"""

from __future__ import annotations

import csv
import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

from ..errors import ConfigError
from ..schema import LabelFile, RawItem, Rejection, RejectReason
from .base import Adapter, register

REQUIRED_COLUMNS = ("id", "speaker", "language", "text", "category", "intensity_level", "arousal",
                    "valence", "dominance", "audio")


def _number(value: str) -> float | None:
    return float(value) if value not in ("", None) else None


@register("demo")
class DemoAdapter(Adapter):
    """A folder written by ``synthesise_demo`` (``truth.csv``, ``audio/``, ``textgrids/``)."""

    def __init__(self, root, *, card=None, annotations=None, project=None, **options):
        super().__init__(root, card=card, **options)
        if isinstance(annotations, (str, Path)):
            annotations = [annotations]
        self.annotation_files = [Path(a).expanduser() for a in (annotations or ())]
        self.project_file = Path(project).expanduser() if project is not None else None
        self.result = None
        self.sheet = None
        if self.annotation_files:
            self._merge()

    def _merge(self) -> None:
        """Read, validate and merge the simulated raters' sheets with the project's rules."""
        from ..annotations.curate import merge_sheet
        from ..annotations.project import load_project
        from ..annotations.sheet import read_sheet

        project = self.project_file or self.annotation_files[0].parent / "project.yaml"
        if not project.is_file():
            raise ConfigError(f"no project file at {project}",
                              hint="pass project=PATH (seqd_builder.annotations.simulate."
                                   "write_demo_project writes one)")
        self.project_file = project
        self.project = load_project(project)
        self.sheet = read_sheet(self.annotation_files, self.project)
        self.result = merge_sheet(self.sheet)
        # the agreement figures travel in the card's options, as for seqd corpora: the dataset card
        # shows them
        self.card = dataclasses.replace(self.card, options={
            **self.card.options,
            "agreement": {**self.result.agreement.as_dict(),
                          "flagged_raters": [r.rater for r in self.result.raters if r.flagged],
                          "outcomes": self.result.status_counts()}})

    @classmethod
    def layout_description(cls) -> str:
        return ("a demo corpus folder written by seqd_builder.demo.synthesise_demo: metadata.json, "
                "truth.csv, audio/<id>.wav, textgrids/<id>.TextGrid")

    def check_layout(self) -> None:
        meta = self.root / "metadata.json"
        if not (self.root / "truth.csv").is_file() or not (self.root / "audio").is_dir() \
                or not meta.is_file():
            raise self.layout_error()
        try:
            synthetic = json.loads(meta.read_text(encoding="utf-8")).get("synthetic")
        except ValueError:
            synthetic = None
        if synthetic is not True:
            raise self.layout_error("metadata.json without synthetic: true")

    def input_files(self) -> list[Path]:
        files = [self.root / "truth.csv", self.root / "metadata.json", *self.annotation_files]
        return files + ([self.project_file] if self.project_file is not None else [])

    def items(self) -> Iterator[RawItem | Rejection]:
        merged = {}
        if self.result is not None:
            for issue in self.sheet.errors:
                yield Rejection(id=f"{self.name}/{issue.utterance or Path(issue.file).name}",
                                corpus=self.name, source_file=issue.file, line=issue.line,
                                reason=issue.reject_reason, detail=issue.message,
                                extra={"scope": "annotation line", "kind": issue.kind})
            merged = {m.utterance: m for m in self.result.items}
        truth = self.root / "truth.csv"
        with open(truth, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or ())]
            if missing:
                raise self.layout_error(f"truth.csv without columns {', '.join(missing)}")
            for line, row in enumerate(reader, start=2):
                try:
                    yield self._item(row, truth, line, merged.get(row["id"]))
                except ValueError as exc:  # a cell that is no number: this line, not the whole build
                    yield self.reject(row.get("id") or f"line{line}", self.rel(truth),
                                      RejectReason.MALFORMED_LINE, f"{exc}", line)

    def _item(self, row: dict[str, str], truth: Path, line: int, merged) -> RawItem | Rejection:
        source = self.rel(truth)
        textgrid = self.root / row["textgrid"] if row.get("textgrid") else None
        labels = {"arousal": _number(row["arousal"]), "valence": _number(row["valence"]),
                  "dominance": _number(row["dominance"])}
        rated: dict = {}
        if merged is not None:
            c = merged.consensus
            if merged.rejected:
                return self.reject(row["id"], source, RejectReason.MISSING_METADATA,
                                   f"{c.status.replace('_', ' ')}: the project rejects such items", line)
            perceived = c.label if c.label is not None and (c.category is not None or ":" in c.label) \
                else None
            dims = {k: getattr(c, k) for k in labels if getattr(c, k) is not None}
            rated = {"category_perceived": perceived, "votes": merged.votes, "agreement": c.agreement,
                     **dims}
        return RawItem(
            native_id=row["id"], audio_path=self.root / row["audio"], source_file=source,
            source_line=line, speaker=row["speaker"], gender=row.get("gender") or None,
            language=row["language"], text=row["text"], category=row["category"],
            intensity=row["intensity_level"] or None,
            phones=tuple(row.get("phones", "").split()) or None,
            phone_labels=LabelFile(str(textgrid), "textgrid", tier="phones") if textgrid is not None
            else None,
            **{**labels, **rated})
