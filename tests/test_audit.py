"""The data audit on real audio: planted problems in copies of the shared RAVDESS and EmoDB trees.

Planted (each under a new, valid id): an exact duplicate, a copy resampled to 8 kHz, a gain-changed
copy, a trimmed copy, a copy of an EmoDB file in the RAVDESS tree (across corpora), a clipped file, a
mostly silent file and a very short file. The audit must name every one, with its file name, and flag
no pair of two clean files of the real corpora as duplicates.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf
import soxr

from seqd_builder.audit import Thresholds, audit_folder, load_audit
from seqd_builder.audit.duplicates import best_lag_ncc
from seqd_builder.audit.leakage import text_overlap_share
from seqd_builder.pipeline import build
from seqd_builder.corpora import load_card
from seqd_builder.corpora.protocols import Protocol, normalise_text
from seqd_builder.errors import ConfigError, ProtocolError
from seqd_builder.testing import make_emodb_tree, make_ravdess_tree

RAV = "Audio_Speech_Actors_01-24"


def _read(path):
    y, sr = sf.read(path, dtype="float32")
    return y, sr


# planted id -> (kind the audit must report, the clean file it was made from or None)
PLANTED = {
    "ravdess/03-01-05-01-01-02-01": ("exact_duplicate", "ravdess/03-01-05-01-01-01-01"),
    "ravdess/03-01-05-02-01-02-02": ("near_duplicate", "ravdess/03-01-05-02-01-01-02"),   # resampled
    "ravdess/03-01-06-01-01-02-03": ("near_duplicate", "ravdess/03-01-06-01-01-01-03"),   # gain
    "ravdess/03-01-06-02-01-02-04": ("near_duplicate", "ravdess/03-01-06-02-01-01-04"),   # trimmed
    "ravdess/03-01-07-01-01-02-05": ("exact_duplicate", "emodb/03a01Fa"),                 # cross-corpus
    "emodb/08a01Wx": ("clipping", None),
    "emodb/09a05Lx": ("mostly_silent", None),
    "emodb/10b01Ax": ("duration_outlier", None),                                          # very short
}


@pytest.fixture(scope="module")
def planted(tmp_path_factory, shared_data):
    base = tmp_path_factory.mktemp("audit")
    rav = make_ravdess_tree(base / "ravdess")
    emo = make_emodb_tree(base / "emodb")
    r = lambda actor, stem: rav / RAV / f"Actor_{actor:02d}" / f"{stem}.wav"  # noqa: E731
    src = shared_data / "audio"
    y, sr = _read(src / "ravdess" / RAV / "Actor_01" / "03-01-05-01-01-01-01.wav")
    sf.write(r(1, "03-01-05-01-01-02-01"), y, sr, subtype="PCM_16")
    y, sr = _read(src / "ravdess" / RAV / "Actor_02" / "03-01-05-02-01-01-02.wav")
    sf.write(r(2, "03-01-05-02-01-02-02"), soxr.resample(y, sr, 8000), 8000, subtype="PCM_16")
    y, sr = _read(src / "ravdess" / RAV / "Actor_03" / "03-01-06-01-01-01-03.wav")
    sf.write(r(3, "03-01-06-01-01-02-03"), 0.3 * y, sr, subtype="PCM_16")
    y, sr = _read(src / "ravdess" / RAV / "Actor_04" / "03-01-06-02-01-01-04.wav")
    sf.write(r(4, "03-01-06-02-01-02-04"), y[int(0.4 * sr): -int(0.3 * sr)], sr, subtype="PCM_16")
    y, sr = _read(src / "emodb" / "wav" / "03a01Fa.wav")
    sf.write(r(5, "03-01-07-01-01-02-05"), y, sr, subtype="PCM_16")
    y, sr = _read(src / "emodb" / "wav" / "08a01Wa.wav")
    sf.write(emo / "wav" / "08a01Wx.wav", np.clip(12 * y, -1, 1), sr, subtype="PCM_16")
    y, sr = _read(src / "emodb" / "wav" / "09a05Lc.wav")
    quiet = np.random.default_rng(0).normal(0, 1e-4, 8 * sr).astype(np.float32)
    quiet[sr: sr + int(0.8 * sr)] += y[int(0.3 * sr): int(1.1 * sr)]  # 0.8 s of speech in 8 s
    sf.write(emo / "wav" / "09a05Lx.wav", quiet, sr, subtype="PCM_16")
    y, sr = _read(src / "emodb" / "wav" / "10b01Aa.wav")
    sf.write(emo / "wav" / "10b01Ax.wav", y[int(0.5 * sr): int(0.8 * sr)], sr, subtype="PCM_16")
    out = base / "hf"
    report = build(["ravdess", "emodb"], out, roots={"ravdess": rav, "emodb": emo}, phones="none",
                   progress=False)
    return out, report


def _by_id(summary):
    found: dict[str, list[dict]] = {}
    for w in summary["warnings"]:
        if w["id"]:
            found.setdefault(w["id"], []).append(w)
    return found


def test_the_build_audits_and_keeps_its_accounting(planted):
    out, report = planted
    accounting = {c.config: (c.found, c.written, sum(c.rejected.values())) for c in report.configs}
    assert accounting == {"ravdess": (365, 365, 0), "emodb": (538, 538, 0)}  # nothing dropped
    summary = load_audit(out)
    assert summary is not None and report.audit == summary
    assert summary["configs"]["emodb"]["files"] == 538
    card = (out / "README.md").read_text(encoding="utf-8")
    block = card[card.index("<!-- seqd-audit: begin"): card.index("<!-- seqd-audit: end -->")]
    assert "## Data audit" in block
    for config in ("emodb", "ravdess"):
        for kind in ("durations", "classes", "loudness"):
            rel = f"audit/{config}-{kind}.png"
            assert f"]({rel})" in block and (out / rel).read_bytes()[:4] == b"\x89PNG"
    assert "| `loso` | 10 | 100.0% |" in block
    assert "| `loso_text_disjoint` (text-disjoint) | 20 | 0.0% |" in block
    assert "not applicable" in block and "statement_disjoint" in block
    lines = (out / "reports" / "audit_files.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 365 + 538


def test_every_planted_problem_is_named_with_its_file(planted):
    out, _ = planted
    summary = load_audit(out)
    found = _by_id(summary)
    for utt, (kind, source) in PLANTED.items():
        kinds = {w["kind"] for w in found.get(utt, [])}
        assert kind in kinds, (utt, kinds)
        w = next(w for w in found[utt] if w["kind"] == kind)
        assert w["file"] == utt.split("/")[1] + ".wav"
        if source is not None:
            assert source in w["detail"], w
    short = next(w for w in found["emodb/10b01Ax"] if w["kind"] == "duration_outlier")
    assert "under the minimum" in short["detail"]


def test_no_clean_file_of_the_real_corpora_is_a_duplicate(planted):
    out, _ = planted
    d = load_audit(out)["duplicates"]
    planted_ids = set(PLANTED)
    for group in d["exact"] + d["near_groups"]:
        clean = [g for g in group if g not in planted_ids]
        assert len(clean) <= 1, f"clean files flagged as duplicates of each other: {group}"
        assert set(group) & planted_ids
    assert d["checked_pairs"] > 3000  # candidate pairs of the real files were verified, not skipped


def test_signal_measures_on_real_corpora(planted):
    out, _ = planted
    cfg = load_audit(out)["configs"]
    # published fact: 03a01Fa lasts 1.89825 s
    rows = [json.loads(x) for x in (out / "reports" / "audit_files.jsonl").read_text().splitlines()]
    row = next(r for r in rows if r["id"] == "emodb/03a01Fa")
    assert row["duration"] == pytest.approx(1.89825, abs=1e-4)
    assert -30 < row["lufs"] < -10 and row["clipped_share"] < Thresholds().clipped_share
    assert cfg["emodb"]["labels"]["train"]["counts"]["angry"] == 127 + 1
    assert cfg["emodb"]["agreement"]["items_with_agreement"] == 535
    clipped = next(r for r in rows if r["id"] == "emodb/08a01Wx")
    assert clipped["clipped_share"] > 0.01


def test_audit_of_a_task_and_its_text_overlap(planted):
    out, _ = planted
    s = audit_folder(out, task="emodb_text_disjoint")["summary"]
    assert list(s["configs"]) == ["emodb"]
    [p] = s["configs"]["emodb"]["leakage"]["protocols"]
    assert p["protocol"] == "loso_text_disjoint" and p["n_folds"] == 20
    assert p["text_overlap_train"] == 0.0 and p["folds_sharing_speakers"] == []
    assert p["test_rows"] == 538  # every utterance is tested once
    with pytest.raises(ConfigError, match="iemocap"):
        audit_folder(out, task="iemocap4")


def test_text_disjoint_protocols_on_synthetic_rows():
    # RAVDESS-like: 24 actors x 2 statements; the statement protocol crosses 6 folds with 2 texts
    card = load_card("ravdess")
    protocol = Protocol.from_card(card, "statement_disjoint")
    speakers = [f"ravdess/{a:02d}" for a in range(1, 25) for _ in range(4)]
    texts = ["Kids are talking by the door.", "Dogs are sitting by the door."] * 48
    folds = protocol.folds(speakers, None, texts, [f"x{i}" for i in range(96)])
    assert len(folds) == 12 and text_overlap_share(folds, texts) == 0.0
    for f in folds:
        test_texts = {normalise_text(texts[i]) for i in f.test}
        assert len(test_texts) == 1
        assert not test_texts & {normalise_text(texts[i]) for i in np.concatenate([f.train, f.validation])}
    standard = Protocol.from_card(card, "speaker_folds").folds(speakers)
    assert text_overlap_share(standard, texts) == 1.0
    # the shared subset has statement 01 only: the protocol says so instead of running
    with pytest.raises(ProtocolError, match="needs at least 2 distinct transcripts"):
        protocol.folds(speakers, None, ["Kids are talking by the door."] * 96, None)


def test_improvised_only_iemocap_protocol():
    protocol = Protocol.from_card(load_card("iemocap"), "loso_session_improvised")
    ids = [f"iemocap/Ses0{s}{g}_{kind}01_{g}00{i}" for s in range(1, 6) for g in "FM"
           for kind in ("impro", "script") for i in range(3)]
    speakers = [f"iemocap/Ses0{i.split('Ses0')[1][0]}{i.split('_')[0][-1]}" for i in ids]
    folds = protocol.folds(speakers, None, None, ids)
    assert len(folds) == 5
    for f in folds:
        assert all("_impro" in ids[i] for i in f.test) and len(f.test) == 6
        assert any("_script" in ids[i] for i in f.train)


def test_envelope_ncc_finds_the_offset_of_a_trim():
    rng = np.random.default_rng(1)
    a = rng.normal(size=300).cumsum()
    r, lag = best_lag_ncc(a[40:250], a, 150)
    assert r == pytest.approx(1.0) and lag == 40


def test_thresholds_are_checked():
    with pytest.raises(ConfigError, match="speech_ratio"):
        Thresholds(speech_ratio=2)
    with pytest.raises(ConfigError, match="unknown audit thresholds"):
        Thresholds.from_mapping({"snr": 3})


def test_the_leaderboard_shows_text_overlap_and_flags_per(tmp_path, monkeypatch):
    from seqd_builder.leaderboard import render_site, submit
    from seqd_builder.leaderboard.testing import make_result, task_assets

    monkeypatch.setenv("SEQD_ASSETS", str(task_assets(tmp_path / "assets")))
    data = make_result("emodb", seed=3)
    data["protocol"]["text_overlap"] = 1.0
    for f in data["folds"]:
        f["metrics"]["per"] = 0.4
    data["metrics"]["per"] = {"mean": 0.4, "std": 0.0}
    src = tmp_path / "r.json"
    src.write_text(json.dumps(data), encoding="utf-8")
    subs = tmp_path / "subs"
    submit(src, subs)
    old = make_result("emodb", seed=4, model="baseline")  # filed before text overlap was recorded
    (tmp_path / "old.json").write_text(json.dumps(old), encoding="utf-8")
    submit(tmp_path / "old.json", subs)
    render_site(subs, tmp_path / "site")
    page = (tmp_path / "site" / "emodb.html").read_text(encoding="utf-8")
    assert "100.0% of test utterances have their transcript in training" in page
    assert "a PER here is partly a memorised sentence" in page
    assert 'class="badge flag"' in page and "not recorded" in page
    md = next((tmp_path / "site").rglob("emodb.md")).read_text(encoding="utf-8")
    assert "(text overlap)" in md and "Text overlap: 100.0% of test utterances" in md


def test_task_data_folds_use_transcripts(planted):
    from seqd_builder.benchmark.data import load_task_data
    from seqd_builder.benchmark.tasks import load_task

    out, _ = planted
    data = load_task_data(load_task("emodb_text_disjoint"), out)
    _, folds = data.folds()
    assert len(folds) == 20 and text_overlap_share(folds, data.texts) == 0.0
    standard = load_task_data(load_task("emodb"), out)
    _, folds = standard.folds()
    assert text_overlap_share(folds, standard.texts) == 1.0
    with pytest.raises(ProtocolError, match="needs at least 2 distinct transcripts") as exc:
        load_task_data(load_task("ravdess_statement_disjoint"), out).folds()
    assert "statement 01 only" in exc.value.hint


def test_seqd_audit_command(planted, tmp_path, capsys):
    from seqd_builder.audit import audit_build
    from seqd_builder.cli import main

    out, _ = planted
    before = (out / "reports" / "audit.json").stat().st_mtime_ns
    audit_build(out)  # nothing changed since the build: the last audit stands
    assert (out / "reports" / "audit.json").stat().st_mtime_ns == before
    report = tmp_path / "a.json"
    assert main(["audit", str(out), "--task", "emodb_text_disjoint", "--json", str(report)]) == 0
    text = capsys.readouterr().out
    assert "protocol loso_text_disjoint (20 folds): text overlap test→train 0.0%" in text
    assert "clipping: emodb emodb/08a01Wx (08a01Wx.wav)" in text
    assert json.loads(report.read_text())["summary"]["task"] == "emodb_text_disjoint"
    assert main(["audit", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "holds no built corpus" in err and "Traceback" not in err
    assert main(["audit", str(out), "--threshold", "snr=3"]) == 2
    assert "unknown audit thresholds ['snr']" in capsys.readouterr().err
