"""Merging a whole project: every item's consensus, the agreement figures, the merged table.

``seqd merge`` and the ``seqd`` corpus adapter both go through :func:`merge_all`, which takes votes
from anywhere (a SEQD sheet, or a corpus reader), so the table and report look the same for every
source.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import ConfigError
from ..schema import Vote
from .merge import Consensus, Status, merge_votes
from .project import Project
from .sheet import Issue, Sheet

if TYPE_CHECKING:
    from .agreement import AgreementSummary, RaterStats

TABLE_FORMATS = ("csv", "parquet")


@dataclass(frozen=True)
class MergedItem:
    """One utterance: its votes, its consensus, and where its first annotation line is."""

    utterance: str
    votes: tuple[Vote, ...]
    consensus: Consensus
    source: str = ""                 # file:line of the first annotation
    rejected: bool = False           # insufficient and the project says reject

    @property
    def raters(self) -> tuple[str, ...]:
        """Each rater once, in order (a split rating is several votes by one rater)."""
        return tuple(dict.fromkeys(v.rater for v in self.votes))


@dataclass(frozen=True)
class MergeResult:
    """Everything ``seqd merge`` writes: the merged items, agreement, per-rater figures and issues."""

    project: Project
    items: tuple[MergedItem, ...]
    agreement: AgreementSummary
    raters: tuple[RaterStats, ...]
    coincidence: np.ndarray
    issues: tuple[Issue, ...] = ()
    sources: tuple[str, ...] = field(default=())

    def status_counts(self) -> dict[str, int]:
        return dict(Counter(i.consensus.status for i in self.items).most_common())

    def label_counts(self) -> dict[str, int]:
        """Published label per item (winner, kept tie, or the no-consensus code)."""
        return dict(Counter("—" if i.consensus.label is None else i.consensus.label
                            for i in self.items if not i.rejected).most_common())

    def table(self):
        """The merged table as a pandas DataFrame, one row per utterance.

        Soft labels are one ``p_<code>`` column per label (shares of the weighted votes), so the table
        trains a soft-label model as is.
        """
        import pandas as pd

        project = self.project
        rows = []
        for item in self.items:
            c = item.consensus
            dist = dict(c.distribution)
            row = {"utterance": item.utterance, "label": c.label, "category": c.category,
                   "status": c.status, "rejected": item.rejected, "winners": ":".join(c.winners),
                   "agreement": c.agreement, "n_raters": c.n_raters}
            if project.intensity is not None:
                row["intensity"] = c.intensity
                if project.intensity.levels:
                    row["intensity_level"] = c.intensity_level
            for d in project.dimensions:
                row[d] = getattr(c, d)
            for code in project.codes:
                row[f"p_{code}"] = dist.get(code, 0.0)
            row["raters"] = ";".join(item.raters)
            row["source"] = item.source
            rows.append(row)
        frame = pd.DataFrame(rows)
        if "intensity_level" in frame:
            frame["intensity_level"] = frame["intensity_level"].astype("Int64")
        return frame

    def write_table(self, out: str | Path, formats: Sequence[str] = TABLE_FORMATS) -> list[Path]:
        """Write ``merged.csv`` and/or ``merged.parquet`` under ``out``; returns the paths."""
        bad = [f for f in formats if f not in TABLE_FORMATS]
        if bad:
            raise ConfigError(f"unknown table format(s) {bad}; valid: {', '.join(TABLE_FORMATS)}")
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        frame = self.table()
        written = []
        if "csv" in formats:
            spreadsheet_safe(frame).to_csv(out / "merged.csv", index=False)
            written.append(out / "merged.csv")
        if "parquet" in formats:
            frame.to_parquet(out / "merged.parquet", index=False)
            written.append(out / "merged.parquet")
        return written


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""Cell starts a spreadsheet reads as a formula (OWASP, "CSV Injection")."""


def spreadsheet_safe(frame):
    """A copy of ``frame`` whose text cells cannot run as formulas when the CSV is opened.

    Ids, labels and rater names come from curators' sheets; a cell such as ``=HYPERLINK(...)`` would
    be evaluated by a spreadsheet program. As OWASP advises, such cells get a leading ``'`` (shown
    by spreadsheets as the literal text). Only ``merged.csv`` is changed: ``merged.parquet`` keeps the
    values exactly, and numeric columns (negative numbers) are left alone.
    """
    from pandas.api.types import is_numeric_dtype

    frame = frame.copy()
    for col in frame.columns:
        if not is_numeric_dtype(frame[col]):
            frame[col] = frame[col].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_START) else v)
    return frame


def merge_all(votes: Mapping[str, Sequence[Vote]], project: Project, *,
              sources: Mapping[str, str] | None = None, issues: Sequence[Issue] = (),
              files: Sequence[str] = ()) -> MergeResult:
    """Merge every item of ``votes`` ({utterance: votes}, in output order) by the project's rules."""
    # statsmodels and scikit-learn load here, not when an adapter module is imported
    from .agreement import category_counts, coincidence, rater_stats, summarise_agreement

    sources = sources or {}
    reject = project.merge.insufficient == "reject"
    items = []
    for utt, item_votes in votes.items():
        consensus = merge_votes(item_votes, project)
        items.append(MergedItem(utt, tuple(item_votes), consensus, sources.get(utt, ""),
                                rejected=reject and consensus.status in Status.INSUFFICIENT))
    return MergeResult(project, tuple(items), summarise_agreement(votes, project),
                       tuple(rater_stats(votes, project)),
                       coincidence(category_counts(votes, project, whole_ratings=True)),
                       tuple(issues), tuple(files))


def merge_sheet(sheet: Sheet) -> MergeResult:
    """Merge a read (and validated) SEQD sheet; its issues travel into the report."""
    sources = {}
    for a in sheet.annotations:
        sources.setdefault(a.utterance, f"{a.file}:{a.line}")
    return merge_all(sheet.votes(), sheet.project, sources=sources, issues=sheet.issues,
                     files=[str(f) for f in sheet.files])
