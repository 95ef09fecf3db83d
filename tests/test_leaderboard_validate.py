"""Submission validation and filing: schema, meaning, hostile input, safe names, every reason at once.

Results files are built in the tests from simulated predictions (seqd_builder.leaderboard.testing):
realistic and internally consistent, and never presented as benchmark results.
"""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path

import pytest

from seqd_builder.benchmark.tasks import load_task, task_dir
from seqd_builder.errors import SubmissionError
from seqd_builder.leaderboard import check_result, derive_name, load_result, load_submissions, submit
from seqd_builder.leaderboard.submission import check_name
from seqd_builder.leaderboard.testing import make_result, task_assets
from seqd_builder.leaderboard.validate import MAX_BYTES, MAX_DEPTH, parse_json, read_json


@pytest.fixture(autouse=True)
def fixed_tasks(tmp_path_factory, monkeypatch):
    root = task_assets(tmp_path_factory.mktemp("assets"))
    monkeypatch.setenv("SEQD_ASSETS", str(root))


@pytest.fixture(scope="module")
def emodb_result():
    # Built once per module, from the checkout's task file (the same one task_assets copies).
    return make_result(load_task(task_dir() / "emodb.yaml"), model="speecheq",
                       upstream="openai/whisper-base", skill=0.8, seed=1, n_test=53,
                       parameters=20_590_080, bootstrap=50)


@pytest.fixture
def result(emodb_result):
    return copy.deepcopy(emodb_result)


def write(path: Path, data) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def reasons_of(data) -> list[str]:
    return check_result(data)


# ------------------------------------------------------------------------------------------ valid input

def test_realistic_results_of_every_kind_validate(result):
    assert reasons_of(result) == []
    assert reasons_of(make_result("ravdess", seed=3, bootstrap=0)) == []
    vad = make_result("toy_vad", model="emosphere-ser", seed=2, bootstrap=20)
    assert reasons_of(vad) == []
    assert set(vad["metrics"]) == {"ccc_mean", "ccc_arousal", "ccc_valence", "ccc_dominance"}


def test_load_result_reads_a_file(tmp_path, result):
    assert load_result(write(tmp_path / "results.json", result)) == result


# ------------------------------------------------------------------------------- every reason at once

def test_every_problem_is_reported_at_once(tmp_path, result):
    result["surprise_field"] = 1
    result["folds"][0]["n_test"] = "fifty"
    result["metrics"]["ua"]["mean"] = 1.3
    del result["seeds"]
    result["folds"][1]["fold"] = result["folds"][0]["fold"]
    result["primary_metric"] = "wa"
    with pytest.raises(SubmissionError) as info:
        load_result(write(tmp_path / "r.json", result))
    reasons = "\n".join(info.value.reasons)
    assert "'surprise_field' was unexpected" in reasons
    assert "at /folds/0/n_test: 'fifty' is not of type 'integer'" in reasons
    assert "at /metrics/ua/mean: 1.3 lies outside the range of ua, [0, 1]" in reasons
    assert "'seeds' is a required property" in reasons
    assert "fold names repeat: ['fold1']" in reasons
    assert "primary_metric is 'wa' but task 'emodb' ranks by 'ua'" in reasons
    assert len(info.value.reasons) >= 6
    # The message counts the problems and lists each on its own line.
    assert f"({len(info.value.reasons)} problems)" in str(info.value)
    assert str(info.value).count("\n  - ") == len(info.value.reasons)


def test_unknown_task_names_the_valid_ones(result):
    result["task"] = "iemocap9"
    assert reasons_of(result) == ["unknown task 'iemocap9'; valid: emodb, ravdess, toy_vad"]


def test_fold_count_must_match_the_task(result):
    result["folds"] = result["folds"][:9]
    result["protocol"]["n_folds"] = 9
    reasons = reasons_of(result)
    assert "protocol.n_folds is 9 but task 'emodb' has 10 folds" in reasons
    assert "folds holds 9 folds but task 'emodb' (loso) has 10" in reasons


def test_protocol_and_task_metrics_must_be_the_tasks(result):
    result["protocol"]["name"] = "speaker_folds"
    del result["metrics"]["macro_f1"]
    reasons = reasons_of(result)
    assert "protocol.name is 'speaker_folds' but task 'emodb' uses 'loso'" in reasons
    assert "metrics lacks ['macro_f1'], which task 'emodb' reports (['ua', 'wa', 'macro_f1'])" in reasons


