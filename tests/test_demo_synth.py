"""The SYNTHETIC demo corpus: synthesis, determinism, audio format, and prosody that follows the design.

The tiny size (44 utterances: one voice from each of the card's 4 speaker folds, one sentence each,
neutral plus 5 categories at levels 1 and 3) is synthesised once per module; the acoustic checks measure the audio itself (Praat's pitch
tracker, levels, timing), so they test the rendering, not the design file.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter

import numpy as np
import pytest
import soundfile as sf
import yaml
from scipy.stats import spearmanr

from seqd_builder.corpora.base import get_adapter
from seqd_builder.corpora.card import load_card
from seqd_builder.corpora.protocols import Protocol
from seqd_builder.demo import TRUTH_COLUMNS, DemoCorpus, load_design, prosody_for, synthesise_demo
from seqd_builder.demo.design import design_path
from seqd_builder.demo.measure import acoustic_arousal, measure_corpus
from seqd_builder.errors import BuildError, UnknownLabelError
from seqd_builder.phones.readers import read_label_file


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> DemoCorpus:
    return synthesise_demo(tmp_path_factory.mktemp("demo") / "tiny", seed=0, size="tiny", progress=False)


@pytest.fixture(scope="module")
def measured(tiny):
    return measure_corpus(tiny.root)


def test_tiny_corpus_files_and_labels(tiny):
    truth = tiny.truth()
    assert tiny.n_utterances == len(truth) == 44
    assert tuple(truth.columns) == TRUTH_COLUMNS
    assert truth["id"].is_unique
    assert set(truth["speaker"]) == {"en_female2", "zh_annie", "zh_michel", "en_travis"}
    assert dict(Counter(truth["language"])) == {"en": 22, "zh": 22}
    assert dict(Counter(truth["gender"])) == {"female": 22, "male": 22}
    assert Counter(truth["category"])["neutral"] == 4
    assert set(truth.loc[truth["category"] != "neutral", "intensity_level"]) == {1, 3}
    for dim in ("arousal", "valence", "dominance"):
        assert truth[dim].between(1, 5).all()
    # labelled synthetic everywhere: every row, the metadata, the folder's README
    assert (truth["synthetic"].astype(str).str.lower() == "true").all()
    meta = json.loads((tiny.root / "metadata.json").read_text(encoding="utf-8"))
    assert meta["synthetic"] is True and meta["scale"]["range"] == [1.0, 5.0]
    assert meta["counts"]["utterances"] == 44
    readme = (tiny.root / "README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in readme and "not perceptions of human speech" in readme
    assert all((tiny.root / p).is_file() for p in truth["audio"])
    assert all((tiny.root / p).is_file() for p in truth["textgrid"])
    assert (truth["phones"].str.split().str.len() > 10).all()


def test_audio_is_16k_mono_pcm16_with_sensible_duration(tiny):
    for path in sorted(tiny.audio_dir.glob("*.wav")):
        info = sf.info(str(path))
        assert (info.samplerate, info.channels, info.subtype, info.format) == (16000, 1, "PCM_16", "WAV")
        assert 1.0 < info.duration < 6.0, path.name
        x, _ = sf.read(str(path))
        assert 0.05 < np.abs(x).max() <= 1.0, path.name
        assert np.sqrt((x ** 2).mean()) > 0.005, path.name


def test_same_seed_gives_identical_bytes_with_a_process_pool(tiny, tmp_path):
    again = synthesise_demo(tmp_path / "again", seed=0, size="tiny", workers=2, progress=False)
    for path in sorted(tiny.audio_dir.glob("*.wav")):
        assert (again.audio_dir / path.name).read_bytes() == path.read_bytes(), path.name
    for name in ("truth.csv", "prosody.csv", "metadata.json"):
        assert (again.root / name).read_bytes() == (tiny.root / name).read_bytes(), name
    other = synthesise_demo(tmp_path / "other", seed=1, size="tiny", progress=False)
    assert (other.root / "truth.csv").read_bytes() != (tiny.root / "truth.csv").read_bytes()
    changed = [p.name for p in tiny.audio_dir.glob("*.wav")
               if (other.audio_dir / p.name).read_bytes() != p.read_bytes()]
    assert len(changed) == 44


def _pick(measured, speaker: str, category: str, level: int):
    rows = measured[(measured.speaker == speaker) & (measured.category == category)
                    & (measured.intensity_level == level)]
    assert len(rows) == 1
    return rows.iloc[0]


@pytest.mark.parametrize("speaker", ["en_female2", "zh_annie", "zh_michel", "en_travis"])
def test_prosody_differs_by_design(measured, speaker):
    neutral = _pick(measured, speaker, "neutral", 1)
    angry, sad = _pick(measured, speaker, "angry", 3), _pick(measured, speaker, "sad", 3)
    assert angry.sentence == neutral.sentence == sad.sentence
    # angry: higher F0, louder (RMS and active level), faster
    assert angry.f0_mean_hz > neutral.f0_mean_hz * 1.1
    assert angry.rms_dbfs > neutral.rms_dbfs + 3
    assert angry.level_dbfs > neutral.level_dbfs + 3
    # sad: slower (same phones, longer speech), quieter, lower
    assert sad.speech_s > neutral.speech_s * 1.15
    assert sad.phones_per_s < neutral.phones_per_s
    assert sad.level_dbfs < neutral.level_dbfs - 3
    assert sad.f0_mean_hz < neutral.f0_mean_hz
    # intensity scales the effect: level 3 is further from neutral than level 1
    angry1 = _pick(measured, speaker, "angry", 1)
    assert neutral.level_dbfs < angry1.level_dbfs < angry.level_dbfs
    assert sad.speech_s > _pick(measured, speaker, "sad", 1).speech_s


def test_measured_arousal_and_valence_follow_the_designed_coordinates(measured):
    rho = spearmanr(acoustic_arousal(measured), measured["arousal"]).statistic
    assert rho > 0.5, rho
    # valence tilts the F0 contour (rising for positive, falling for negative)
    rho_v = spearmanr(measured["f0_slope_st"], measured["valence"]).statistic
    assert rho_v > 0.3, rho_v


def test_design_maps_arousal_monotonically():
    design = load_design()
    plan = {(u.voice.speaker, u.category, u.intensity_level): u for u in design.plan("small", seed=0)}
    calm, neutral, angry = (prosody_for(plan["en_linda", c, lv], design)
                            for c, lv in (("calm", 3), ("neutral", 1), ("angry", 3)))
    assert calm.pitch_multiplier < neutral.pitch_multiplier < angry.pitch_multiplier
    assert calm.words_per_minute < neutral.words_per_minute < angry.words_per_minute
    assert calm.loudness_db < neutral.loudness_db < angry.loudness_db


def test_card_matches_the_small_plan_and_its_folds_are_speaker_independent():
    card, plan = load_card("demo"), load_design().plan("small", seed=0)
    expected = card.expected
    assert len(plan) == expected["utterances"] == 272
    assert dict(Counter(u.category for u in plan)) == expected["categories"]
    assert {str(k): v for k, v in Counter(u.intensity_level for u in plan).items()} == \
        expected["intensity_levels"]
    assert dict(Counter(u.voice.language for u in plan)) == expected["languages"]
    assert set(card.categories) == set(load_design().categories)
    for speaker, voice in load_design().voices.items():
        assert card.speakers[speaker]["gender"] == voice.gender
        assert card.speakers[speaker]["language"] == voice.language
    folds = Protocol.from_card(card, "speaker_folds").folds([f"demo/{u.voice.speaker}" for u in plan])
    assert len(folds) == 4
    assert all(f.sizes() == {"train": 136, "validation": 68, "test": 68} for f in folds)


def test_adapter_reads_the_synthesised_folder(tiny):
    adapter = get_adapter("demo", tiny.root)
    adapter.check_layout()
    utts = [adapter.card.normalise(item) for item in adapter.items()]
    rows = [u.to_row() for u in utts]
    assert len(rows) == 44
    row = next(r for r in rows if r["id"] == "demo/zh_michel_angry_3_zh01")
    labels = next(u.phone_labels for u in utts if u.id == "demo/zh_michel_angry_3_zh01")
    assert (row["language"], row["speaker"], row["gender"]) == ("zh", "demo/zh_michel", "male")
    assert row["category"] == "angry" and row["intensity_level"] == 3
    truth = tiny.truth().set_index("id").loc["zh_michel_angry_3_zh01"]
    assert row["arousal"] == pytest.approx((truth["arousal"] - 1) / 4)
    assert row["phones"] == truth["phones"].split()
    # the TextGrid is read by the build's workers (test_demo_walkthrough builds the folder)
    alignment = read_label_file(labels)
    assert [s.phone for s in alignment] == row["phones"]
    assert alignment[0].start >= 0.12  # after the padding
    # the tiny set has one voice per fold of the card, so the benchmark protocol runs on it
    folds = Protocol.from_card(adapter.card, "speaker_folds").folds([r["speaker"] for r in rows])
    assert [f.sizes() for f in folds] == [{"train": 22, "validation": 11, "test": 11}] * 4


def test_adapter_refuses_a_folder_that_is_not_a_demo_corpus(tmp_path):
    (tmp_path / "truth.csv").write_text("id\n", encoding="utf-8")
    with pytest.raises(Exception, match="does not look like the 'demo' corpus"):
        get_adapter("demo", tmp_path).check_layout()


def test_refuses_to_overwrite_a_foreign_folder(tmp_path):
    (tmp_path / "thesis.tex").write_text("precious", encoding="utf-8")
    with pytest.raises(BuildError, match="not empty and holds no demo corpus"):
        synthesise_demo(tmp_path, size="tiny", progress=False)
    assert (tmp_path / "thesis.tex").read_text(encoding="utf-8") == "precious"


def test_design_errors_name_the_value_choices_and_file(tmp_path):
    data = yaml.safe_load(design_path().read_text(encoding="utf-8"))
    data["categories"]["joy"] = data["categories"].pop("happy")
    bad = tmp_path / "design.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(UnknownLabelError, match=r"design\.yaml.*unknown unified category 'joy'.*happy"):
        load_design(bad)
    with pytest.raises(UnknownLabelError, match="unknown demo size 'huge'; valid: small, tiny"):
        load_design().plan("huge")


def test_reopen_and_rater_truth(tiny, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(tiny.root, copy)
    reopened = DemoCorpus.open(copy)
    assert (reopened.size, reopened.seed, reopened.n_utterances) == ("tiny", 0, 44)
    table = reopened.rater_truth()
    assert list(table.columns) == ["utterance", "category", "intensity", "arousal", "valence", "dominance"]
    with pytest.raises(BuildError, match="holds no demo corpus"):
        DemoCorpus.open(tmp_path)


def test_simulated_raters_build_through_the_pipeline(tiny, tmp_path):
    """synthesise -> simulated raters -> adapter -> build -> load_dataset: the walk-through's spine."""
    datasets = pytest.importorskip("datasets")
    from seqd_builder.annotations.simulate import simulate_raters, write_demo_project
    from seqd_builder.pipeline.stream import build

    sheet = tmp_path / "sheet.csv"
    simulate_raters(tiny.rater_truth(), seed=0).to_csv(sheet, index=False)
    project = write_demo_project(tmp_path / "project.yaml", list(load_design().categories))
    report = build(["demo"], tmp_path / "ds", root=tiny.root, phones="none", progress=False,
                   options={"demo": {"annotations": [str(sheet)], "project": str(project)}})
    (config,) = report.configs
    assert (config.found, config.written, sum(config.rejected.values())) == (44, 44, 0)
    ds = datasets.load_dataset(str(tmp_path / "ds"), "demo", split="train")
    assert len(ds) == 44 and set(ds["language"]) == {"en", "zh"}
    truth = tiny.truth().set_index("id")
    names = ds.features["category"].names
    rated, designed = [], []
    for row in ds.select_columns(["id", "category", "category_perceived", "arousal", "votes"]):
        native = row["id"].split("/", 1)[1]
        assert names[row["category"]] == truth.loc[native, "category"]  # designed (intended)
        assert len(row["votes"]) >= 3  # simulated raters, kept raw
        rated.append(row["arousal"])
        designed.append((truth.loc[native, "arousal"] - 1) / 4)
    # arousal in the dataset is the raters' mean, close to (not equal to) the design that drove the audio
    assert rated != designed
    assert spearmanr(rated, designed).statistic > 0.6
