"""Phones: G2P sequences, corpus alignment readers, forced alignment (Praat built-in, MFA).

The ``phones`` and ``phone_alignment`` columns of every corpus come from here, through the pipeline
hook :func:`seqd_builder.phones.enrich.make_enricher`. See ``docs/phones.md``.
"""

from .g2p import g2p, g2p_words, pinyin_phones
from .inventory import PhoneSet, broad_class, load_phoneset
from .praat_align import Alignment, AlignmentError, PraatAligner
from .readers import read_label_file, read_phseg, read_textgrid, read_xlabel

__all__ = ["g2p", "g2p_words", "pinyin_phones", "PhoneSet", "broad_class", "load_phoneset",
           "Alignment", "AlignmentError", "PraatAligner", "read_label_file", "read_phseg", "read_textgrid",
           "read_xlabel"]
