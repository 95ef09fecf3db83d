"""Lhotse and audformat interop on the real EmoDB and RAVDESS audio: export, load back with each
library's own API, audio identical; audformat import and the build -> export -> import round trip."""

import io
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from datasets import Audio, load_dataset

from seqd_builder import testing
from seqd_builder.pipeline import build
from seqd_builder.cli import main

lhotse = pytest.importorskip("lhotse", reason="the interop extra: pip install -e '.[interop]'")
audformat = pytest.importorskip("audformat", reason="the interop extra: pip install -e '.[interop]'")

from seqd_builder.interop.audformat_export import export_audformat  # noqa: E402
from seqd_builder.interop.lhotse_export import export_lhotse  # noqa: E402

# audformat 1.4 still calls DataFrame.set_index(inplace=True), which pandas 3.1 deprecates
pytestmark = pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.set_index")
EXAMPLES = Path(__file__).resolve().parents[1] / "annotations" / "examples"
EMODB_COUNTS = {"angry": 127, "boredom": 81, "disgust": 46, "fear": 69, "happy": 71, "neutral": 79, "sad": 62}


@pytest.fixture(scope="module")
def built(shared_data, tmp_path_factory):
    """The complete EmoDB and RAVDESS actors 1-6 (90 files, both intensities)."""
    base = tmp_path_factory.mktemp("interop")
    roots = {"emodb": testing.make_emodb_tree(base / "emodb"),
             "ravdess": testing.make_ravdess_tree(base / "ravdess", actors=range(1, 7))}
    build(["emodb", "ravdess"], base / "hf", roots=roots, phones="none", progress=False)
    return base / "hf"


def _rows(folder, config):
    ds = load_dataset(str(folder), config, split="train").cast_column("audio", Audio(decode=False))
    return {r["id"]: r for r in ds}


def _samples(wav_bytes):
    return sf.read(io.BytesIO(wav_bytes), dtype="float32")[0]


# --- Lhotse -----------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def lhotse_out(built, tmp_path_factory):
    out = tmp_path_factory.mktemp("lhotse")
    result = export_lhotse(built, out, shar=True, shard_size=200)
    assert result.cuts == 535 + 90
    return out


def test_lhotse_manifests_load_back_with_labels(lhotse_out):
    cuts = lhotse.CutSet.from_file(lhotse_out / "emodb_cuts_train.jsonl.gz").to_eager()
    recordings = lhotse.load_manifest(lhotse_out / "emodb_recordings_train.jsonl.gz")
    supervisions = lhotse.load_manifest(lhotse_out / "emodb_supervisions_train.jsonl.gz")
    assert len(cuts) == len(recordings) == len(supervisions) == 535
    assert Counter(s.custom["category"] for s in supervisions) == EMODB_COUNTS
    assert Counter(s.gender for s in supervisions) == {"female": 302, "male": 233}
    cut = cuts["emodb/03a01Fa"]
    sup = cut.supervisions[0]
    assert cut.duration == pytest.approx(1.89825) and cut.sampling_rate == 16000
    assert (sup.speaker, sup.language, sup.text) == ("emodb/03", "de", "Der Lappen liegt auf dem Eisschrank.")
    assert sup.custom["category_native"] == "F" and sup.custom["agreement"] == pytest.approx(0.90)
    assert sup.custom["split"] == "train" and sup.custom["age"] == 31
    assert sup.custom["folds"] == {"loso": "03", "loso_text_disjoint": "03", "speaker_folds": "fold1"}  # the card's protocols
    assert sup.alignment["phone"][0].symbol == sup.custom["phones"][0]  # lablaut, SAMPA as built

    ravdess = lhotse.load_manifest(lhotse_out / "ravdess_supervisions_train.jsonl.gz")
    assert {s.custom["intensity"] for s in ravdess} == {0.5, 1.0}
    assert Counter(s.custom["intensity_level"] for s in ravdess) == {1: 48, 2: 42}  # 6 of 24 actors
    assert {s.custom["folds"]["speaker_folds"] for s in ravdess} == {"fold1", "fold2"}


