"""CREMA-D adapter on the real CSVs of the official repository (meta/crema_d/).

The tree has the repository's layout: ``AudioWAV/`` with one file per clip of SentenceFilenames.csv
(hard links to one real 16 kHz wav; ``1076_MTI_SAD_XX`` a real-format WAV without samples, as the
README describes it), the CSVs copied at run time.
"""

from __future__ import annotations

import csv
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from seqd_builder.corpora import get_adapter, load_card
from seqd_builder.corpora.common import balanced_speaker_folds
from seqd_builder.corpora.protocols import Protocol
from seqd_builder.errors import CorpusLayoutError, UnknownLabelError
from seqd_builder.schema import RawItem, Rejection

CSVS = ("SentenceFilenames.csv", "VideoDemographics.csv", "processedResults/summaryTable.csv",
        "processedResults/tabulatedVotes.csv")
SILENT = "1076_MTI_SAD_XX"


def clips(shared: Path) -> list[str]:
    with (shared / "meta/crema_d/SentenceFilenames.csv").open(newline="") as fh:
        return [row["Filename"] for row in csv.DictReader(fh)]


def make_tree(shared: Path, root: Path, names, *, csvs=CSVS) -> Path:
    audio = root / "AudioWAV"
    audio.mkdir(parents=True)
    wav = root / "one.wav"
    shutil.copy(next((shared / "audio/emodb/wav").glob("*.wav")), wav)
    for name in names:
        if name == SILENT:
            sf.write(audio / f"{name}.wav", np.zeros(0, dtype="int16"), 16000, subtype="PCM_16")
        else:
            (audio / f"{name}.wav").hardlink_to(wav)
    for rel in csvs:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(shared / "meta/crema_d" / rel, root / rel)
    return root


@pytest.fixture(scope="module")
def full(shared_data, tmp_path_factory):
    root = make_tree(shared_data, tmp_path_factory.mktemp("crema") / "CREMA-D", clips(shared_data))
    adapter = get_adapter("crema_d", root)
    adapter.check_layout()
    items = list(adapter.items())
    return adapter, items, [adapter.card.normalise(i) for i in items]


def test_7442_clips_from_the_real_csvs(full):
    adapter, items, rows = full
    assert len(items) == 7442 and all(isinstance(i, RawItem) for i in items)
    assert items[0].native_id == "1001_IEO_NEU_XX" and items[0].source_file == "SentenceFilenames.csv"
    assert items[0].source_line == 2 and items[0].text == "It's eleven o'clock"
    assert Counter(r.category_native for r in rows) == {"ANG": 1271, "DIS": 1271, "FEA": 1271,
                                                        "HAP": 1271, "SAD": 1271, "NEU": 1087}
    assert Counter(r.category for r in rows)["neutral"] == 1087
    actors = {r.speaker: r.gender for r in rows}
    assert len(actors) == 91 and Counter(actors.values()) == {"male": 48, "female": 43}
    ages = {r.speaker: r.age for r in rows}
    assert min(ages.values()) == 20 and max(ages.values()) == 74 and ages["crema_d/1001"] == 51
    assert len({r.text for r in rows}) == 12


def test_intended_level_only_for_ieo(full):
    _, items, rows = full
    levels = Counter((i.native_id.split("_")[1], i.intensity) for i in items)
    assert {k: v for k, v in levels.items() if k[1] is not None} == {
        ("IEO", "LO"): 455, ("IEO", "MD"): 455, ("IEO", "HI"): 455}
    assert Counter(r.intensity_level for r in rows) == {None: 7442 - 1365, 1: 455, 2: 455, 3: 455}
    hi = next(r for r in rows if r.id == "crema_d/1001_IEO_HAP_HI")
    assert (hi.intensity, hi.intensity_level) == (1.0, 3)


def test_missing_design_cells_detected_and_reported(full):
    adapter, _, _ = full
    missing = adapter.missing_cells()
    assert len(adapter.design()) == 7462 and len(missing) == 20
    assert missing == sorted(load_card("crema_d").expected["missing_cells"])
    assert {m[:8] for m in missing} == {"1002_TIE", "1076_ITS", "1008_WSI", "1009_MTI", "1019_ITH"}
    assert len(adapter.warnings("missing_cell")) == 20
    assert all(w.endswith("(known: never distributed)") for w in adapter.warnings("missing_cell"))
    assert adapter.count_warnings() == []
    assert adapter.warnings("malformed_line") == adapter.warnings("missing_metadata") == []