@pytest.mark.parametrize("field, value, expected", [
    (("metrics", "ua", "mean"), -0.01, "at /metrics/ua/mean: -0.01 lies outside the range of ua, [0, 1]"),
    (("metrics", "wa", "ci95"), [0.5, 1.01], "at /metrics/wa/ci95: 1.01 lies outside the range of wa"),
    (("metrics", "wa", "ci95"), [0.9, 0.5], "at /metrics/wa/ci95: lower bound 0.9 exceeds upper bound 0.5"),
    (("folds", 3, "metrics", "macro_f1"), 2.0, "at /folds/3/metrics/macro_f1: 2.0 lies outside"),
    (("metrics", "per"), {"mean": -0.2}, "at /metrics/per/mean: -0.2 lies outside the range of per, [0, inf]"),
])
def test_metric_ranges_come_from_metrics_yaml(result, field, value, expected):
    target = result
    for key in field[:-1]:
        target = target[key]
    target[field[-1]] = value
    assert any(r.startswith(expected) for r in reasons_of(result)), reasons_of(result)


def test_ccc_range_is_minus_one_to_one():
    vad = make_result("toy_vad", seed=4, bootstrap=0)
    vad["metrics"]["ccc_valence"]["mean"] = -1.5
    vad["folds"][0]["metrics"]["ccc_arousal"] = -1.0  # the bound itself is valid
    reasons = reasons_of(vad)
    assert any(r.startswith("at /metrics/ccc_valence/mean: -1.5 lies outside the range of ccc_valence, "
                            "[-1, 1]") for r in reasons)
    assert not any("ccc_arousal" in r and "outside" in r for r in reasons)


def test_fold_average_must_be_the_mean_of_the_folds(result):
    result["metrics"]["ua"]["mean"] += 0.05
    assert any(r.startswith("at /metrics/ua/mean:") and "is not the mean of the folds' ua" in r
               for r in reasons_of(result))


def test_confusion_matrices_must_agree_with_fold_metrics(result):
    fold = result["folds"][2]
    fold["metrics"]["ua"] = min(1.0, fold["metrics"]["ua"] + 0.1)
    result["folds"][4]["confusion"][0][0] += 3
    result["folds"][5]["confusion"] = result["folds"][5]["confusion"][:-1]
    result["folds"][6]["labels"] = ["angry", "joy"] + result["folds"][6]["labels"][2:]
    reasons = "\n".join(reasons_of(result))
    assert "at /folds/2/metrics/ua:" in reasons and "disagrees with the fold's confusion matrix" in reasons
    assert f"at /folds/4/confusion: counts sum to {result['folds'][4]['n_test'] + 3}" in reasons
    assert "at /folds/5/confusion: expected 7x7" in reasons
    assert "at /folds/6/labels: ['joy'] are not classes of task 'emodb'" in reasons


@pytest.mark.parametrize("change, expected", [
    (lambda r: r.pop("code_version"), "'code_version' is a required property"),
    (lambda r: r.update(code_version="  "), "code_version is blank"),
    (lambda r: r.update(config_hash="md5:abc"), "at /config_hash: 'md5:abc' does not match"),
    (lambda r: r.update(seeds=[]), "at /seeds: [] should be non-empty"),
    (lambda r: r["upstream"].pop("name"), "at /upstream: 'name' is a required property"),
    (lambda r: r.update(config={}), "config is empty"),
    (lambda r: r.update(date="2026-11-21T18:00:00"), "has no time zone"),
    (lambda r: r.update(date="2999-01-01T00:00:00+00:00"), "lies in the future"),
    (lambda r: r.update(date="yesterday"), "is not an ISO 8601 date-time"),
])
def test_provenance_is_required(result, change, expected):
    change(result)
    assert any(expected in r for r in reasons_of(result)), reasons_of(result)


def test_synthetic_results_cannot_go_on_a_real_task(result):
    result["dataset"]["synthetic"] = True
    assert any("dataset.synthetic is true but task 'emodb' is a real-data task" in r
               for r in reasons_of(result))


# --------------------------------------------------------------------------------------- hostile input