def test_lhotse_audio_is_identical(built, lhotse_out):
    rows = _rows(built, "emodb")
    cuts = lhotse.CutSet.from_file(lhotse_out / "emodb_cuts_train.jsonl.gz").to_eager()
    for cut in cuts.subset(first=40):
        ours = _samples(rows[cut.id]["audio"]["bytes"])
        np.testing.assert_array_equal(cut.load_audio()[0], ours)
    # the files on disk are the embedded bytes, byte for byte
    recording = lhotse.load_manifest(lhotse_out / "emodb_recordings_train.jsonl.gz")["emodb/03a01Fa"]
    assert Path(recording.sources[0].source).read_bytes() == rows["emodb/03a01Fa"]["audio"]["bytes"]


def test_lhotse_shar_loads_back_identical(built, lhotse_out):
    rows = _rows(built, "ravdess")
    shar = lhotse.CutSet.from_shar(in_dir=lhotse_out / "shar" / "ravdess" / "train")
    seen = 0
    for cut in shar:
        np.testing.assert_array_equal(cut.load_audio()[0], _samples(rows[cut.id]["audio"]["bytes"]))
        assert cut.supervisions[0].custom["category"] is not None
        seen += 1
    assert seen == 90


# --- audformat --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def audformat_out(built, tmp_path_factory):
    out = tmp_path_factory.mktemp("audformat")
    result = export_audformat(built, out)
    assert sorted(result.databases) == ["emodb", "ravdess"] and result.files == 535 + 90
    return out


def _validate(db):
    """audformat's own checks: indices; every column's values against its scheme (``Column.set``
    validates labels and ranges: each column is set again into a fresh table, since a table read
    from parquet is read-only under pandas 3); every media file readable, with its duration."""
    for table_id, table in list(db.tables.items()):
        audformat.assert_index(table.index)
        audformat.assert_no_duplicates(table.index)
        check = audformat.Table(table.index, split_id=table.split_id, media_id=table.media_id)
        db[f"check.{table_id}"] = check
        for column_id, column in table.columns.items():
            check[column_id] = audformat.Column(scheme_id=column.scheme_id, rater_id=column.rater_id)
            check[column_id].set(column.get().to_numpy(copy=True))
        db.drop_tables(f"check.{table_id}")
    return db.files_duration(db.files)


def test_audformat_database_loads_and_validates(built, audformat_out):
    db = audformat.Database.load(str(audformat_out / "emodb"), load_data=True)
    durations = _validate(db)
    assert len(db.files) == 535 and db.license == "CC0-1.0" and db.languages == ["deu"]
    assert Counter(db["emotion.train"]["emotion"].get()) == EMODB_COUNTS
    assert db.schemes["emotion"].labels[0] == "neutral" and db.splits["train"].type == "train"
    assert db.media["microphone"].sampling_rate == 16000
    assert durations["audio/03a01Fa.wav"].total_seconds() == pytest.approx(1.89825)
    files = db["files.train"].get()
    assert files.loc["audio/03a01Fa.wav", "speaker"] == "03"
    assert files.loc["audio/03a01Fa.wav", "fold.speaker_folds"] == "fold1"
    assert "phones.train" in db.tables and db["phones.train"].is_segmented

    ravdess = audformat.Database.load(str(audformat_out / "ravdess"), load_data=True)
    _validate(ravdess)
    assert ravdess.schemes["intensity.level"].maximum == 2
    assert set(ravdess["emotion.train"]["intensity"].get()) == {0.5, 1.0}


