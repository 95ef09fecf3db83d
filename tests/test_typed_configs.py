"""Typed configuration files: every wrong type of a corpus card reported at once, with file and key."""

from __future__ import annotations

import pytest
import yaml

from seqd_builder.corpora.card import card_path, load_card
from seqd_builder.errors import ConfigError, UnknownLabelError
from seqd_builder.schema.scales import IntensityScale


def _card(tmp_path, **changes):
    data = yaml.safe_load(card_path("ravdess").read_text())
    data.update(changes)
    path = tmp_path / "ravdess.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return path


def test_every_wrong_type_is_reported_with_file_and_key(tmp_path):
    path = _card(tmp_path, official_split="maybe", speakers={"01": "female"},
                 intensity={"levels": {"01": "low", "02": 2}})
    with pytest.raises(ConfigError) as err:
        load_card(path)
    message = str(err.value)
    assert message.startswith(f"{path}: corpus card has 3 invalid value(s)")
    for key in ("official_split:", "speakers.01:", "intensity.levels.01:"):
        assert key in message, message
    assert "'maybe'" in message and "'low'" in message


def test_domain_rules_keep_their_own_messages(tmp_path):
    with pytest.raises(UnknownLabelError, match="unknown unified category 'joyful'; valid: angry"):
        load_card(_card(tmp_path, categories={"01": "joyful"}))
    with pytest.raises(ConfigError, match=r"ravdess.yaml: intensity.levels must use the levels 1..N"):
        load_card(_card(tmp_path, intensity={"levels": {"01": 1, "02": 3}}))


def test_unknown_top_level_key_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="licnce"):
        load_card(_card(tmp_path, licnce={"name": "x"}))


def test_one_intensity_scale_for_cards_and_projects():
    scale = IntensityScale.from_names(["low", "medium", "strong"])
    assert scale.levels == {"low": 1, "medium": 2, "strong": 3} and scale.names == ("low", "medium", "strong")
    assert scale.parse("Strong") == 3.0 and scale.parse("2") == 2.0
    assert scale.map("medium", "x") == (2 / 3, 2)
    with pytest.raises(ValueError, match="valid: low, medium, strong or 1..3"):
        scale.parse("loud")
    with pytest.raises(ConfigError, match="distinct"):
        IntensityScale.from_names(["low", "Low"])
    card = load_card("ravdess").intensity
    assert isinstance(card, IntensityScale) and card.map("02", "x") == (1.0, 2)


def test_model_config_training_block_is_typed():
    from seqd_builder.benchmark.config import load_model_config

    with pytest.raises(ConfigError) as err:
        load_model_config("speecheq", {"training": {"epochs": "3", "refit": "yes"}})
    message = str(err.value)
    assert "speecheq.yaml: model config 'speecheq': training has 2 invalid value(s)" in message
    assert "epochs: Input should be a valid integer (got '3')" in message and "refit:" in message
    assert load_model_config("speecheq", {"training": {"lr": 1}})["training"]["lr"] == 1  # int is a float


def test_task_file_types_are_checked(tmp_path):
    from seqd_builder.benchmark.tasks import load_task, task_dir

    data = yaml.safe_load((task_dir() / "emodb.yaml").read_text())
    data["n_folds"] = "ten"
    path = tmp_path / "emodb.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=r"emodb.yaml: task file has 1 invalid value\(s\):\n  - n_folds"):
        load_task(path)
    del data["n_folds"], data["metrics"]
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError, match=r"task file lacks \['metrics'\]"):
        load_task(path)


def test_card_audio_block_is_typed_and_used(tmp_path, shared_data):
    """The distribution's declared format is checked as a record and compared with the source files."""
    from seqd_builder import testing
    from seqd_builder.pipeline import build

    with pytest.raises(ConfigError, match=r"audio.rate: Unexpected keyword argument|audio.rate: Extra inputs"):
        load_card(_card(tmp_path, audio={"rate": 48000}))
    assert load_card("ravdess").audio.sample_rate == 48000
    tree = testing.make_ravdess_tree(tmp_path / "tree", actors=[1], limit=4)
    out = tmp_path / "hf"
    build(["ravdess"], out, root=tree, progress=False, phones="none", audit=False)
    import json

    entry = json.loads((out / "manifest.json").read_text())["configs"]["ravdess"]
    assert entry["source_audio"]["found"] == {"16000 Hz, 1 ch": 4}
    assert "4 of 4 source files are not in the format the card declares" in entry["source_audio"]["differs"]
    assert entry["accounting"]["warnings"]["source_format"] == 1
    assert "4 files at 16000 Hz, 1 ch (the distribution: 48000 Hz, 1 ch, wav)" in (out / "README.md").read_text()


def test_project_merge_rules_are_typed(tmp_path):
    from seqd_builder.annotations.project import load_project, project_path

    data = yaml.safe_load(project_path("crema_d").read_text())
    data["merge"] = {**(data.get("merge") or {}), "min_raters": "two",
                     "dimensions": {"exclude_self": "no"}}
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ConfigError) as err:
        load_project(path)
    message = str(err.value)
    assert "the project's merge rules has 2 invalid value(s)" in message
    assert "min_raters: Input should be a valid integer (got 'two')" in message
    assert "dimensions_exclude_self: Input should be a valid boolean (got 'no')" in message


def test_model_params_must_be_the_models_arguments():
    from seqd_builder.benchmark.config import list_model_configs, load_model_config

    for name in list_model_configs():
        load_model_config(name)  # every committed config passes
    with pytest.raises(ConfigError, match=r"unknown params \['hiden'\] for model 'speecheq'; valid: .*hidden"):
        load_model_config("speecheq", {"params": {"hiden": 64}})
