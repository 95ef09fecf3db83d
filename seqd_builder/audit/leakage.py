"""Speaker and text leakage between the roles (train / validation / test) of each protocol fold.

Acted corpora repeat a handful of sentences in every speaker and emotion (RAVDESS 2, EmoDB 10,
CREMA-D 12), and IEMOCAP's scripted sentences recur across sessions, so a speaker-independent fold can
still test sentences its model heard in training: the model may learn the words, and a phone head can
memorise them. The audit measures, per fold:

- speaker overlap: known speakers present in two roles (should be none for a speaker-independent
  protocol, which :meth:`Protocol.folds` already enforces; official splits are checked here too);
- text overlap: the share of test utterances with a transcript whose normalised text
  (:func:`~seqd_builder.corpora.protocols.normalise_text`) occurs in training (and, separately, in
  validation). Utterances without a transcript are counted apart, never guessed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..corpora.protocols import UNKNOWN_SPEAKERS, Fold, Protocol, normalise_text
from ..errors import SeqdError

ROLES = ("train", "validation", "test")


def fold_overlap(fold: Fold, speakers: Sequence[str], texts: Sequence[str | None]) -> dict[str, Any]:
    """Speaker and text overlap of one fold (row indices into ``speakers``/``texts``)."""
    spk = np.asarray(speakers, dtype=object)
    keys = np.asarray([normalise_text(t) for t in texts], dtype=object)
    sets = {r: set(spk[getattr(fold, r)]) - UNKNOWN_SPEAKERS for r in ROLES}
    shared = {f"{a}-{b}": sorted(sets[a] & sets[b])
              for a, b in (("train", "validation"), ("train", "test"), ("validation", "test"))}
    test_keys = keys[fold.test]
    known = test_keys[test_keys != ""]
    out: dict[str, Any] = {"fold": fold.name, "sizes": fold.sizes(),
                           "speaker_overlap": {k: len(v) for k, v in shared.items()},
                           "shared_speakers": {k: v[:10] for k, v in shared.items() if v},
                           "test_with_text": int(len(known))}
    train_keys = set(keys[fold.train]) - {""}
    for role in ("train", "validation"):
        seen = train_keys if role == "train" else set(keys[fold.validation]) - {""}
        hits = int(sum(k in seen for k in known))
        out[f"text_overlap_{role}"] = round(hits / len(known), 4) if len(known) else None
        out[f"_hits_{role}"] = hits
    # validation against training: what model selection sees (not part of the reported figure)
    val_keys = keys[fold.validation]
    val_known = val_keys[val_keys != ""]
    out["validation_text_in_train"] = (round(float(np.mean([k in train_keys for k in val_known])), 4)
                                       if len(val_known) else None)
    return out


def text_overlap_share(folds: Sequence[Fold], texts: Sequence[str | None]) -> float | None:
    """Share of test utterances (pooled over folds, with a transcript) whose text occurs in their
    fold's training set; None when no test utterance has a transcript. What ``results.json`` records."""
    hits = n = 0
    for fold in folds:
        o = fold_overlap(fold, ["?"] * len(texts), texts)
        hits += o["_hits_train"]
        n += o["test_with_text"]
    return round(hits / n, 4) if n else None


def protocol_leakage(protocol: Protocol, speakers: Sequence[str], splits: Sequence[str],
                     texts: Sequence[str | None], ids: Sequence[str]) -> dict[str, Any]:
    """Per-fold overlap of one protocol over these rows, pooled shares, or why it does not apply."""
    entry: dict[str, Any] = {"protocol": protocol.name, "kind": protocol.kind,
                             "speaker_independent": protocol.speaker_independent,
                             "text_disjoint": bool(protocol.text_groups)}
    try:
        # speaker_independent is checked below, as a finding, rather than raised
        folds = Protocol.folds(_lenient(protocol), speakers, splits, texts, ids)
    except SeqdError as exc:
        entry["applicable"] = False
        entry["reason"] = str(exc)
        return entry
    per_fold = [fold_overlap(f, speakers, texts) for f in folds]
    n = sum(f["test_with_text"] for f in per_fold)
    entry.update({
        "applicable": True, "n_folds": len(folds),
        "text_overlap_train": round(sum(f["_hits_train"] for f in per_fold) / n, 4) if n else None,
        "text_overlap_validation": round(sum(f["_hits_validation"] for f in per_fold) / n, 4) if n else None,
        "text_overlap_train_range": _range([f["text_overlap_train"] for f in per_fold]),
        "test_with_text": n, "test_rows": sum(f["sizes"]["test"] for f in per_fold),
        "folds_sharing_speakers": [f["fold"] for f in per_fold if any(f["speaker_overlap"].values())],
        "folds": [{k: v for k, v in f.items() if not k.startswith("_")} for f in per_fold],
    })
    return entry


def _range(values: list[float | None]) -> list[float] | None:
    known = [v for v in values if v is not None]
    return [min(known), max(known)] if known else None


def _lenient(protocol: Protocol) -> Protocol:
    return dataclasses.replace(protocol, speaker_independent=False)


def split_leakage(speakers: Sequence[str], splits: Sequence[str], texts: Sequence[str | None]
                  ) -> dict[str, Any] | None:
    """Overlap between the official splits of the ``split`` column (None with one split only)."""
    names = sorted(set(splits))
    if len(names) < 2:
        return None
    arr = np.asarray(splits, dtype=object)
    test = [n for n in names if n not in ("train", "validation", "dev", "development")] or names[-1:]
    fold = Fold("official", np.flatnonzero(arr == "train"),
                np.flatnonzero(np.isin(arr, ["validation", "dev", "development"])),
                np.flatnonzero(np.isin(arr, test)), tuple(test))
    out = fold_overlap(fold, speakers, texts)
    return {k: v for k, v in out.items() if not k.startswith("_")}
