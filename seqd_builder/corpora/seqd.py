"""The ``seqd`` corpus: recordings plus SEQD annotation sheets, merged by a project's rules.

``seqd build seqd --audio DIR --annotations FILE... [--project P]`` constructs this adapter as
``get_adapter("seqd", root=DIR, annotations=[...], project=P)``. Unlike the fixed corpora, a SEQD
corpus declares its own labels and scales, so the corpus card is built from the project file
(labels → ``categories``, intensity levels, VAD range, and the project's ``corpus:`` section for
licence, language, speakers …) on top of the defaults in ``corpora/seqd.yaml``.

The sheets are read, validated and merged when the adapter is made (they are small), so a broken
project fails before any audio is touched. Each item is yielded with the merged consensus on the
project's native scales and every raw rating in ``votes``. Nothing is dropped silently: a sheet line
with an error becomes a :class:`~seqd_builder.schema.Rejection` naming file and line, an item below
the project's thresholds is either yielded without a category (``insufficient: no_consensus``) or
rejected (``insufficient: reject``), and an utterance without a recording is rejected as
``missing_audio``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

from ..annotations.curate import MergeResult, merge_sheet
from ..annotations.merge import Status
from ..annotations.project import Project, load_project
from ..annotations.sheet import Sheet, read_sheet
from ..errors import AnnotationError, ConfigError
from ..schema import RawItem, Rejection, RejectReason
from .base import Adapter, register
from ..schema.scales import IntensityScale
from .card import CorpusCard

INSUFFICIENT_REASON = {Status.TOO_FEW_RATERS: RejectReason.TOO_FEW_RATERS,
                       Status.LOW_AGREEMENT: RejectReason.NO_CONSENSUS}
"""Rejection reasons for items the project's thresholds reject."""

_CARD_FIELDS = ("title", "description", "homepage", "language", "languages", "licence", "citation",
                "audio", "genders", "speakers", "texts", "splits", "default_split", "official_split",
                "protocols", "expected", "phones")
"""Card fields a project's ``corpus:`` section may set; labels and scales come from the project."""


def card_from_project(defaults: CorpusCard, project: Project, result: MergeResult) -> CorpusCard:
    """The corpus card of a SEQD build: ``defaults`` (corpora/seqd.yaml) overlaid by the project.

    ``categories`` maps every label the merge can publish: the project's codes, its no-consensus
    code, and each kept tie that occurs (``ang:sad``) — the last two to None (no unified category).
    """
    where = str(project.path or project.name)
    unknown = sorted(set(project.corpus) - set(_CARD_FIELDS))
    if unknown:
        raise ConfigError(f"corpus: unknown fields {', '.join(unknown)}; valid: {', '.join(_CARD_FIELDS)}",
                          file=where)
    overrides = dict(project.corpus)
    for key in ("genders", "texts", "splits"):
        if overrides.get(key) is not None:
            overrides[key] = {str(k): v for k, v in overrides[key].items()}
    if overrides.get("speakers") is not None:
        overrides["speakers"] = {str(k): dict(v or {}) for k, v in overrides["speakers"].items()}
    if overrides.get("languages") is not None:
        overrides["languages"] = tuple(overrides["languages"])
    categories: dict[str, str | None] = {lb.code: lb.category for lb in project.labels}
    if project.no_consensus is not None:
        categories[project.no_consensus] = None
    for item in result.items:
        label = item.consensus.label
        if label is not None and label not in categories:
            categories[label] = None
    intensity = None
    if project.intensity is not None:
        scale = project.intensity
        intensity = (IntensityScale(levels={str(i): i for i in range(1, scale.n_levels + 1)},
                                    description=scale.description or "levels 1..N: "
                                    + ", ".join(f"{i} {name}" for i, name in enumerate(scale.names, 1)))
                     if scale.levels else IntensityScale(range=scale.range, description=scale.description))
    dimensions = None
    if project.dimensions:
        dimensions = {"range": list(project.dimension_range), "names": list(project.dimensions)}
    title = overrides.pop("title", None) or project.title or defaults.title
    try:
        # normalise() summarises the votes into category_distribution; with self-ratings excluded from
        # the consensus, the soft label must leave them out too (see the option's use in card.py).
        # The agreement figures go into the card (options["agreement"]) for the dataset card to show.
        options = {**defaults.options, "exclude_self_votes": project.merge.category_exclude_self,
                   "agreement": {**result.agreement.as_dict(),
                                 "flagged_raters": [r.rater for r in result.raters if r.flagged],
                                 "outcomes": result.status_counts()}}
        return dataclasses.replace(defaults, title=title, categories=categories, intensity=intensity,
                                   dimensions=dimensions, perceived_categories=None,
                                   vote_categories={}, options=options, **overrides)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"corpus: {exc}", file=where) from exc


