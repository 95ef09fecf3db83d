"""Fold lists published by another project (EmoBox), read at run time, never copied here.

EmoBox (emo-box/EmoBox, ``data/<corpus>/fold_K/<corpus>_{train,valid,test}_fold_K.jsonl``) fixes its
folds as lists of utterance keys. Where a speaker rule reproduces them, the corpus card declares them
as ``speaker_folds`` instead; where none does (EmoBox's EmoDB folds mix speakers), the ``listed_folds``
protocol kind reads the lists from ``$SEQD_EMOBOX_DATA`` (EmoBox's ``data/`` folder) or from the shared
corpus material (``$SEQD_SHARED_DATA/meta/<corpus>/emobox/folds``).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Sequence

import numpy as np

from ..errors import ProtocolError


def folds_dir(corpus: str) -> Path:
    """The folder of ``fold_K`` subfolders holding ``corpus``'s EmoBox lists."""
    candidates = []
    if os.environ.get("SEQD_EMOBOX_DATA"):
        candidates.append(Path(os.environ["SEQD_EMOBOX_DATA"]).expanduser() / corpus)
    from ..testing import shared_data_dir

    candidates.append(shared_data_dir() / "meta" / corpus / "emobox" / "folds")
    for c in candidates:
        if c.is_dir() and any(c.glob("fold_*")):
            return c
    raise ProtocolError(f"EmoBox's fold lists for {corpus} are not found (looked in "
                        f"{', '.join(map(str, candidates))})",
                        hint="set SEQD_EMOBOX_DATA to the data/ folder of a checkout of emo-box/EmoBox")


def _keys(path: Path) -> list[str]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                out.append(str(json.loads(line)["key"]))
            except (ValueError, KeyError, TypeError) as exc:
                raise ProtocolError(f"not an EmoBox list line ({exc})", file=path, line=n) from None
    return out


def listed_folds(corpus: str, ids: Sequence[str]):
    """Folds over rows with ``ids`` from the EmoBox lists; keys absent from the data are skipped."""
    from .protocols import Fold

    root = folds_dir(corpus)
    row = {uid: i for i, uid in enumerate(ids)}

    def rows(keys: list[str]) -> np.ndarray:
        found = [row.get(f"{corpus}/{k.split('-', 1)[1]}" if k.startswith(f"{corpus}-") else k) for k in keys]
        return np.array(sorted(i for i in found if i is not None), dtype=int)

    folds = []
    for fdir in sorted(root.glob("fold_*"), key=lambda p: int(re.sub(r"\D", "", p.name) or 0)):
        k = re.sub(r"\D", "", fdir.name)
        test_file = fdir / f"{corpus}_test_fold_{k}.jsonl"
        if not test_file.is_file():
            raise ProtocolError(f"{fdir} holds no {test_file.name}")
        test = rows(_keys(test_file))
        train_file = fdir / f"{corpus}_train_fold_{k}.jsonl"
        train = (rows(_keys(train_file)) if train_file.is_file()
                 else np.setdiff1d(np.arange(len(ids)), test))
        folds.append(Fold(f"fold{k}", train, np.array([], int), test, (f"fold{k}",)))
    return folds
