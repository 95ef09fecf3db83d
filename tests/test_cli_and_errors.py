"""User mistakes get one clear line (value, valid choices, location) and a hint, never a traceback."""

import subprocess
import sys

import pytest
import yaml

from seqd_builder.cli import main
from seqd_builder.corpora.card import load_card
from seqd_builder.errors import ConfigError, UnknownLabelError
from seqd_builder.schema import RawItem, Utterance


def _run(*args):
    code = "import sys; from seqd_builder.cli import main; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)


def test_wrong_root_says_what_was_expected_and_found(shared_data, tmp_path):
    result = _run("build", "ravdess", "--root", str(shared_data / "audio" / "emodb"),
                  "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert "does not look like the 'ravdess' corpus" in result.stderr
    assert "expected Actor_01 … Actor_24" in result.stderr
    assert "found LICENSE.txt, erkennung.txt" in result.stderr and "wav/" in result.stderr
    assert "hint: point --root at" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_corpus_lists_the_valid_ones(tmp_path, capsys):
    assert main(["build", "iemocapp", "--root", str(tmp_path), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "unknown corpus 'iemocapp'; valid:" in err and "emodb" in err and "ravdess" in err


def test_several_corpora_need_named_roots(tmp_path, capsys):
    assert main(["build", "ravdess", "emodb", "--root", str(tmp_path), "--out", str(tmp_path)]) == 2
    assert "give one --root NAME=PATH per corpus" in capsys.readouterr().err


def test_debug_shows_traceback(tmp_path):
    code = "from seqd_builder.cli import main; main(['info', '/nonexistent'])"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**__import__("os").environ, "SEQD_DEBUG": "1"})
    assert "Traceback" in result.stderr and "BuildError" in result.stderr


def test_info_on_a_folder_that_is_no_dataset(tmp_path, capsys):
    assert main(["info", str(tmp_path)]) == 2
    assert "has no manifest.json" in capsys.readouterr().err


def test_corpora_lists_licences(capsys):
    assert main(["corpora"]) == 0
    out = capsys.readouterr().out
    assert "CC-BY-NC-SA-4.0" in out and "redistribution: noncommercial" in out


def test_card_map_error_names_value_choices_and_file(tmp_path):
    card = yaml.safe_load(load_card("emodb").path.read_text())
    card["categories"]["W"] = "anger"
    path = tmp_path / "emodb.yaml"
    path.write_text(yaml.safe_dump(card, allow_unicode=True))
    with pytest.raises(UnknownLabelError) as err:
        load_card(path)
    message = str(err.value)
    assert str(path) in message and "'anger'" in message and "angry" in message
    assert isinstance(err.value, ValueError)  # user code catching ValueError keeps working


def test_card_rejects_unknown_fields(tmp_path):
    card = yaml.safe_load(load_card("ravdess").path.read_text())
    card["lisence"] = "oops"
    path = tmp_path / "ravdess.yaml"
    path.write_text(yaml.safe_dump(card))
    with pytest.raises(ConfigError, match="unknown fields lisence"):
        load_card(path)


def test_normalise_maps_through_the_card():
    card = load_card("ravdess")
    raw = RawItem(native_id="03-01-05-02-01-01-07", audio_path=None, source_file="x.wav",
                  speaker="07", category="05", intensity="02", text="Kids are talking by the door.")
    utt = card.normalise(raw)
    assert (utt.id, utt.speaker, utt.gender) == ("ravdess/03-01-05-02-01-01-07", "ravdess/07", "male")
    assert (utt.category, utt.category_native, utt.intensity, utt.intensity_level) == ("angry", "05", 1.0, 2)
    with pytest.raises(UnknownLabelError, match=r"x.wav:4: unknown intensity level '03'"):
        card.normalise(RawItem(native_id="a", audio_path=None, source_file="x.wav", source_line=4,
                               speaker="07", category="05", intensity="03"))


def test_records_are_checked_on_creation():
    with pytest.raises(ValueError, match="arousal must be a number in \\[0, 1\\]"):
        Utterance(id="c/1", corpus="c", language="en", speaker="c/s", split="train", audio_path=None,
                  source_file="f", arousal=3.0)
    with pytest.raises(ValueError, match="unknown split 'dev'; valid: test, test1"):
        Utterance(id="c/1", corpus="c", language="en", speaker="c/s", split="dev", audio_path=None,
                  source_file="f")
