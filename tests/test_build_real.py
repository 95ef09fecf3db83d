"""Build the real RAVDESS subset and the complete EmoDB and check the published counts through
``datasets.load_dataset`` (offline), exactly as a consumer reads them."""

from collections import Counter

import pytest
import soundfile as sf
from datasets import load_dataset

from seqd_builder.pipeline import build
from seqd_builder.schema import FEATURES


@pytest.fixture(scope="module")
def built(shared_data, tmp_path_factory):
    out = tmp_path_factory.mktemp("real") / "hf"
    report = build(["ravdess", "emodb"], out, progress=False, workers=2, phones="none",
                   roots={"ravdess": shared_data / "audio" / "ravdess",
                          "emodb": shared_data / "audio" / "emodb"})
    return out, report


def _names(ds, column):
    feature = ds.features[column]
    return Counter(feature.int2str(v) if v is not None else None for v in ds[column])


def test_ravdess_published_counts(built):
    out, report = built
    ds = load_dataset(str(out), "ravdess", split="train")
    assert ds.num_rows == 360
    cats = _names(ds, "category")
    assert cats["neutral"] == 24
    assert all(cats[c] == 48 for c in ("calm", "happy", "sad", "angry", "fear", "disgust", "surprise"))
    assert Counter(ds["intensity_level"]) == {1: 192, 2: 168}
    assert _names(ds, "gender") == {"female": 180, "male": 180}
    assert len(set(ds["speaker"])) == 24
    assert set(ds["text"]) == {"Kids are talking by the door."}  # this subset is statement 01
    # normal = 1/2, strong = 2/2 of the native 2-level scale
    assert set(ds["intensity"]) == {0.5, 1.0}
    assert report.configs[0].written == 360 and not report.configs[0].rejected


def test_emodb_published_counts(built, shared_data):
    out, _ = built
    ds = load_dataset(str(out), "emodb", split="train")
    assert ds.num_rows == 535
    assert _names(ds, "category") == {"angry": 127, "boredom": 81, "disgust": 46, "fear": 69,
                                      "happy": 71, "neutral": 79, "sad": 62}
    assert _names(ds, "gender") == {"female": 302, "male": 233}
    row = ds.filter(lambda r: r == "emodb/03a01Fa", input_columns="id")[0]
    assert row["text"] == "Der Lappen liegt auf dem Eisschrank."
    assert row["age"] == 31 and ds.features["category"].int2str(row["category"]) == "happy"
    assert row["agreement"] == pytest.approx(0.90)  # erkennung.txt: "90,00" with NBSP padding
    assert row["duration"] == pytest.approx(1.89825, abs=1e-4)
    samples = row["audio"].get_all_samples()
    assert samples.sample_rate == 16000 and samples.data.shape == (1, 30372)
    # 16 kHz mono 16-bit sources are embedded byte for byte
    original = (shared_data / "audio" / "emodb" / "wav" / "03a01Fa.wav").read_bytes()
    raw = load_dataset(str(out), "emodb", split="train").cast_column(
        "audio", FEATURES["audio"].__class__(decode=False))
    assert raw.filter(lambda r: r == "emodb/03a01Fa", input_columns="id")[0]["audio"]["bytes"] == original
    assert sf.info(shared_data / "audio" / "emodb" / "wav" / "03a01Fa.wav").frames == 30372


def test_features_are_exactly_the_unified_schema(built):
    out, _ = built
    for config in ("ravdess", "emodb", "all"):
        ds = load_dataset(str(out), config, split="train")
        assert ds.features == FEATURES
    assert load_dataset(str(out), "all", split="train").num_rows == 895


def test_manifest_accounts_for_every_item(built):
    import json

    out, _ = built
    manifest = json.loads((out / "manifest.json").read_text())
    for name, found in (("ravdess", 360), ("emodb", 535)):
        acc = manifest["configs"][name]["accounting"]
        assert acc["found"] == found == acc["written"] + sum(acc["rejected"].values())
        assert manifest["configs"][name]["inputs"] or name == "ravdess"
    checksums = (out / "checksums" / "emodb.sha256").read_text().splitlines()
    assert len(checksums) == 535 and checksums[0].endswith("wav/03a01Fa.wav")
    card = (out / "README.md").read_text()
    assert "config_name: all" in card and "CC0-1.0" in card and "burkhardt2005emodb" in card
    assert "| angry | 127 |" in card
