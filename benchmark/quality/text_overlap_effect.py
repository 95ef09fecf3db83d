"""How much of an EmoDB score is the sentence? Text-disjoint against text-matched training, paired.

The standard EmoDB protocol (leave one speaker out) tests sentences every training speaker also
read (text overlap 100%, see docs/audit.md). The text-disjoint protocol (``loso_text_disjoint``)
trains on the other half of the texts, so it also trains on fewer utterances. To separate the two,
each of its 20 test folds is scored twice with the same peer:

* ``disjoint``: the protocol's own fold: other speakers, the *other* half of the texts (0% overlap);
* ``matched``: the same test rows, training on the other speakers' utterances of the *same* half of
  the texts (100% overlap), so both trainings have about the same size (validation likewise).

The difference matched − disjoint, on the same test utterances, is what hearing the test sentences
in training is worth to the peer; the standard 10-fold LOSO score (full training set) is reported
beside them. Peers (from ``run_quality.py``, C chosen by UA on the validation speaker, refit on
train + validation): eGeMAPS v02 functionals + RBF SVM, and the log-mel mean+std + logistic
regression. The paired 95% interval comes from resampling the pooled test utterances.

    .venv/bin/python benchmark/quality/text_overlap_effect.py [--data FOLDER]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import run_quality as Q  # noqa: E402

from seqd_builder.benchmark import metrics as M  # noqa: E402
from seqd_builder.benchmark.data import load_task_data  # noqa: E402
from seqd_builder.benchmark.tasks import load_task  # noqa: E402
from seqd_builder.corpora.protocols import normalise_text  # noqa: E402

PEERS = ("egemaps-rbfsvm", "fbank-pooled-lr")


def fit_predict(kind, grid, X, y, fold, n_classes):
    scores = {}
    for c in grid:
        clf = Q.make_classifier(kind, c).fit(X[fold.train], y[fold.train])
        scores[c] = M.classification_metrics(y[fold.validation], clf.predict(X[fold.validation]),
                                             n_classes)["ua"]
    best = max(grid, key=lambda c: (scores[c], -grid.index(c)))
    rows = np.concatenate([fold.train, fold.validation])
    return Q.make_classifier(kind, best).fit(X[rows], y[rows]).predict(X[fold.test]), len(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, help="a built EmoDB folder (default: built here)")
    ap.add_argument("--out", type=Path, default=HERE / "studies" / "text_overlap_effect.json")
    args = ap.parse_args()
    tmp = None
    if args.data is None:
        from seqd_builder.pipeline import build
        from seqd_builder.testing import shared_data_dir

        tmp = tempfile.TemporaryDirectory(prefix="seqd-text-overlap-")
        args.data = Path(tmp.name) / "emodb"
        build(["emodb"], args.data, root=shared_data_dir() / "audio" / "emodb", phones="none",
              progress=False, audit=False)
    standard = load_task_data(load_task("emodb"), args.data)
    disjoint = load_task_data(load_task("emodb_text_disjoint"), args.data)
    assert standard.ids == disjoint.ids
    _, std_folds = standard.folds()
    _, dis_folds = disjoint.folds()
    # the protocol's base folds (one speaker each), from which each text half keeps its rows
    base = {f.name: f for f in std_folds}
    texts = disjoint.texts
    y, n_classes = disjoint.category, len(disjoint.task.classes)
    out = {"corpus": "emodb", "n": len(y), "peers": {}}
    for peer in PEERS:
        _, kind, grid = Q.PEERS[peer]
        X = np.nan_to_num(Q.peer_features(peer, disjoint).astype(np.float64))
        res = {"standard_loso": {}, "disjoint": {}, "matched": {}}
        truth, preds, sizes = [], {"disjoint": [], "matched": []}, {"disjoint": [], "matched": []}
        fold_ua = {"disjoint": [], "matched": []}
        for fold in dis_folds:
            speaker = fold.name.split("/")[0]
            keys = {normalise_text(texts[i]) for i in fold.test}
            b = base[speaker]
            def same_texts(idx, keys=keys):  # the base fold's rows whose text is a test text
                return np.array([i for i in idx if normalise_text(texts[i]) in keys], dtype=int)

            twin = dataclasses.replace(fold, train=same_texts(b.train), validation=same_texts(b.validation))
            truth.append(y[fold.test])
            for name, f in (("disjoint", fold), ("matched", twin)):
                pred, n_fit = fit_predict(kind, grid, X, y, f, n_classes)
                preds[name].append(pred)
                sizes[name].append(n_fit)
                fold_ua[name].append(M.classification_metrics(y[f.test], pred, n_classes)["ua"])
        t = np.concatenate(truth)
        p = {k: np.concatenate(v) for k, v in preds.items()}
        std_pred = np.empty_like(y)
        for f in std_folds:
            std_pred[f.test], _ = fit_predict(kind, grid, X, y, f, n_classes)
        rng = np.random.default_rng(0)
        diffs = []
        for _ in range(1000):
            idx = rng.integers(0, len(t), len(t))
            diffs.append(M.fast_classification_metrics(t[idx], p["matched"][idx], n_classes)["ua"]
                         - M.fast_classification_metrics(t[idx], p["disjoint"][idx], n_classes)["ua"])
        for name in ("disjoint", "matched"):
            res[name] = {"ua_fold_mean": round(float(np.mean(fold_ua[name])), 4),
                         "ua_pooled": round(M.classification_metrics(t, p[name], n_classes)["ua"], 4),
                         "fit_rows_mean": round(float(np.mean(sizes[name])), 1)}
        res["standard_loso"] = {"ua_fold_mean": round(float(np.mean(
            [M.classification_metrics(y[f.test], std_pred[f.test], n_classes)["ua"] for f in std_folds])), 4),
            "ua_pooled": round(M.classification_metrics(y, std_pred, n_classes)["ua"], 4)}
        lo, hi = np.percentile(diffs, [2.5, 97.5])
        res["matched_minus_disjoint_pooled_ua"] = {
            "mean": round(res["matched"]["ua_pooled"] - res["disjoint"]["ua_pooled"], 4),
            "ci95": [round(float(lo), 4), round(float(hi), 4)]}
        out["peers"][peer] = res
        print(peer, json.dumps(res))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    if tmp is not None:
        tmp.cleanup()


if __name__ == "__main__":
    main()
