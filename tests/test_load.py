"""The fast consumer path (seqd_builder.load) and the card's YAML header, on real EmoDB/RAVDESS rows."""

import io
import json
import math

import numpy as np
import pytest
import soundfile as sf
from datasets import Audio, load_dataset
from datasets.info import DatasetInfosDict

from seqd_builder import load, testing
from seqd_builder.pipeline import build
from seqd_builder.errors import ConfigError
from seqd_builder.publish.card import card_data
from seqd_builder.schema import FEATURES


@pytest.fixture(scope="module")
def folder(shared_data, tmp_path_factory):
    base = tmp_path_factory.mktemp("load")
    stems = sorted(p.stem for p in (shared_data / "audio" / "emodb" / "wav").glob("*.wav"))[:40]
    roots = {"emodb": testing.make_emodb_tree(base / "emodb", stems=stems),
             "ravdess": testing.make_ravdess_tree(base / "ravdess", actors=[1, 2])}
    build(["emodb", "ravdess"], base / "hf", roots=roots, phones="none", progress=False)
    return base / "hf"


def test_arrays_are_the_embedded_bytes_decoded_and_match_the_datasets_default(folder):
    decoded = load_dataset(str(folder), "all", split="train")
    raw = decoded.cast_column("audio", Audio(decode=False))
    rows = list(load.iter_arrays(load.load(folder, "all"), ["id", "duration"], batch_size=7))
    assert len(rows) == decoded.num_rows == 70
    for i in (0, 13, 69):
        reference, rate = sf.read(io.BytesIO(raw[i]["audio"]["bytes"]), dtype="float32")
        assert rate == 16000 and rows[i]["id"] == raw[i]["id"]
        np.testing.assert_array_equal(rows[i]["audio"], reference)
        assert len(rows[i]["audio"]) == round(rows[i]["duration"] * 16000)
        # the same samples as `datasets`' own decoding (torchcodec), which is only slower
        theirs = decoded[i]["audio"].get_all_samples().data.numpy()[0]
        np.testing.assert_allclose(rows[i]["audio"], theirs, atol=1e-6)


def test_decode_downmixes_and_resamples_foreign_audio(shared_data, tmp_path):
    wav = tmp_path / "03a01Fa.wav"
    testing.link_or_copy(shared_data / "audio" / "emodb" / "wav" / "03a01Fa.wav", wav)
    testing.make_stereo_48k(wav)
    wave = load.decode({"bytes": wav.read_bytes(), "path": None})
    assert wave.ndim == 1 and wave.dtype == np.float32
    assert len(wave) == pytest.approx(30372, abs=2)  # 1.89825 s at 16 kHz
    assert load.decode({"bytes": None, "path": str(wav)}).shape == wave.shape
    with pytest.raises(ConfigError, match="neither bytes nor path"):
        load.decode({"bytes": None, "path": None})


def test_dataloader_pads_batches_with_lengths_and_workers(folder):
    ds = load.load(folder, "all")
    order = list(ds["id"])
    durations = list(ds["duration"])
    loader = load.dataloader(ds, ["id", "category", "arousal", "intensity_level"], batch_size=8,
                             num_workers=2)
    seen = []
    for batch in loader:
        assert batch.audio.shape == (len(batch.lengths), int(batch.lengths.max()))
        for j, n in enumerate(batch.lengths.tolist()):
            assert n == round(durations[len(seen) + j] * 16000)
            assert not batch.audio[j, n:].any()  # padding is silence
        assert batch.labels["category"].dtype.is_floating_point is False
        assert all(math.isnan(v) for v in batch.labels["arousal"].tolist())  # no A/V/D in either corpus
        seen += batch.ids
    assert seen == order  # workers keep the order
    levels = [v for b in load.dataloader(ds, ["intensity_level"], batch_size=70)
              for v in b.labels["intensity_level"].tolist()]
    assert sorted(set(levels)) == [-100, 1, 2]  # EmoDB has no intensity: the ignore index


def test_unknown_columns_name_the_valid_ones(folder):
    with pytest.raises(ConfigError, match="unknown columns emotion; valid: .*category"):
        load.load(folder, "emodb", columns=["emotion"])
    with pytest.raises(ConfigError, match="unknown columns emotion"):
        load.TorchDataset(load.load(folder, "emodb"), ["emotion"])


def test_card_header_declares_the_features_through_public_classes(folder):
    manifest = json.loads((folder / "manifest.json").read_text())
    infos = DatasetInfosDict.from_dataset_card_data(card_data(manifest))
    assert sorted(infos) == ["all", "emodb", "ravdess"]
    assert all(info.features == FEATURES for info in infos.values())
    assert infos["emodb"].splits["train"].num_examples == 40
    single = {**manifest, "configs": {"emodb": manifest["configs"]["emodb"]}}
    data = card_data(single)
    assert data.configs == [{"config_name": "emodb", "default": True,
                             "data_files": [{"split": "train", "path": "data/emodb/train-*.parquet"}]}]
    assert DatasetInfosDict.from_dataset_card_data(data)["emodb"].features == FEATURES
    assert data.license == ["cc0-1.0"] and data.language == ["de"]
