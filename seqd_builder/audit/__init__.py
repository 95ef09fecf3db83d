"""The data audit: leakage, duplicates, signal quality, labels (``seqd audit``, every build's card).

- :mod:`.leakage`: speaker and text overlap between the roles of each protocol fold;
- :mod:`.duplicates`: exact (content hash) and near-duplicate audio (fingerprint + envelope NCC);
- :mod:`.signal`: clipping, DC offset, silence, speech ratio, SNR estimate, loudness (LUFS);
- :mod:`.labels`: label distribution and imbalance per split, rater agreement;
- :mod:`.run` reads a dataset folder once; :mod:`.report` writes JSON, plots and the terminal text;
- :mod:`.thresholds`: when a measurement becomes a warning (documented defaults).
"""

from .report import AUDIT_FILES, AUDIT_JSON, audit_build, load_audit, summary_text, write_audit
from .run import audit_folder
from .thresholds import Thresholds

__all__ = ["AUDIT_FILES", "AUDIT_JSON", "Thresholds", "audit_build", "audit_folder", "load_audit",
           "summary_text", "write_audit"]
