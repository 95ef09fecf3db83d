"""The SYNTHETIC demo corpus behind ``seqd demo``: designed affect rendered with Praat's eSpeak NG.

``synthesise_demo(out_dir)`` writes audio, the designed labels (``truth.csv``) and their provenance;
``corpora/demo.yaml`` is its corpus card and ``corpora/demo/design.yaml`` its design.
"""

from .design import DemoDesign, PlannedUtterance, load_design
from .prosody import Prosody, prosody_for
from .synth import TRUTH_COLUMNS, DemoCorpus, synthesise_demo

__all__ = ["DemoCorpus", "DemoDesign", "PlannedUtterance", "Prosody", "TRUTH_COLUMNS", "load_design",
           "prosody_for", "synthesise_demo"]
