"""Annotation merging: raw per-rater votes → consensus labels, soft labels and agreement.

One implementation serves the SEQD-style curation format and every corpus that ships raw votes
(IEMOCAP rater lines, MSP-Podcast detailed labels, CREMA-D vote counts).
"""

from .votes import VoteSummary, summarise_votes

__all__ = ["VoteSummary", "summarise_votes"]