def _same_rows(a: dict, b: dict) -> None:
    assert a.keys() == b.keys()
    for key, row in a.items():
        other = dict(b[key])
        # audformat's segmented index holds times in whole nanoseconds: a time under ~0.03 s, where
        # float32 steps are finer than 2 ns, may come back one float32 step away
        mine, theirs = row.pop("phone_alignment") if "phone_alignment" in row else None, None
        theirs = other.pop("phone_alignment")
        assert row == {k: other[k] for k in row}, key
        assert (mine is None) == (theirs is None), key
        for s, t in zip(mine or [], theirs or []):
            assert s["phone"] == t["phone"]
            assert s["start"] == pytest.approx(t["start"], abs=5e-9)
            assert s["end"] == pytest.approx(t["end"], abs=5e-9)


def test_round_trip_build_export_import_same_rows(built, audformat_out, tmp_path):
    for config in ("emodb", "ravdess"):
        code = main(["build", "audformat", "--root", str(audformat_out / config),
                     "--out", str(tmp_path / "again"), "-q"])
        assert code == 0
    for config in ("emodb", "ravdess"):
        original = {k: dict(v) for k, v in _rows(built, config).items()}
        _same_rows(original, _rows(tmp_path / "again", config))


@pytest.fixture(scope="module")
def seqd_folder(shared_data, tmp_path_factory):
    """The SEQD example corpus on real EmoDB audio: three raters plus self-ratings, ordinal intensity,
    A/V/D on 1-5."""
    base = tmp_path_factory.mktemp("seqd")
    wavs = sorted((shared_data / "audio" / "emodb" / "wav").glob("*.wav"))
    for i, utt in enumerate(["spk01_0001", "spk01_0002", "spk02_0001", "spk02_0002", "spk03_0001",
                             "spk03_0002", "spk04_0001", "spk04_0002"]):
        testing.link_or_copy(wavs[i], base / "audio" / f"{utt}.wav")
    build(["seqd"], base / "hf", root=base / "audio", progress=False,
          options={"seqd": {"annotations": [str(EXAMPLES / "sheet.csv")],
                            "project": str(EXAMPLES / "project.yaml")}})
    return base / "hf"


def test_round_trip_keeps_raters_votes_and_scales(seqd_folder, tmp_path):
    (db_root,) = export_audformat(seqd_folder, tmp_path / "af").databases.values()
    db = audformat.Database.load(str(db_root), load_data=True)
    _validate(db)
    assert {"R01", "R02", "R03", "S01"} <= set(db.raters)
    assert db["votes.emotion.train"]["R01"].rater_id == "R01"
    assert "votes.position.train" not in db.tables  # the votes are in the raters' order
    assert db.meta["exclude_self_votes"] is True  # the project leaves self-ratings out of the consensus
    build(["audformat"], tmp_path / "again", root=db_root, progress=False)
    original = _rows(seqd_folder, "seqd")
    assert any(r["votes"] for r in original.values())
    _same_rows({k: dict(v) for k, v in original.items()}, _rows(tmp_path / "again", "seqd"))


def test_several_votes_of_one_rater_keep_their_order(seqd_folder, tmp_path, monkeypatch):
    """IEMOCAP's multi-category lines give one rater several votes on one utterance (weight 1/n),
    and a corpus' vote order need not be the raters' order: both survive export and import."""
    from seqd_builder.interop.source import SourceConfig

    def vote(rater, category, native, weight, intensity=None):
        return {"rater": rater, "category": category, "category_native": native, "intensity": intensity,
                "arousal": None, "valence": None, "dominance": None, "self_rating": False,
                "weight": weight}

    votes = [vote("R02", "angry", "ang", 0.5, 1 / 3), vote("R02", "sad", "sad", 0.5, 1 / 3),
             vote("R01", "happy", "hap", 1.0)]
    original = SourceConfig.rows

    def rows(self, split):
        for row in original(self, split):
            if row["id"] == "seqd/spk01_0001":
                row["votes"] = votes
            yield row

    monkeypatch.setattr(SourceConfig, "rows", rows)
    (db_root,) = export_audformat(seqd_folder, tmp_path / "af").databases.values()
    db = audformat.Database.load(str(db_root), load_data=True)
    assert db["votes.emotion.train"]["R02#2"].rater_id == "R02" and "votes.position.train" in db.tables
    build(["audformat"], tmp_path / "again", root=db_root, progress=False)
    back = _rows(tmp_path / "again", "seqd")["seqd/spk01_0001"]["votes"]
    assert [(v["rater"], v["category"], v["weight"]) for v in back] == [
        ("R02", "angry", 0.5), ("R02", "sad", 0.5), ("R01", "happy", 1.0)]
    assert back[0]["intensity"] == pytest.approx(1 / 3) and back[2]["intensity"] is None