@pytest.mark.parametrize("raw, expected", [
    (b'{"task": "emodb", ', "is not valid JSON"),
    (b"", "is not valid JSON"),
    (b'{"a": NaN}', "NaN is not a number a result may hold"),
    (b'{"a": Infinity}', "Infinity is not a number a result may hold"),
    (b'{"a": [-Infinity]}', "-Infinity is not a number a result may hold"),
    (b'{"a": 1e999}', "overflows to inf"),
    (b'{"model": "a", "model": "<script>"}', "duplicate keys ['model']"),
    (b'{"a": "\xff\xfe"}', "not UTF-8"),
    (b"[" * 100_000 + b"]" * 100_000, "is not valid JSON"),
    (b'{"a":' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1), f"nests deeper than {MAX_DEPTH}"),
    (b'{"a": ' + b"9" * 5000 + b"}", "is not valid JSON"),
])
def test_unreadable_json_is_refused(tmp_path, raw, expected):
    path = tmp_path / "results.json"
    path.write_bytes(raw)
    with pytest.raises(SubmissionError) as info:
        read_json(path)
    assert expected in str(info.value)


def test_wrong_types_everywhere_are_all_reported():
    reasons = check_result({"schema_version": "1", "task": 7, "model": ["x"], "upstream": "fbank",
                            "config": [], "config_hash": None, "code_version": 1, "seeds": "0",
                            "protocol": {}, "primary_metric": "accuracy", "metrics": {"ua": 0.7},
                            "folds": {}, "runtime_s": -1, "hardware": {}, "date": 20261121})
    text = "\n".join(reasons)
    for fragment in ("at /schema_version: 1 was expected", "at /task: 7 is not of type 'string'",
                     "at /model: ['x'] is not of type 'string'", "at /upstream: 'fbank' is not of type",
                     "at /config: [] is not of type 'object'", "at /seeds: '0' is not of type 'array'",
                     "at /primary_metric: 'accuracy' is not one of", "at /metrics/ua: 0.7 is not of type",
                     "at /folds: {} is not of type 'array'", "at /runtime_s: -1 is less than the minimum",
                     "at /hardware: 'device' is a required property"):
        assert fragment in text, fragment
    assert check_result([1, 2]) == ["at (top level): [1, 2] is not of type 'object'"]


def test_huge_files_are_refused_before_parsing(tmp_path):
    path = tmp_path / "huge.json"
    with path.open("wb") as fh:  # sparse: 64 MB on paper, nothing to parse in reality
        fh.truncate(64 * 1024 * 1024)
    start = time.perf_counter()
    with pytest.raises(SubmissionError) as info:
        load_result(path)
    assert time.perf_counter() - start < 1.0
    assert f"it holds {64 * 1024 * 1024} bytes; the limit is {MAX_BYTES} bytes" in str(info.value)
    with pytest.raises(SubmissionError, match="the limit is"):
        parse_json(b" " * (MAX_BYTES + 1))


def test_links_folders_and_missing_files_are_refused(tmp_path, result):
    real = write(tmp_path / "real.json", result)
    (tmp_path / "link.json").symlink_to(real)
    with pytest.raises(SubmissionError, match="symbolic link"):
        load_result(tmp_path / "link.json")
    with pytest.raises(SubmissionError, match="not a regular file"):
        load_result(tmp_path)
    with pytest.raises(SubmissionError, match="not a regular file"):
        load_result(tmp_path / "absent.json")


@pytest.mark.parametrize("text, what", [
    ("speech\x1b[31meq", "the control character U+001B"),
    ("speech\u202eqe", "the bidirectional control U+202E"),
    ("a\x00b", "the control character U+0000"),
])
def test_control_characters_in_strings_are_refused(result, text, what):
    result["model"] = text
    assert f"at /model: the text holds {what}" in "\n".join(reasons_of(result))


def test_lone_surrogates_and_hostile_config_keys_are_refused(tmp_path, result):
    raw = json.dumps(result).replace('"model": "speecheq"', '"model": "a\\ud800b"')
    path = tmp_path / "r.json"
    path.write_text(raw, encoding="utf-8")
    result["config"]["bad\x07key"] = 1
    assert any("the text holds the control character U+0007" in r for r in reasons_of(result))
    with pytest.raises(SubmissionError, match="lone surrogate"):
        load_result(path)


def test_notes_may_span_lines_but_names_may_not(result):
    result["notes"] = "line one\nline two\twith a tab"
    assert reasons_of(result) == []
    result["model"] = "two\nlines"
    assert "at /model: the text holds the control character U+000A" in reasons_of(result)


HOSTILE = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'


def test_markup_in_text_is_data_not_a_reason(result):
    result["model"] = HOSTILE
    result["submitter"] = HOSTILE
    result["notes"] = HOSTILE
    result["upstream"]["name"] = "../../" + HOSTILE
    assert reasons_of(result) == []


# ------------------------------------------------------------------------------------------ safe names

