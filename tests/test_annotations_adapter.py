"""The `seqd` corpus adapter: SEQD sheets + recordings -> native records with merged labels and votes."""

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import yaml

from seqd_builder.corpora import get_adapter
from seqd_builder.errors import ConfigError, CorpusLayoutError
from seqd_builder.schema import RawItem, Rejection

EXAMPLES = Path(__file__).resolve().parents[1] / "annotations" / "examples"


def _recordings(root: Path, utterances, missing=()):
    for utt in utterances:
        if utt in missing:
            continue
        folder = root / utt.split("_")[0]
        folder.mkdir(parents=True, exist_ok=True)
        t = np.arange(3200) / 16000
        sf.write(folder / f"{utt}.wav", 0.1 * np.sin(2 * np.pi * 220 * t), 16000)
    return root


@pytest.fixture()
def corpus(tmp_path):
    utts = ["spk01_0001", "spk01_0002", "spk02_0001", "spk02_0002", "spk03_0001", "spk03_0002",
            "spk04_0001", "spk04_0002"]
    return _recordings(tmp_path / "audio", utts, missing={"spk04_0002"})


def _adapter(root, sheets=("sheet.csv",), project=EXAMPLES / "project.yaml"):
    return get_adapter("seqd", root=root, annotations=[EXAMPLES / s for s in sheets], project=project)


def test_items_carry_merged_labels_votes_and_agreement(corpus):
    adapter = _adapter(corpus)
    adapter.check_layout()
    items = list(adapter.items())
    records = {i.native_id: i for i in items if isinstance(i, RawItem)}
    assert list(records) == ["spk01_0001", "spk01_0002", "spk02_0001", "spk02_0002", "spk03_0001",
                             "spk03_0002", "spk04_0001"]
    (missing,) = [i for i in items if isinstance(i, Rejection)]
    assert (missing.id, missing.reason, missing.line) == ("seqd/spk04_0002", "missing_audio", 28)
    sad = records["spk01_0002"]
    assert (sad.category, sad.intensity, sad.speaker, sad.agreement) == ("sad", "3", "spk01", pytest.approx(2 / 3))
    assert [v.rater for v in sad.votes] == ["R01", "R02", "R03", "S01"]
    assert sad.votes[-1].self_rating and sad.votes[2].category_native == "neu"
    assert sad.source_line == 6 and sad.audio_path.name == "spk01_0002.wav"
    assert records["spk04_0001"].category == "hap:sur"       # a kept tie
    assert records["spk02_0002"].category == "xxx"           # below min_agreement: no consensus, kept
    assert records["spk03_0002"].intensity is None           # neutral: nobody gave an intensity


def test_card_comes_from_the_project(corpus):
    card = _adapter(corpus).card
    assert card.name == "seqd" and card.language == "zh"
    assert card.licence["id"] == "CC-BY-4.0"
    assert card.categories == {"neu": "neutral", "hap": "happy", "sad": "sad", "ang": "angry", "fea": "fear",
                               "sur": "surprise", "oth": "other", "xxx": None, "hap:sur": None}
    assert card.intensity.levels == {"1": 1, "2": 2, "3": 3}
    assert card.dimensions["range"] == [1.0, 5.0]
    assert "SpeechEQ" in card.citation
    assert card.options["exclude_self_votes"] is True
    agreement = card.options["agreement"]
    assert agreement["fleiss_kappa"] == pytest.approx(0.382, abs=5e-4)
    assert agreement["krippendorff_alpha"]["category (nominal)"] == pytest.approx(0.435, abs=5e-4)
    assert agreement["outcomes"] == {"consensus": 6, "low_agreement": 1, "tie": 1}


def test_records_normalise_to_unified_rows(corpus):
    adapter = _adapter(corpus)
    rows = {r.native_id: adapter.card.normalise(r) for r in adapter.items() if isinstance(r, RawItem)}
    sad = rows["spk01_0002"]
    assert (sad.id, sad.category, sad.category_native, sad.intensity_level) == ("seqd/spk01_0002", "sad", "sad", 3)
    assert sad.intensity == 1.0 and sad.arousal == pytest.approx((2 - 1) / 4)   # mean 2.0 without self
    assert (sad.speaker, sad.gender, sad.agreement) == ("seqd/spk01", "female", pytest.approx(2 / 3))
    assert sad.votes[0].intensity == 1.0 and sad.votes[0].valence == 0.0        # strong -> 3/3; 1 -> 0
    tie = rows["spk04_0001"]
    assert tie.category is None and tie.category_native == "hap:sur"
    assert rows["spk02_0002"].category is None and rows["spk02_0002"].category_native == "xxx"