@register("seqd")
class SeqdAdapter(Adapter):
    """Recordings in ``root`` (any depth, ``<utterance id>.wav``/``.flac``) plus SEQD sheets."""

    def __init__(self, root, *, card: CorpusCard | None = None, annotations=None, project=None,
                 **options):
        super().__init__(root, card=card, **options)
        if isinstance(annotations, (str, Path)):
            annotations = [annotations]
        self.annotation_files = [Path(a).expanduser() for a in (annotations or ())]
        if not self.annotation_files:
            raise ConfigError("the seqd corpus needs annotation sheets",
                              hint="seqd build seqd --audio DIR --annotations SHEET.csv [--project P]")
        if project is None:
            project = self.annotation_files[0].parent / "project.yaml"
            if not project.is_file():
                raise ConfigError(f"no --project given and no project.yaml beside {self.annotation_files[0]}",
                                  hint="pass --project PATH (see annotations/README.md)")
        self.project: Project = load_project(project)
        self.sheet: Sheet = read_sheet(self.annotation_files, self.project)
        if not self.sheet.annotations:
            problems = "; ".join(str(i) for i in self.sheet.issues[:5]) or "the sheets are empty"
            raise AnnotationError(f"no usable annotation line: {problems}",
                                  hint="check the sheets' header against annotations/README.md")
        self.result: MergeResult = merge_sheet(self.sheet)
        if card is None:
            self.card = card_from_project(self.card, self.project, self.result)
        self._pattern = re.compile(self.project.speaker_pattern) if self.project.speaker_pattern else None

    @classmethod
    def layout_description(cls) -> str:
        return "a folder of recordings named <utterance id>.wav or .flac (any depth)"

    def input_files(self) -> list[Path]:
        return [*self.annotation_files, *([self.project.path] if self.project.path else [])]

    def _audio_index(self) -> dict[str, Path]:
        extensions = tuple(e.lower() for e in self.options.get("audio_extensions", (".wav", ".flac")))
        index: dict[str, Path] = {}
        for path in sorted(self.root.rglob("*")):
            if path.suffix.lower() in extensions and path.is_file() and not path.name.startswith("."):
                index.setdefault(path.stem, path)
        return index

    def check_layout(self) -> None:
        if not self._audio_index():
            raise self.layout_error()

    def _speaker(self, utt: str, item: dict[str, str]) -> str | None:
        if item.get("speaker"):
            return item["speaker"]
        if self._pattern is not None:
            match = self._pattern.search(utt)
            if match and match.groupdict().get("speaker"):
                return match.group("speaker")
        return None

    def items(self) -> Iterator[RawItem | Rejection]:
        for issue in self.sheet.errors:
            yield Rejection(id=f"{self.name}/{issue.utterance or Path(issue.file).name}", corpus=self.name,
                            source_file=issue.file, line=issue.line, reason=issue.reject_reason,
                            detail=issue.message, extra={"scope": "annotation line", "kind": issue.kind})
        audio = self._audio_index()
        annotations = self.sheet.by_utterance()
        for merged in self.result.items:
            utt, c = merged.utterance, merged.consensus
            first = annotations[utt][0]
            if merged.rejected:
                yield Rejection(id=f"{self.name}/{utt}", corpus=self.name, source_file=first.file,
                                line=first.line, reason=INSUFFICIENT_REASON[c.status],
                                detail=f"{c.status.replace('_', ' ')}: {c.n_raters:g} rater(s), winner share "
                                       f"{c.agreement if c.agreement is None else round(c.agreement, 3)}; "
                                       f"the project rejects such items",
                                extra={"status": c.status})
                continue
            if utt not in audio:
                yield Rejection(id=f"{self.name}/{utt}", corpus=self.name, source_file=first.file,
                                line=first.line, reason=RejectReason.MISSING_AUDIO,
                                detail=f"no {utt}.wav or {utt}.flac under {self.root}")
                continue
            item: dict[str, str] = {}
            for a in annotations[utt]:   # the first value wins, as the sheet's validation reports
                for col, value in a.item:
                    item.setdefault(col, value)
            intensity = None
            if c.intensity is not None and self.project.intensity is not None:
                intensity = str(c.intensity_level) if self.project.intensity.levels else c.intensity
            yield RawItem(
                native_id=utt, audio_path=audio[utt], source_file=first.file, source_line=first.line,
                speaker=self._speaker(utt, item), gender=item.get("gender"), text=item.get("text"),
                split=item.get("split"), category=c.label, intensity=intensity,
                arousal=c.arousal, valence=c.valence, dominance=c.dominance,
                votes=merged.votes, agreement=c.agreement)
