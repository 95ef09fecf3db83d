"""Corpus alignment readers on real EmoDB files and on verbatim-format Sphinx/MFA fixtures."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from seqd_builder.errors import AnnotationError, SeqdError
from seqd_builder.phones import load_phoneset, read_phseg, read_textgrid, read_xlabel
from seqd_builder.phones.inventory import broad_class
from seqd_builder.schema import PhoneSegment


@pytest.fixture(scope="module")
def emodb(shared_data):
    return shared_data / "audio" / "emodb"


def test_xlabel_reproduces_the_file_marks(emodb):
    path = emodb / "lablaut" / "03a01Faxx.lablaut"
    segs = read_xlabel(path, duration=1.89825)
    # first marks of the file: 0.080109 _t, 0.119160 !t +asp, 0.144370 E6, 0.244223 l
    assert [s.phone for s in segs[:4]] == ["_t", "!t", "E6", "l"]
    assert segs[0].start == pytest.approx(0.080109) and segs[0].end == pytest.approx(0.119160)
    assert segs[2].start == pytest.approx(0.144370) and segs[2].end == pytest.approx(0.244223)
    # "0.768183 -1 <TAB>+hoe" has no phone: it extends the "i" that starts at 0.698978
    i = next(s for s in segs if s.phone == "i")
    assert (i.start, i.end) == (pytest.approx(0.698978), pytest.approx(0.768183 + 0.034109, abs=1e-6))
    assert segs[-1] == PhoneSegment(".", 1.841390, 1.89825)
    # contiguous from the first mark to the end
    assert all(a.end == b.start for a, b in zip(segs, segs[1:]))
    assert not any("+" in s.phone or "\t" in s.phone for s in segs)


def test_emodb_marks_are_segment_starts(emodb):
    """Plosive closures are silent when marks are starts, and loud vowels when read as ends."""
    audio, sr = sf.read(emodb / "wav" / "03a01Fa.wav")
    starts = read_xlabel(emodb / "lablaut" / "03a01Faxx.lablaut", duration=len(audio) / sr)
    ends = read_xlabel(emodb / "lablaut" / "03a01Faxx.lablaut", marks="end")

    def level(segs):
        closures = [s for s in segs if s.phone in ("p", "t", "k")]
        return np.median([20 * np.log10(np.sqrt(np.mean(audio[int(s.start * sr):int(s.end * sr)] ** 2)))
                          for s in closures])

    assert level(starts) < -40 and level(ends) - level(starts) > 12


def test_all_emodb_lablaut_files_map_to_ipa(emodb):
    """Every label of all 538 files has an IPA value; three files have no labels at all."""
    phoneset = load_phoneset("emodb_sampa")
    empty = []
    for path in sorted((emodb / "lablaut").glob("*.lablaut")):
        segs = phoneset.normalise(read_xlabel(path), where=str(path))
        if not segs:
            empty.append(path.name)
        assert all(broad_class(s.phone) != "other" for s in segs), path
    # two released utterances have an empty label file, and 14b09Ea is duplicated (empty + xx)
    assert empty == ["08a01Abxx.lablaut", "08a01Waxx.lablaut", "14b09Ea.lablaut"]


def test_emodb_plosive_closure_and_release_fold_into_one_phone(emodb):
    segs = load_phoneset("emodb_sampa").normalise(read_xlabel(emodb / "lablaut" / "03a01Faxx.lablaut"))
    # _t (0.080109) + !t (0.119160, ends 0.144370) = one /t/; then E6 = ɛɐ
    assert segs[0] == PhoneSegment("t", 0.080109, 0.144370)
    assert segs[1].phone == "ɛɐ"
    # Eisschrank ends in k (1.724730) + !k + kasp, up to the pause at 1.841390
    assert segs[-2] == PhoneSegment("k", 1.724730, 1.841390)


PHSEG = """\t SFrm\t EFrm\t SegAScr\t Phone
\t    0\t   32\t -1234567\t SIL
\t   33\t   39\t  -123456\t EH(SIL,K)b
\t   40\t   47\t  -234567\t K(EH,S)i
\t   48\t   60\t   -12345\t S(K,K)e
 Total score:\t -2345678
"""


def test_phseg_frames_and_context(tmp_path):
    path = tmp_path / "Ses01F_impro01_F000.phseg"
    path.write_text(PHSEG)
    segs = read_phseg(path)
    assert [s.phone for s in segs] == ["SIL", "EH", "K", "S"]
    assert segs[1] == PhoneSegment("EH", 0.33, 0.40)
    assert segs[-1].end == pytest.approx(0.61)
    ipa = load_phoneset("arpabet").normalise(segs)
    assert [s.phone for s in ipa] == ["sil", "ɛ", "k", "s"]


def test_phseg_bad_line_names_file_and_line(tmp_path):
    path = tmp_path / "bad.phseg"
    path.write_text(PHSEG.replace("   40\t   47", "   4O\t   47"))
    with pytest.raises(AnnotationError, match=r"bad\.phseg:4"):
        read_phseg(path)


def test_textgrid_reader_skips_empty_intervals_and_names_tiers(tmp_path):
    from seqd_builder.phones.textgrid_out import write_textgrid

    path = tmp_path / "utt.TextGrid"
    phones = [PhoneSegment("sil", 0.0, 0.1), PhoneSegment("HH", 0.1, 0.2), PhoneSegment("AY1", 0.2, 0.45)]
    write_textgrid(path, {"words": [PhoneSegment("hi", 0.1, 0.45)], "phones": phones}, 0.6)
    assert read_textgrid(path) == phones[1:]
    assert read_textgrid(path, tier="words") == [PhoneSegment("hi", 0.1, 0.45)]
    with pytest.raises(SeqdError, match="tiers: words, phones"):
        read_textgrid(path, tier="phone")


def test_unknown_native_phone_names_the_set(tmp_path):
    with pytest.raises(SeqdError, match="unknown emodb_sampa phone 'QQ'"):
        load_phoneset("emodb_sampa").ipa("QQ")