def test_perceived_labels_and_votes(full):
    _, items, rows = full
    perceived = Counter(i.category_perceived for i in items)
    ties = sum(v for k, v in perceived.items() if ":" in k)
    assert {k: v for k, v in perceived.items() if ":" not in k} == {
        "N": 3897, "A": 986, "F": 645, "D": 547, "S": 370, "H": 353}
    assert ties == 644 and perceived["N:S"] == 114 and perceived["F:N"] == 93
    tied = [r for r in rows if ":" in r.category_perceived_native]
    assert len(tied) == 644 and {r.category_perceived for r in tied} == {None}
    by_id = {r.id: r for r in rows}
    lo = by_id["crema_d/1001_IEO_HAP_LO"]      # intended happy, heard as neutral: both kept
    assert (lo.category, lo.category_perceived, lo.category_perceived_native) == ("happy", "neutral", "N")
    hi = by_id["crema_d/1001_IEO_HAP_HI"]      # tabulatedVotes: A 2, H 6, N 2
    assert {(v.category_native, v.weight) for v in hi.votes} == {("A", 2), ("H", 6), ("N", 2)}
    assert hi.agreement == pytest.approx(0.6)
    # perceived levels (mean 1-100 slider of the raters who chose each emotion: A 82.5, H 63.5,
    # N 15) mapped to [0, 1] through the card's vote_intensity scale
    assert {v.category_native: v.intensity for v in hi.votes} == pytest.approx(
        {"A": (82.5 - 1) / 99, "H": (63.5 - 1) / 99, "N": (15 - 1) / 99})
    assert dict(hi.category_distribution)["happy"] == pytest.approx(0.6)
    assert sum(v.weight for r in rows for v in r.votes) == 68_568


def test_silent_clip_is_yielded_with_its_audio(full):
    _, items, _ = full
    item = next(i for i in items if i.native_id == SILENT)
    assert item.audio_path.is_file() and sf.info(item.audio_path).frames == 0
    assert item.source_line == 6175 and item.category_perceived == "N"


def test_speaker_folds_follow_the_documented_rule(full, shared_data):
    adapter, _, rows = full
    with (shared_data / "meta/crema_d/VideoDemographics.csv").open(newline="") as fh:
        genders = {r["ActorID"]: r["Sex"].lower() for r in csv.DictReader(fh)}
    protocol = Protocol.from_card(adapter.card, "speaker_folds")
    assert [list(f) for f in protocol.folds_spec.values()] == balanced_speaker_folds(genders, 5, seed=0)
    folds = protocol.folds([r.speaker for r in rows])      # raises if a speaker were in two roles
    assert sum(len(f.test) for f in folds) == 7442
    for fold in folds:
        sexes = Counter(genders[s] for s in protocol.folds_spec[fold.name])
        assert sexes["female"] in (8, 9) and sexes["male"] in (9, 10)


def test_audio_only_copy_reads_file_names(shared_data, tmp_path):
    names = [c for c in clips(shared_data) if c.startswith("1002_")]
    root = make_tree(shared_data, tmp_path / "kaggle", names, csvs=())
    adapter = get_adapter("crema_d", root)
    items = list(adapter.items())
    assert len(items) == len(names) == 81
    rows = [adapter.card.normalise(i) for i in items]
    assert {r.gender for r in rows} == {"female"} and {r.age for r in rows} == {None}
    assert {r.category_perceived for r in rows} == {None} and {r.votes for r in rows} == {()}
    assert len(adapter.warnings("missing_file")) == 4
    assert len(adapter.missing_cells()) == 7462 - 81        # a partial copy: reported
    assert adapter.count_warnings()[0].startswith(f"{7462 - 81 - 20} design cells missing beyond")