def test_foreign_labels_map_through_the_card_and_unknown_ones_are_rejected(shared_data, tmp_path):
    """A database written with audformat's conventions (native labels such as 'anger'), not ours."""
    wavs = sorted((shared_data / "audio" / "emodb" / "wav").glob("*.wav"))[:3]
    root = tmp_path / "db"
    files = []
    for wav in wavs:
        testing.link_or_copy(wav, root / "wav" / wav.name)
        files.append(f"wav/{wav.name}")
    db = audformat.Database("my-corpus", languages=["deu"], license="CC0-1.0")
    db.schemes["emotion"] = audformat.Scheme(labels=["anger", "happiness", "elation"])
    db.schemes["speaker"] = audformat.Scheme(labels={"03": {"gender": "male", "age": 31}})
    db.splits["test"] = audformat.Split("test")
    db.raters["gold"] = audformat.Rater()
    db["emotion"] = audformat.Table(audformat.filewise_index(files), split_id="test")
    db["emotion"]["emotion"] = audformat.Column(scheme_id="emotion", rater_id="gold")
    db["emotion"]["emotion"].set(["anger", "happiness", "elation"])
    db["emotion"]["speaker"] = audformat.Column(scheme_id="speaker")
    db["emotion"]["speaker"].set(["03", "03", "03"])
    db.save(str(root))
    report = build(["audformat"], tmp_path / "hf", root=root, progress=False)
    (config,) = report.configs
    assert config.config == "my-corpus" and config.written == 2 and config.rejected == {"unknown_label": 1}
    ds = load_dataset(str(tmp_path / "hf"), "my-corpus", split="test")
    names = ds.features["category"]
    assert sorted(names.int2str(c) for c in ds["category"]) == ["angry", "happy"]
    assert set(ds["language"]) == {"de"} and set(ds["age"]) == {31} and set(ds["split"]) == {"test"}
    assert ds.features["gender"].int2str(ds[0]["gender"]) == "male"
    assert ds[0]["id"] == f"my-corpus/{wavs[0].stem}"  # the media folder (wav/) is not part of the id


# --- CLI ----------------------------------------------------------------------------------------------

def test_cli_export_and_usage_errors(built, tmp_path, capsys, monkeypatch):
    assert main(["export", "lhotse", str(built), str(tmp_path / "lh"), "-c", "ravdess"]) == 0
    assert (tmp_path / "lh" / "ravdess_cuts_train.jsonl.gz").is_file()
    assert not (tmp_path / "lh" / "emodb_cuts_train.jsonl.gz").exists()
    assert main(["export", "audformat", str(built), str(tmp_path / "af"), "-c", "nosuch"]) == 2
    assert "unknown config 'nosuch'; valid: emodb, ravdess" in capsys.readouterr().err
    assert main(["export", "lhotse", str(tmp_path), str(tmp_path / "x")]) == 2
    assert "no manifest.json" in capsys.readouterr().err
    assert main(["build", "audformat", "--root", str(tmp_path), "--out", str(tmp_path / "y")]) == 2
    assert "does not look like the 'audformat' corpus" in capsys.readouterr().err
    monkeypatch.setitem(sys.modules, "lhotse", None)  # the optional extra not installed
    assert main(["export", "lhotse", str(built), str(tmp_path / "z")]) == 2
    assert "hint: pip install 'seqd-builder[interop]'" in capsys.readouterr().err
