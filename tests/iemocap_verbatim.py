"""IEMOCAP EmoEvaluation lines verbatim from docs/corpus-formats.md §3.2, shared by the IEMOCAP tests.

No raw EmoEvaluation file is public; these are the lines that several independent sources quote
(TABs preserved). ``…`` in the docs marks left-out lines, so only F000's block is complete.
"""

# the header and F000's whole block live with the IEMOCAP example tree (one copy of the quoted lines)
from seqd_builder.corpora.examples import IEMOCAP_F000 as F000  # noqa: E402
from seqd_builder.corpora.examples import IEMOCAP_HEADER as HEADER  # noqa: E402

F001_SUMMARY = "[10.0100 - 11.3925]\tSes01F_impro01_F001\tneu\t[2.5000, 2.5000, 2.5000]\n"
MULTI_CATEGORY = "C-F1:\tNeutral; Anger;\t()\n"
# Ses01F_impro05.txt
F019_SUMMARY = "[140.2250 - 145.6000]\tSes01F_impro05_F019\tang\t[1.5000, 4.0000, 4.5000]\n"
F019_CATEGORY = "C-E1:\tAnger;\t()\n"
F019_DIMENSIONS = "A-E4:\tval 1; act 4; dom  5;\t(threatening, belligerent)\n"