def test_bad_input_is_accounted_for(shared_data, tmp_path):
    names = [c for c in clips(shared_data) if c.startswith("1001_")]
    root = make_tree(shared_data, tmp_path / "crema", names)
    listing = root / "SentenceFilenames.csv"
    lines = [line for line in listing.read_text().splitlines() if '"1001_' in line or "Filename" in line]
    lines[3] = '3,""'                                   # malformed: line 4
    lines += ['7443,"1001_XYZ_ANG_XX"', '7444,"1001_DFA_BOR_XX"', '7445,"1001-DFA-ANG-XX"',
              '7446,"1092_DFA_ANG_XX"']
    n = len(lines)                                      # the appended rows are lines n-3 .. n
    listing.write_text("\n".join(lines) + "\n")
    votes = root / "processedResults/tabulatedVotes.csv"
    text = votes.read_text().splitlines()
    text[1] = text[1].replace(",11,0.909", ",12,0.909")   # counts no longer add up: line 2
    votes.write_text("\n".join(text) + "\n")
    (root / "AudioWAV/1001_DFA_ANG_XX.wav").unlink()     # listed, audio missing
    adapter = get_adapter("crema_d", root)
    items = list(adapter.items())
    rejected = {(r.line, r.reason) for r in items if isinstance(r, Rejection)}
    assert rejected == {(4, "malformed_line"), (n - 3, "unknown_label"), (n - 1, "malformed_line")}
    raws = {i.native_id: i for i in items if isinstance(i, RawItem)}
    # the malformed row's wav is still read, from its file name, and reported
    assert len(items) == len(names) + 4 + 1 and len(raws) == len(names) + 2
    assert adapter.warnings("unlisted_file") == [
        "AudioWAV/1001_IEO_HAP_MD.wav is not in SentenceFilenames.csv; read from its file name"]
    with pytest.raises(UnknownLabelError, match="unknown category 'BOR'"):
        adapter.card.normalise(raws["1001_DFA_BOR_XX"])
    missing = raws["1001_DFA_ANG_XX"]
    assert not missing.audio_path.exists()
    assert lines[missing.source_line - 1].endswith('"1001_DFA_ANG_XX"')
    assert any("tabulatedVotes.csv:2" in w and "do not add up" in w
               for w in adapter.warnings("malformed_line"))
    assert raws["1001_IEO_NEU_XX"].votes == ()
    # an actor outside the card's 91: kept (gender unknown), reported as outside the design
    assert raws["1092_DFA_ANG_XX"].speaker == "1092"
    assert any("clips outside the design" in w for w in adapter.count_warnings())


def test_lfs_pointer_clone_is_a_layout_error(tmp_path):
    (tmp_path / "AudioWAV").mkdir()
    (tmp_path / "AudioWAV/1001_DFA_ANG_XX.wav").write_text(
        "version https://git-lfs.github.com/spec/v1\noid sha256:0\nsize 72862\n")
    with pytest.raises(CorpusLayoutError, match="Git LFS pointer") as info:
        get_adapter("crema_d", tmp_path).check_layout()
    assert "git lfs pull" in info.value.hint


def test_build_end_to_end(shared_data, tmp_path):
    """22 clips (all of 1001's IEO sentence and 1076's MTI sentence): the silent 1076_MTI_SAD_XX is
    rejected by the pipeline's audio check as empty_audio, the rest are written."""
    import json

    import datasets

    from seqd_builder.pipeline import build

    names = [c for c in clips(shared_data) if c.startswith(("1001_IEO", "1076_MTI"))]
    root = make_tree(shared_data, tmp_path / "CREMA-D", names)
    listing = root / "SentenceFilenames.csv"
    lines = listing.read_text().splitlines()
    listing.write_text("\n".join([lines[0], *(line for line in lines[1:]
                                               if line.split(",")[1].strip('"') in names)]) + "\n")
    report = build(["crema_d"], tmp_path / "out", root=root, phones="none", progress=False)
    (config,) = report.configs
    assert len(names) == 22
    assert (config.found, config.written, dict(config.rejected)) == (22, 21, {"empty_audio": 1})
    rejected = [json.loads(line) for line in (tmp_path / "out/rejected.jsonl").open()]
    assert [(r["id"], r["reason"]) for r in rejected] == [("crema_d/1076_MTI_SAD_XX", "empty_audio")]
    ds = datasets.load_dataset(str(tmp_path / "out"), "crema_d")["train"].remove_columns("audio")
    assert ds.num_rows == 21
    row = next(r for r in ds if r["id"] == "crema_d/1001_IEO_HAP_HI")
    cats = ds.features["category"].names
    assert cats[row["category"]] == "happy" and row["intensity_level"] == 3
    assert row["category_perceived_native"] == "H" and row["age"] == 51
    assert {(v["category_native"], v["weight"]) for v in row["votes"]} == {("A", 2), ("H", 6), ("N", 2)}
