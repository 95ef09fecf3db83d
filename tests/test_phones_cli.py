"""`seqd phones …` through the CLI entry point (thin layer over the library)."""

from __future__ import annotations

from seqd_builder.cli import main
from seqd_builder.phones import read_textgrid


def test_g2p_and_pinyin(capsys):
    assert main(["phones", "g2p", "Guten Morgen", "--language", "de"]) == 0
    assert capsys.readouterr().out.split()[:3] == ["ɡ", "uː", "t"]
    assert main(["phones", "g2p", "北京", "--pinyin"]) == 0
    assert capsys.readouterr().out.strip() == "b ei3 j ing1"


def test_align_writes_a_textgrid_and_read_prints_it(shared_data, tmp_path, capsys):
    wav = shared_data / "audio" / "emodb" / "wav" / "03a01Fa.wav"
    out = tmp_path / "03a01Fa.TextGrid"
    assert main(["phones", "align", str(wav), "Der Lappen liegt auf dem Eisschrank.", "-l", "de",
                 "--gender", "male", "--out", str(out)]) == 0
    assert [w.phone for w in read_textgrid(out, "words")][0] == "Der"
    assert read_textgrid(out)[0].phone == "d"
    capsys.readouterr()
    lablaut = shared_data / "audio" / "emodb" / "lablaut" / "03a01Faxx.lablaut"
    assert main(["phones", "read", str(lablaut)]) == 0
    assert capsys.readouterr().out.splitlines()[0].split() == ["0.080", "0.119", "_t"]


def test_check_mfa_without_mfa(monkeypatch, capsys):
    monkeypatch.setenv("PATH", "/nonexistent")
    assert main(["phones", "check-mfa"]) == 2
    err = capsys.readouterr().err
    assert "not on PATH" in err and "conda install -c conda-forge montreal-forced-aligner" in err
