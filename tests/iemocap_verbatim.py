"""IEMOCAP EmoEvaluation lines verbatim from docs/corpus-formats.md §3.2, shared by the IEMOCAP tests.

No raw EmoEvaluation file is public; these are the lines that several independent sources quote
(TABs preserved). ``…`` in the docs marks left-out lines, so only F000's block is complete.
"""

HEADER = "% [START_TIME - END_TIME] TURN_NAME EMOTION [V, A, D]\n\n"
# Ses01F_impro01.txt, the whole block of the first turn (the last line is the blank separator)
F000 = (
    "[6.2901 - 8.2357]\tSes01F_impro01_F000\tneu\t[2.5000, 2.5000, 2.5000]\n"
    "C-E2:\tNeutral;\t()\n"
    "C-E3:\tNeutral;\t()\n"
    "C-E4:\tNeutral;\t()\n"
    "C-F1:\tNeutral;\t(curious)\n"
    "A-E3:\tval 3; act 2; dom  2;\t()\n"
    "A-E4:\tval 2; act 3; dom  3;\t(mildly aggravated but staying polite, attitude)\n"
    "A-F1:\tval 3; act 2; dom  1;\t()\n\n")
F001_SUMMARY = "[10.0100 - 11.3925]\tSes01F_impro01_F001\tneu\t[2.5000, 2.5000, 2.5000]\n"
MULTI_CATEGORY = "C-F1:\tNeutral; Anger;\t()\n"
# Ses01F_impro05.txt
F019_SUMMARY = "[140.2250 - 145.6000]\tSes01F_impro05_F019\tang\t[1.5000, 4.0000, 4.5000]\n"
F019_CATEGORY = "C-E1:\tAnger;\t()\n"
F019_DIMENSIONS = "A-E4:\tval 1; act 4; dom  5;\t(threatening, belligerent)\n"