def test_bad_lines_become_rejections_with_line_numbers(corpus, tmp_path):
    adapter = _adapter(corpus, sheets=("sheet.csv", "sheet_with_errors.csv"))
    rejected = [i for i in adapter.items() if isinstance(i, Rejection)]
    by_line = {(Path(r.source_file).name, r.line): r.reason for r in rejected}
    assert by_line[("sheet_with_errors.csv", 9)] == "malformed_line"
    assert by_line[("sheet_with_errors.csv", 3)] == "unknown_label"
    assert by_line[("sheet_with_errors.csv", 5)] == "duplicate_id"
    assert by_line[("sheet_with_errors.csv", 6)] == "invalid_value"
    # spk01_0003 keeps one valid line (too few raters: kept without category) but has no recording
    assert by_line[("sheet_with_errors.csv", 2)] == "missing_audio"


def test_insufficient_items_rejected_when_the_project_says_so(corpus, tmp_path):
    data = yaml.safe_load((EXAMPLES / "project.yaml").read_text(encoding="utf-8"))
    data["merge"]["insufficient"] = "reject"
    project = tmp_path / "strict.yaml"
    project.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    items = list(_adapter(corpus, project=project).items())
    (low,) = [i for i in items if isinstance(i, Rejection) and i.id == "seqd/spk02_0002"]
    assert low.reason == "no_consensus" and low.line == 14 and "low agreement" in low.detail


def test_project_beside_the_sheet_is_the_default(corpus, tmp_path):
    sheets = tmp_path / "labels"
    sheets.mkdir()
    shutil.copy(EXAMPLES / "sheet.csv", sheets / "sheet.csv")
    with pytest.raises(ConfigError, match="no --project given and no project.yaml beside"):
        get_adapter("seqd", root=corpus, annotations=[sheets / "sheet.csv"], project=None)
    shutil.copy(EXAMPLES / "project.yaml", sheets / "project.yaml")
    adapter = get_adapter("seqd", root=corpus, annotations=[sheets / "sheet.csv"], project=None)
    assert adapter.project.name == "example"
    assert sheets / "project.yaml" in adapter.input_files()


def test_layout_without_recordings(tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no audio here")
    with pytest.raises(CorpusLayoutError, match="expected a folder of recordings.*found notes.txt"):
        _adapter(empty).check_layout()


def test_demo_flow_simulated_raters_to_unified_rows(tmp_path):
    """What `seqd demo` does: truth table -> simulated sheet + project -> seqd adapter -> rows."""
    from seqd_builder.annotations.simulate import simulate_raters, write_demo_project

    rng = np.random.default_rng(0)
    categories = ["neutral", "happy", "sad", "angry"]
    truth = [{"utterance": f"spk{i % 3}_{i:03d}", "category": categories[i % 4],
              "intensity": None if i % 4 == 0 else int(rng.integers(1, 4)),
              "arousal": float(rng.integers(1, 6)), "valence": float(rng.integers(1, 6)),
              "dominance": float(rng.integers(1, 6))} for i in range(24)]
    sheet = tmp_path / "annotations.csv"
    simulate_raters(truth, seed=0).to_csv(sheet, index=False)
    project = write_demo_project(tmp_path / "project.yaml", categories,
                                 extra={"speaker_pattern": "^(?P<speaker>spk\\d)_"})
    audio = _recordings(tmp_path / "audio", [t["utterance"] for t in truth])
    adapter = get_adapter("seqd", root=audio, annotations=[sheet], project=project)
    rows = [adapter.card.normalise(r) for r in adapter.items()]
    assert len(rows) == 24 and adapter.sheet.issues == ()
    assert {r.speaker for r in rows} == {"seqd/spk0", "seqd/spk1", "seqd/spk2"}
    assert adapter.card.language == "en"
    truth_of = {t["utterance"]: t["category"] for t in truth}
    assert sum(r.category == truth_of[r.id.split("/")[1]] for r in rows) >= 20
    assert all(len(r.votes) >= 3 and r.agreement is not None for r in rows)
    assert all(0 <= r.arousal <= 1 for r in rows)
