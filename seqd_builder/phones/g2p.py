"""Grapheme-to-phoneme: eSpeak NG through phonemizer (IPA), pypinyin for Mandarin initials/finals.

Offline by construction: the eSpeak NG shared library and its data come from the ``espeakng-loader``
wheel, so no system package is needed and nothing is downloaded. Backends are created once per
process and language (creating one loads the voice, ~50 ms).
"""

from __future__ import annotations

import re
from functools import lru_cache

from ..errors import MissingToolError, SeqdError
from .inventory import load_phoneset

_WORD_SEP = " | "


@lru_cache(maxsize=1)
def _use_bundled_espeak() -> None:
    try:
        import espeakng_loader
        from phonemizer.backend.espeak.wrapper import EspeakWrapper
    except ImportError as exc:  # pragma: no cover - both are hard dependencies
        raise MissingToolError(f"G2P needs phonemizer and espeakng-loader: {exc}",
                               hint="pip install phonemizer espeakng-loader") from exc
    EspeakWrapper.set_library(espeakng_loader.get_library_path())
    EspeakWrapper.set_data_path(espeakng_loader.get_data_path())


def espeak_language(code: str) -> str:
    """The eSpeak voice for a card language code (``de`` → ``de``, ``zh`` → ``cmn``)."""
    return load_phoneset("espeak_ipa").language(code)["espeak"]


@lru_cache(maxsize=8)
def _backend(voice: str):
    _use_bundled_espeak()
    from phonemizer.backend import EspeakBackend

    try:
        return EspeakBackend(voice, preserve_punctuation=False, with_stress=False,
                             language_switch="remove-flags")
    except RuntimeError as exc:
        raise SeqdError(f"eSpeak NG has no voice {voice!r}: {exc}",
                        hint="use a code from corpora/phonesets/espeak_ipa.yaml") from exc


def g2p_words(text: str, language: str) -> list[tuple[str, ...]]:
    """IPA phones per word of ``text`` (eSpeak NG); ``language`` is a card code such as ``de``."""
    from phonemizer.separator import Separator

    voice = espeak_language(language) if language in load_phoneset("espeak_ipa").languages else language
    backend = _backend(voice)
    out = backend.phonemize([text], separator=Separator(phone=" ", word=_WORD_SEP, syllable=None),
                            strip=True)[0]
    words = [tuple(w.split()) for w in out.split("|")]
    return [w for w in words if w]


def g2p(text: str, language: str) -> tuple[str, ...]:
    """IPA phone sequence of ``text`` (words concatenated, no pause symbols)."""
    return tuple(p for word in g2p_words(text, language) for p in word)


_HAN = re.compile(r"[\u3400-\u9fff]")


def pinyin_phones(text: str, *, tones: bool = True) -> tuple[str, ...]:
    """Mandarin initials and finals of ``text`` (pypinyin), e.g. 北京 → b ei3 j ing1.

    Zero-initial syllables contribute only their final; characters pypinyin cannot read (Latin
    letters, punctuation) are skipped. Finals carry the tone digit (5 = neutral) when ``tones``.
    """
    from pypinyin import Style, pinyin

    initials = pinyin(text, style=Style.INITIALS, strict=True, errors="ignore")
    finals = pinyin(text, style=Style.FINALS_TONE3 if tones else Style.FINALS, strict=True,
                    errors="ignore", neutral_tone_with_five=True)
    out: list[str] = []
    for (ini,), (fin,) in zip(initials, finals):
        if ini:
            out.append(ini)
        if fin:
            out.append(fin)
    return tuple(out)
