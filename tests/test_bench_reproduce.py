"""seqd bench reproduce: a filed run reruns bit-identically on CPU from what it records."""

import json

import pytest

from seqd_builder.benchmark.reproduce import reproduce_result
from seqd_builder.benchmark.runner import run_task
from seqd_builder.errors import SubmissionError


@pytest.fixture(scope="module")
def emodb(emodb_built):
    return emodb_built


def test_baseline_fbank_on_two_emodb_folds_reruns_bit_identically(emodb, tmp_path):
    first = tmp_path / "first.json"
    run_task("emodb", "baseline", emodb, upstream="fbank", out=first, folds=["03", "08"],
             config_overrides={"training": {"epochs": 3}}, progress=False)
    recorded = json.loads(first.read_text())
    assert recorded["dataset"]["fingerprint"].startswith("sha256:")
    assert recorded["provenance"] == {"kind": "run"}
    r = reproduce_result(first, emodb, out=tmp_path / "again.json")
    assert r.identical, r.format()
    assert set(r.diffs) >= {"fold 03/ua", "fold 08/ua", "ua", "macro_f1"}
    assert not [n for n in r.notes if "hash" in n or "data differ" in n]
    one = reproduce_result(first, emodb, out=tmp_path / "one.json", folds=["08"])
    assert one.identical and set(one.diffs) == {k for k in r.diffs if k.startswith("fold 08/")}
    with pytest.raises(SubmissionError, match="must start from nothing"):
        reproduce_result(first, emodb, out=tmp_path / "again.json")


def test_external_and_ensemble_results_are_not_rerun(tmp_path):
    ext = {"task": "emodb", "model": "x", "config": {"model": "external"}, "folds": [],
           "provenance": {"kind": "external"}}
    (tmp_path / "e.json").write_text(json.dumps(ext))
    with pytest.raises(SubmissionError, match="external predictions"):
        reproduce_result(tmp_path / "e.json", tmp_path, out=tmp_path / "o.json")
