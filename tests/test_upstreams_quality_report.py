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
