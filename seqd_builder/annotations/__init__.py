"""Annotation merging: raw per-rater votes → consensus labels, soft labels and agreement.

One implementation serves the SEQD-style curation format and every corpus that ships raw votes
(IEMOCAP rater lines, MSP-Podcast detailed labels, CREMA-D vote counts): a project file
(:mod:`.project`) declares labels, scales and merging rules, :func:`merge_votes` applies them to one
item, :func:`merge_all` to a whole corpus with agreement statistics (:mod:`.agreement`), and
:mod:`.report` renders the result. The format is specified in ``annotations/README.md``.
"""

import importlib

from .votes import VoteSummary, summarise_votes

# Everything else loads on first use: the agreement statistics pull in statsmodels and scikit-learn
# (seconds), and every corpus build imports this package for summarise_votes.
_LAZY = {
    "Project": "project", "load_project": "project",
    "Consensus": "merge", "Status": "merge", "merge_votes": "merge",
    "Issue": "sheet", "Sheet": "sheet", "read_sheet": "sheet",
    "AgreementSummary": "agreement", "RaterStats": "agreement", "fleiss_kappa": "agreement",
    "summarise_agreement": "agreement",
    "MergeResult": "curate", "merge_all": "curate", "merge_sheet": "curate",
}

__all__ = ["VoteSummary", "summarise_votes", *_LAZY]


def __getattr__(name):
    if name in _LAZY:
        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(name)
