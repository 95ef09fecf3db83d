"""The MFA wrapper's subprocess contract, checked with a fake `mfa` that records its arguments
and writes the TextGrids real MFA would write (MFA itself needs conda and is not installed here)."""

from __future__ import annotations

import json
import os
import sys
from types import SimpleNamespace

import numpy as np
import pytest

from seqd_builder.phones.enrich import MfaEnricher, make_enricher
from seqd_builder.phones.mfa import MfaError, MfaJob, find_mfa
from seqd_builder.schema import PhoneSegment, Utterance

FAKE_MFA = r'''#!{python}
import json, os, sys
from pathlib import Path
args = sys.argv[1:]
Path(os.environ["FAKE_MFA_LOG"]).write_text(json.dumps(args))
if args[0] == "version":
    print("3.1.0"); sys.exit(0)
if os.environ.get("FAKE_MFA_FAIL"):
    print("ERROR: dictionary not found", file=sys.stderr); sys.exit(1)
corpus = Path(args[1])
out = Path(args[4]) if args[0] == "align" else Path(args[args.index("--output_directory") + 1])
from praatio import textgrid
for lab in corpus.rglob("*.lab"):
    words = lab.read_text().split()
    grid = textgrid.Textgrid()
    grid.addTier(textgrid.IntervalTier("words", [(0.1, 0.5, words[0])], 0, 1.0))
    grid.addTier(textgrid.IntervalTier("phones", [(0.1, 0.2, "d"), (0.2, 0.35, "ɛ"), (0.35, 0.5, "ɐ"),
                                                  (0.5, 0.6, "spn")], 0, 1.0))
    target = out / lab.parent.name / (lab.stem + ".TextGrid")
    target.parent.mkdir(parents=True, exist_ok=True)
    grid.save(str(target), format="short_textgrid", includeBlankSpaces=True)
'''


@pytest.fixture
def fake_mfa(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "mfa"
    script.write_text(FAKE_MFA.replace("{python}", sys.executable))
    script.chmod(0o755)
    log = tmp_path / "mfa_args.json"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_MFA_LOG", str(log))
    return log


def test_command_lines(tmp_path):
    align = MfaJob(tmp_path / "c", tmp_path / "o", "german_mfa", "german_mfa", jobs=2)
    assert align.command() == ["mfa", "align", str(tmp_path / "c"), "german_mfa", "german_mfa",
                               str(tmp_path / "o"), "-j", "2", "--clean", "--overwrite"]
    train = MfaJob(tmp_path / "c", tmp_path / "o", "dict.txt")
    assert train.command()[:5] == ["mfa", "train", str(tmp_path / "c"), "dict.txt",
                                   str(tmp_path / "o_model.zip")]
    assert train.command()[5:7] == ["--output_directory", str(tmp_path / "o")]


def test_enricher_aligns_the_corpus_in_one_batch(fake_mfa, tmp_path):
    import soundfile as sf

    wav = tmp_path / "a.wav"
    sf.write(wav, np.zeros(16000, dtype=np.float32), 16000)
    utt = Utterance(id="emodb/03a01Fa", corpus="emodb", language="de", speaker="emodb/03",
                    split="train", audio_path=str(wav), source_file=str(wav), text="Der Lappen")
    card = SimpleNamespace(name="emodb", language="de", path=None, phones={})
    enricher = make_enricher("mfa", card)
    assert isinstance(enricher, MfaEnricher) and find_mfa().endswith("mfa")
    enricher.prepare([utt], tmp_path / "work")
    args = json.loads(fake_mfa.read_text())
    assert args[0] == "train" and args[2] == "german_mfa"  # no acoustic model: train-and-align
    corpus = tmp_path / "work" / "mfa_corpus"
    assert (corpus / "emodb__03" / "emodb__03a01Fa.lab").read_text() == "Der Lappen\n"
    assert sf.info(corpus / "emodb__03" / "emodb__03a01Fa.wav").samplerate == 16000
    out = enricher(utt, None, 16000)
    assert out.phones == ("d", "ɛ", "ɐ")  # "spn" (spoken noise) is not a phone
    assert out.phone_alignment[0] == PhoneSegment("d", 0.1, 0.2)


def test_failure_and_missing_alignment_are_errors(fake_mfa, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_MFA_FAIL", "1")
    job = MfaJob(tmp_path / "c", tmp_path / "o", "german_mfa", "german_mfa")
    with pytest.raises(MfaError, match="exited with 1: ERROR: dictionary not found"):
        job.run()
    enricher = MfaEnricher("german_mfa", None)
    enricher.output_dir = tmp_path / "o"
    utt = Utterance(id="emodb/x", corpus="emodb", language="de", speaker="emodb/03", split="train",
                    audio_path=None, source_file="x")
    with pytest.raises(MfaError, match="wrote no alignment for emodb__x"):
        enricher(utt, None, 16000)