def test_derived_names_are_safe_for_hostile_fields(result):
    result["model"] = "../../../etc/passwd" + HOSTILE
    result["upstream"]["name"] = "C:\\Windows\\..\\" + HOSTILE
    name = derive_name(result)
    assert check_name(name) == name
    assert "/" not in name and "\\" not in name and ".." not in name
    assert name.endswith("-" + result["config_hash"][7:15])


def test_derived_names_read_well(result):
    assert derive_name(result) == f"speecheq-openai-whisper-base-{result['config_hash'][7:15]}"
    result["upstream"]["name"] = "/models/wavlm-base-plus/"
    result["model"] = "SpeechEQ (no aux)"
    assert derive_name(result).startswith("speecheq-no-aux-wavlm-base-plus-")


@pytest.mark.parametrize("name", ["../evil", "a/b", "..", ".hidden", "", "UPPER", "x" * 101, "a b",
                                  "a\\b", "evil.json/../x", "trailing-", "émotion"])
def test_given_names_that_are_paths_or_odd_are_refused(name):
    with pytest.raises(SubmissionError, match="it is a name, not a path"):
        check_name(name)


# -------------------------------------------------------------------------------------------- filing

def test_submit_files_under_task_and_derived_name(tmp_path, result):
    subs = tmp_path / "submissions"
    path = submit(write(tmp_path / "results.json", result), subs)
    assert path == subs / "emodb" / f"{derive_name(result)}.json"
    assert json.loads(path.read_text(encoding="utf-8")) == result
    # Submitting the same file again is a no-op that returns the same path.
    assert submit(tmp_path / "results.json", subs) == path
    assert [p.name for p in (subs / "emodb").iterdir()] == [path.name]


def test_submit_refuses_the_same_run_under_another_name(tmp_path, result):
    subs = tmp_path / "submissions"
    src = write(tmp_path / "results.json", result)
    first = submit(src, subs)
    with pytest.raises(SubmissionError, match="already on the leaderboard") as info:
        submit(src, subs, name="again")
    assert str(first) in str(info.value)


def test_submit_refuses_to_overwrite_a_different_result_unless_told(tmp_path, result):
    subs = tmp_path / "submissions"
    path = submit(write(tmp_path / "a.json", result), subs, name="mine")
    other = copy.deepcopy(result)
    other["seeds"] = [7]
    with pytest.raises(SubmissionError, match="exists and holds a different result") as info:
        submit(write(tmp_path / "b.json", other), subs, name="mine")
    assert "--replace" in info.value.hint
    assert submit(tmp_path / "b.json", subs, name="mine", replace=True) == path
    assert json.loads(path.read_text(encoding="utf-8"))["seeds"] == [7]


def test_submit_with_a_traversal_name_writes_nothing(tmp_path, result):
    subs = tmp_path / "deep" / "submissions"
    src = write(tmp_path / "results.json", result)
    for name in ("../../escaped", "/tmp/escaped", "emodb/../../escaped"):
        with pytest.raises(SubmissionError, match="not a path"):
            submit(src, subs, name=name)
    assert not subs.exists()
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["results.json"]


def test_submit_rejects_with_every_reason_and_files_nothing(tmp_path, result):
    result["task"] = "unknown-task"
    result["metrics"]["ua"]["mean"] = float(2)
    subs = tmp_path / "submissions"
    with pytest.raises(SubmissionError) as info:
        submit(write(tmp_path / "results.json", result), subs)
    assert len(info.value.reasons) == 2
    assert not subs.exists()


def test_loading_the_folder_reports_every_bad_file(tmp_path, result):
    subs = tmp_path / "submissions"
    submit(write(tmp_path / "ok.json", result), subs)
    misfiled = copy.deepcopy(result)
    misfiled["task"] = "ravdess"
    write(subs / "emodb" / "misfiled.json", misfiled)
    write(subs / "emodb" / "Bad Name.json", result)
    (subs / "emodb" / "broken.json").write_text("{", encoding="utf-8")
    (subs / "nosuchtask").mkdir()
    write(subs / "nosuchtask" / "x.json", result)
    (subs / "README.md").write_text("how to submit", encoding="utf-8")
    with pytest.raises(SubmissionError) as info:
        load_submissions(subs)
    text = "\n".join(info.value.reasons)
    assert "misfiled.json: it is filed under task 'emodb' but its task is 'ravdess'" in text
    assert "Bad Name.json: a name is 1-100 lower-case letters" in text
    assert "broken.json: Expecting property name" in text
    assert "nosuchtask: unknown task 'nosuchtask'" in text
    assert len(info.value.reasons) >= 4
