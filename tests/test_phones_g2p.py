"""G2P with the bundled eSpeak NG (German, English, Mandarin) and pypinyin."""

from __future__ import annotations

import pytest

from seqd_builder.errors import UnknownLabelError
from seqd_builder.phones import broad_class, g2p, g2p_words, pinyin_phones


def test_german_sentence_of_emodb():
    assert g2p("Der Lappen liegt auf dem Eisschrank.", "de")[:9] == (
        "d", "ɛ", "ɾ", "l", "a", "p", "ə", "n", "l")
    words = g2p_words("Das will sie am Mittwoch abgeben.", "de")
    assert len(words) == 6 and words[0] == ("d", "a", "s")


def test_english_us():
    assert g2p("Do you have your forms?", "en-us") == (
        "d", "uː", "j", "uː", "h", "æ", "v", "j", "ʊɹ", "f", "ɔːɹ", "m", "z")
    assert g2p("Do you have your forms?", "en") == g2p("Do you have your forms?", "en-us")


def test_mandarin_espeak_and_pinyin():
    phones = g2p("我们今天去北京", "cmn")
    assert phones[:2] == ("w", "o2") and "tɕ" in phones
    assert g2p("我们今天去北京", "zh") == phones
    assert all(broad_class(p) != "other" for p in phones)
    assert pinyin_phones("我们今天去北京") == (
        "uo3", "m", "en5", "j", "in1", "t", "ian1", "q", "v4", "b", "ei3", "j", "ing1")
    assert pinyin_phones("北京", tones=False) == ("b", "ei", "j", "ing")


def test_unknown_language_names_the_choices():
    with pytest.raises(UnknownLabelError, match="valid: .*de.*en-us"):
        from seqd_builder.phones.g2p import espeak_language

        espeak_language("xx-klingon")
