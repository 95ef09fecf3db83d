"""The pipeline hook: make_enricher(mode, card) on real EmoDB material."""

from __future__ import annotations

import pickle
from types import SimpleNamespace

import pytest
import soundfile as sf

from seqd_builder.errors import ConfigError, MissingToolError, SeqdError
from seqd_builder.phones import read_xlabel
from seqd_builder.phones.checks import alignment_mismatch
from seqd_builder.phones.enrich import (AlignEnricher, CorpusEnricher, G2PEnricher, make_enricher,
                                        phone_settings)
from seqd_builder.schema import Utterance


def card(**phones):
    return SimpleNamespace(name="emodb", language="de", path="corpora/emodb.yaml", phones=phones)


def utt(**kw):
    base = dict(id="emodb/03a01Fa", corpus="emodb", language="de", speaker="emodb/03", split="train",
                audio_path=None, source_file="wav/03a01Fa.wav", gender="male",
                text="Der Lappen liegt auf dem Eisschrank.")
    return Utterance(**{**base, **kw})


@pytest.fixture(scope="module")
def emodb(shared_data):
    return shared_data / "audio" / "emodb"


def test_modes_and_card_keys_are_checked():
    assert make_enricher("none", card()) is None
    with pytest.raises(ConfigError, match="phones mode 'ipa'; valid: none, g2p, corpus, align, mfa"):
        make_enricher("ipa", card())
    with pytest.raises(ConfigError, match="unknown phones keys inventroy"):
        make_enricher("g2p", card(inventroy="emodb_sampa"))
    with pytest.raises(SeqdError, match="unknown phone set 'nope'"):
        make_enricher("corpus", card(inventory="nope"))
    assert phone_settings(card(g2p_language="en-us"))["language"] == "en-us"


def test_g2p_enricher_is_picklable_and_fills_phones():
    enricher = pickle.loads(pickle.dumps(make_enricher("g2p", card())))
    assert isinstance(enricher, G2PEnricher)
    out = enricher(utt(), None, 16000)
    assert out.phones[:3] == ("d", "ɛ", "ɾ") and out.phone_alignment is None
    with pytest.raises(SeqdError, match="no transcript"):
        enricher(utt(text=None), None, 16000)


def test_corpus_mode_maps_emodb_lablaut_to_ipa_and_falls_back_to_g2p(emodb):
    enricher = make_enricher("corpus", card(inventory="emodb_sampa", default_mode="corpus"))
    assert isinstance(enricher, CorpusEnricher)
    raw = tuple(read_xlabel(emodb / "lablaut" / "03a01Faxx.lablaut", duration=1.89825))
    out = pickle.loads(pickle.dumps(enricher))(utt(phone_alignment=raw), None, 16000)
    # realised pronunciation: [t ɛɐ l a p m l iː t ...], releases folded, final pause dropped
    assert out.phones[:6] == ("t", "ɛɐ", "l", "a", "p", "m")
    assert len(out.phones) == len(out.phone_alignment)
    assert out.phone_alignment[0].start == pytest.approx(0.080109)
    assert out.phone_alignment[-1].phone == "k" and out.phone_alignment[-1].end == pytest.approx(1.84139)
    native = make_enricher("corpus", card(inventory="emodb_sampa", output="native"))(
        utt(phone_alignment=raw), None, 16000)
    assert native.phones[:3] == ("_t", "E6", "l")
    fallback = enricher(utt(), None, 16000)
    assert fallback.phones == make_enricher("g2p", card())(utt(), None, 16000).phones


def test_corpus_mode_refuses_labels_of_another_take(emodb):
    """10a04Wa's label file (speech to 2.79 s) paired with its sister take 10a04Wb (1.81 s long)."""
    audio, sr = sf.read(emodb / "wav" / "10a04Wb.wav", dtype="float32")
    raw = tuple(read_xlabel(emodb / "lablaut" / "10a04Waxx.lablaut", duration=len(audio) / sr))
    enricher = make_enricher("corpus", card(inventory="emodb_sampa"))
    with pytest.raises(SeqdError, match="does not belong to this recording: labels run to 2.79 s "
                                        "but the audio lasts 1.81 s; G2P phones kept") as caught:
        enricher(utt(id="emodb/10a04Wa", text="Heute abend könnte ich es ihm sagen.",
                     phone_alignment=raw), audio, sr)
    kept = caught.value.utterance  # what the build publishes instead: the sentence's G2P phones
    assert kept.phone_alignment is None and kept.phones[:4] == ("h", "ɔø", "t", "ə")
    own, sr = sf.read(emodb / "wav" / "10a04Wa.wav", dtype="float32")
    assert enricher(utt(id="emodb/10a04Wa", text="Heute abend könnte ich es ihm sagen.",
                        phone_alignment=raw), own, sr).phone_alignment
    good, sr = sf.read(emodb / "wav" / "03a01Fa.wav", dtype="float32")
    ok = tuple(read_xlabel(emodb / "lablaut" / "03a01Faxx.lablaut", duration=len(good) / sr))
    assert enricher(utt(phone_alignment=ok), good, sr).phone_alignment


def test_take_check_accepts_the_released_label_files(emodb):
    """Of EmoDB's 533 non-empty label files only 3 fail the check against their own wav (breath or
    noise at the edges of the take); a stricter check would throw away good alignments."""
    flagged = []
    for lab in sorted((emodb / "lablaut").glob("*xx.lablaut")):
        name = lab.name[:-len("xx.lablaut")]
        if not (emodb / "wav" / f"{name}.wav").exists():  # labels of takes that were not released
            continue
        audio, sr = sf.read(emodb / "wav" / f"{name}.wav", dtype="float32")
        segments = list(read_xlabel(lab, duration=len(audio) / sr))
        if segments and alignment_mismatch(segments, audio, sr):
            flagged.append(name)
    assert flagged == ["08a01Fd", "14a07Fd", "16b03Fa"]


def test_align_mode_on_real_audio(emodb):
    audio, sr = sf.read(emodb / "wav" / "03a01Fa.wav", dtype="float32")
    enricher = pickle.loads(pickle.dumps(make_enricher("align", card())))
    assert isinstance(enricher, AlignEnricher)
    out = enricher(utt(), audio, sr)
    assert out.phones[0] == "d" and len(out.phones) == len(out.phone_alignment)
    assert all(a.end <= b.start + 1e-9 for a, b in zip(out.phone_alignment, out.phone_alignment[1:]))
    assert 0.05 < out.phone_alignment[0].start < 0.2 and out.phone_alignment[-1].end < 1.9


def test_mfa_mode_without_mfa_says_how_to_install(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(MissingToolError, match="not on PATH") as info:
        make_enricher("mfa", card())
    assert "conda install -c conda-forge montreal-forced-aligner" in info.value.hint
