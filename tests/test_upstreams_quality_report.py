"""benchmark/quality/report.py: the RESULTS.md table, including the same-fold table for partial runs."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

REPORT = Path(__file__).resolve().parents[1] / "benchmark" / "quality" / "report.py"


def _render():
    spec = importlib.util.spec_from_file_location("quality_report", REPORT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.render


def _result(model: str, upstream: str, fold_ua: dict[str, float]) -> dict:
    mean = sum(fold_ua.values()) / len(fold_ua)
    return {"task": "emodb", "model": model, "upstream": {"name": upstream, "frozen": True},
            "protocol": {"name": "loso", "n_folds": len(fold_ua), "averaging": "mean"},
            "metrics": {"ua": {"mean": mean, "ci95": [mean - 0.05, mean + 0.05]}, "wa": {"mean": mean}},
            "folds": [{"fold": k, "n_test": 50, "metrics": {"ua": v}, "epochs": 6} for k, v in fold_ua.items()]}


def test_table_and_same_fold_comparison(tmp_path):
    full = _result("peer:compare-linsvm", "opensmile:ComParE_2016", {"03": 0.8, "08": 0.6, "09": 0.7})
    partial = _result("speecheq", "ct2-whisper:base", {"03": 0.9})
    paths = []
    for name, res in (("a.json", full), ("b.json", partial)):
        (tmp_path / name).write_text(json.dumps(res))
        paths.append(tmp_path / name)
    text = _render()(paths)
    assert "## emodb: loso, 3 folds" in text
    assert "| openSMILE | peer:compare-linsvm | **70.0 [65.0, 75.0]** | 70.0 | – | 80 60 70 | 6–6 | `a.json` |" in text
    assert "| Whisper-base | speecheq (1 of 3 folds) | **90.0 [85.0, 95.0]** |" in text
    # the partial run is compared with the peer on the one fold both finished, not on the peer's mean
    assert "on the 1 folds every run finished (03)" in text
    assert "| openSMILE | peer:compare-linsvm | 80.0 |" in text and "| Whisper-base | speecheq | 90.0 |" in text


def test_paired_rows_against_the_family_peer_and_without_heads(tmp_path):
    """Runs with a run folder get paired comparisons: each model against its family's peer, and the
    run with auxiliary heads against the same run without them."""
    import pandas as pd
    from sklearn.metrics import balanced_accuracy_score

    truth = ["angry", "sad", "happy", "neutral", "fear"] * 4
    preds = {"peer": truth[:10] + ["sad"] * 10,                # 50% + the sad ones right
             "speecheq_stats": truth[:15] + ["sad"] * 5,
             "speecheq_stats_noaux": truth[:12] + ["sad"] * 8}
    paths = []
    for tag, pred in preds.items():
        model = "peer:whisper-pooled-lr" if tag == "peer" else tag
        name = "emodb__peer-whisper-pooled-lr.json" if tag == "peer" else f"emodb__{tag}__ct2-whisper-base.json"
        res = _result(model, "ct2-whisper:base", {"03": 0.5})
        path = tmp_path / name
        path.write_text(json.dumps(res))
        d = path.with_suffix("") / "folds" / "03"
        d.mkdir(parents=True)
        pd.DataFrame({"id": [f"u{i}" for i in range(20)], "fold": "03", "truth": truth, "pred": pred}).to_csv(
            d / "predictions.csv", index=False)
        paths.append(path)
    text = _render()(paths)
    assert "Paired comparisons (`seqd bench compare`)" in text
    paired = text.split("Paired comparisons")[1].splitlines()
    rows = [line for line in paired if line.startswith("| Whisper-base |")]
    ua = {k: 100 * balanced_accuracy_score(truth, p) for k, p in preds.items()}
    assert ua["speecheq_stats"] > ua["speecheq_stats_noaux"] > ua["peer"]
    assert rows[0].startswith(f"| Whisper-base | speecheq_stats | peer:whisper-pooled-lr | "
                              f"{ua['speecheq_stats']:.1f} | {ua['peer']:.1f} | "
                              f"{ua['speecheq_stats'] - ua['peer']:+.1f} [")
    assert rows[1].startswith("| Whisper-base | speecheq_stats_noaux | peer:whisper-pooled-lr |")
    # the heads only ever fix errors here: no resample puts the run without them ahead (the interval
    # starts at 0), and the resamples that miss all 3 fixed utterances (0.85^20 = 3.9%) are ties
    assert rows[2].startswith("| Whisper-base | speecheq_stats | speecheq_stats_noaux | 80.0 | 65.0 | +15.0 [+0.0, ")
    assert len(rows) == 3
