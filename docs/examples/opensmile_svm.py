"""A model trained outside seqd-builder, scored through ``seqd bench score``.

openSMILE's eGeMAPSv02 functionals (one 88-dimensional vector per utterance) and a scikit-learn SVM,
trained on each fold's train rows as ``seqd bench folds`` exported them, with ``C`` chosen on the
fold's validation rows by UA and the model refitted on train + validation, then asked for the test
rows. The predictions file it writes is all ``seqd bench score`` needs::

    seqd build emodb --root EmoDB --out emodb-hf
    seqd bench folds emodb --data emodb-hf --out emodb-folds
    python docs/examples/opensmile_svm.py emodb-folds emodb-hf predictions.csv
    seqd bench score emodb predictions.csv --data emodb-hf --model egemaps-svm \\
        --description "eGeMAPSv02 functionals + RBF SVM" --upstream opensmile:eGeMAPSv02 \\
        --link https://audeering.github.io/opensmile-python/ --out results/emodb-egemaps-svm.json

Nothing here imports seqd-builder: any toolkit that reads CSV can do the same.
"""

import io
import json
import sys
from pathlib import Path

import numpy as np
import opensmile
import pandas as pd
import pyarrow.parquet as pq
import soundfile as sf
from sklearn.metrics import balanced_accuracy_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVC

GRID = (0.1, 1.0, 10.0, 100.0)


def features(dataset: Path) -> pd.DataFrame:
    """eGeMAPSv02 functionals of every utterance of a built dataset folder, indexed by id."""
    smile = opensmile.Smile(feature_set=opensmile.FeatureSet.eGeMAPSv02,
                            feature_level=opensmile.FeatureLevel.Functionals)
    rows = {}
    for shard in sorted(dataset.glob("data/*/*.parquet")):
        table = pq.read_table(shard, columns=["id", "audio"]).to_pylist()
        for row in table:
            wave, sr = sf.read(io.BytesIO(row["audio"]["bytes"]), dtype="float32")
            rows[row["id"]] = smile.process_signal(wave, sr).iloc[0].to_numpy()
    return pd.DataFrame.from_dict(rows, orient="index")


def main(folds_dir: str, dataset: str, out: str) -> None:
    folds_dir, X = Path(folds_dir), features(Path(dataset))
    task = json.loads((folds_dir / "task.json").read_text())
    predictions = []
    for fold in task["folds"]:
        parts = {r: pd.read_csv(folds_dir / "folds" / fold["fold"] / f"{r}.csv", dtype=str)
                 for r in ("train", "validation", "test")}

        def model(c):
            return make_pipeline(StandardScaler(), SVC(C=c, kernel="rbf", class_weight="balanced"))

        tr, va, te = parts["train"], parts["validation"], parts["test"]
        score = {c: balanced_accuracy_score(va["label"], model(c).fit(X.loc[tr["id"]], tr["label"])
                                            .predict(X.loc[va["id"]])) for c in GRID}
        best = max(GRID, key=lambda c: (score[c], -c))
        fit = pd.concat([tr, va])
        pred = model(best).fit(X.loc[fit["id"]], fit["label"]).predict(X.loc[te["id"]])
        predictions.append(pd.DataFrame({"id": te["id"], "fold": fold["fold"], "pred": pred}))
    pd.concat(predictions).to_csv(out, index=False)
    print(f"wrote {out}: {sum(len(p) for p in predictions)} predictions over {len(predictions)} folds")


if __name__ == "__main__":
    main(*sys.argv[1:4])
