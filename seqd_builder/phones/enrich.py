"""The build pipeline's phone hook: ``make_enricher(mode, card)`` fills ``phones``/``phone_alignment``.

Modes (``seqd build --phones MODE``; a corpus' default is ``phones.default_mode`` in its card):

``none``
    keep whatever the adapter put there (possibly nothing).
``g2p``
    phones from the transcript (eSpeak NG IPA, or pypinyin initials/finals); no alignment.
``corpus``
    the corpus' own alignment (EmoDB lablaut, IEMOCAP phseg, MSP-Podcast TextGrid, named by the
    adapter and read in the build's workers with :mod:`seqd_builder.phones.readers`), folded to phone
    level and mapped to IPA through the card's inventory; utterances without one fall back to
    ``g2p``. An alignment that cannot belong to the recording (:mod:`~seqd_builder.phones.checks`;
    3 of EmoDB's 533) raises :class:`PhonesFallback` carrying the utterance with G2P phones and no
    alignment, so the pipeline records ``phones_failed`` and publishes no wrong times.
``align``
    the built-in aligner (Praat + eSpeak NG, tuned; :class:`~seqd_builder.phones.PraatAligner`).
``mfa``
    Montreal Forced Aligner over the whole corpus in :meth:`MfaEnricher.prepare`, one batch.

Card keys (``phones:`` mapping in ``corpora/<name>.yaml``), all optional:

=====================  ========================================================================
``default_mode``       the mode a build uses when ``--phones`` is not given (default ``g2p`` when
                       the card has texts, else ``none``; decided by the caller)
``inventory``          phone set of the corpus' own labels, ``corpora/phonesets/<inventory>.yaml``
                       (``emodb_sampa``, ``arpabet``); default ``espeak_ipa``
``output``             ``ipa`` (default: corpus labels mapped to IPA, comparable across corpora)
                       or ``native`` (keep the corpus' labels, releases still folded)
``g2p_language``       eSpeak/Praat language code from ``espeak_ipa.yaml`` (``de``, ``en-us``,
                       ``cmn``); default: the card's ``language``
``g2p``                ``espeak`` (default) or ``pypinyin`` (Mandarin initials/finals)
``mfa_dictionary``     MFA dictionary name or path (default: the language's ``mfa`` entry in
                       ``espeak_ipa.yaml``, e.g. ``german_mfa``)
``mfa_acoustic_model`` MFA acoustic model name or path; absent: train-and-align on the corpus
=====================  ========================================================================

Enrichers are module-level classes holding only plain settings, so they pickle to worker processes.
Phone sequences exclude pauses; alignments list speech phones only (gaps are pauses).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np

from ..audio import SAMPLING_RATE, read_mono
from ..errors import ConfigError, SeqdError
from ..schema import PhoneSegment, Utterance
from .checks import alignment_mismatch
from .inventory import is_pause, load_phoneset

MODES = ("none", "g2p", "corpus", "align", "mfa")
_KEYS = ("default_mode", "inventory", "output", "g2p_language", "g2p", "mfa_dictionary",
         "mfa_acoustic_model", "alignment")  # alignment: where the corpus' own alignments are (doc)


def phone_settings(card) -> dict[str, Any]:
    """The card's ``phones`` mapping, checked, with defaults filled in."""
    spec = dict(getattr(card, "phones", None) or {})
    where = str(getattr(card, "path", None) or getattr(card, "name", "card"))
    unknown = sorted(set(spec) - set(_KEYS))
    if unknown:
        raise ConfigError(f"unknown phones keys {', '.join(unknown)}; valid: {', '.join(_KEYS)}",
                          file=where)
    if spec.get("default_mode", "none") not in MODES:
        raise ConfigError(f"phones.default_mode {spec['default_mode']!r}; valid: {', '.join(MODES)}",
                          file=where)
    if spec.get("output", "ipa") not in ("ipa", "native"):
        raise ConfigError(f"phones.output {spec['output']!r}; valid: ipa, native", file=where)
    if spec.get("g2p", "espeak") not in ("espeak", "pypinyin"):
        raise ConfigError(f"phones.g2p {spec['g2p']!r}; valid: espeak, pypinyin", file=where)
    language = spec.get("g2p_language") or card.language
    return {"inventory": spec.get("inventory", "espeak_ipa"), "output": spec.get("output", "ipa"),
            "language": language, "g2p": spec.get("g2p", "espeak"),
            "mfa_dictionary": spec.get("mfa_dictionary"),
            "mfa_acoustic_model": spec.get("mfa_acoustic_model"),
            "default_mode": spec.get("default_mode")}


def _speech(segments) -> tuple[PhoneSegment, ...]:
    return tuple(s for s in segments if not is_pause(s.phone))


class Enricher:
    """Base of the phone enrichers: ``__call__`` per utterance, optional ``prepare`` per corpus."""

    def prepare(self, utterances: list[Utterance], workdir: Path) -> None:  # noqa: B027
        """Called once before the streaming pass; most enrichers need nothing."""

    def __call__(self, utt: Utterance, audio: np.ndarray, sr: int) -> Utterance:
        raise NotImplementedError


class G2PEnricher(Enricher):
    """Phones from the transcript. Raises :class:`SeqdError` for an utterance without text."""

    def __init__(self, language: str, backend: str = "espeak"):
        self.language, self.backend = language, backend

    def phones(self, utt: Utterance) -> tuple[str, ...]:
        from .g2p import g2p, pinyin_phones

        if not utt.text or not utt.text.strip():
            raise SeqdError(f"{utt.id}: no transcript to convert to phones")
        phones = pinyin_phones(utt.text) if self.backend == "pypinyin" else g2p(utt.text, self.language)
        if not phones:
            raise SeqdError(f"{utt.id}: G2P ({self.backend}, {self.language}) gave no phones for "
                            f"{utt.text!r}")
        return phones

    def __call__(self, utt: Utterance, audio: np.ndarray, sr: int) -> Utterance:
        # an adapter-supplied alignment would disagree with G2P phones, so it is not kept
        return dataclasses.replace(utt, phones=self.phones(utt), phone_alignment=None)


class PhonesFallback(SeqdError):
    """The phones given could not be used; ``utterance`` (when not None) is the row to publish instead.

    A warning, not a failure: the pipeline reports the message as ``phones_failed`` and keeps
    ``utterance``, or no phones at all when there is none.
    """

    def __init__(self, message: str, *, utterance: Utterance | None, **kw):
        super().__init__(message, **kw)
        self.utterance = utterance


class CorpusEnricher(Enricher):
    """The corpus' own alignment, mapped through its inventory; G2P where an utterance has none."""

    def __init__(self, inventory: str, output: str, fallback: G2PEnricher | None):
        self.inventory, self.output, self.fallback = inventory, output, fallback

    def __call__(self, utt: Utterance, audio: np.ndarray, sr: int) -> Utterance:
        phoneset = load_phoneset(self.inventory)
        to_ipa = self.output == "ipa"
        if utt.phone_alignment:
            segments = phoneset.normalise(list(utt.phone_alignment), to_ipa=to_ipa,
                                          where=utt.source_file)
            problem = alignment_mismatch(segments, audio, sr) if audio is not None else None
            if problem:
                bare = dataclasses.replace(utt, phones=(), phone_alignment=None)
                try:
                    fallback = self.fallback(bare, audio, sr) if self.fallback and utt.text else None
                except SeqdError:
                    fallback = None
                raise PhonesFallback(
                    f"{utt.id}: the corpus alignment does not belong to this recording: {problem}"
                    + ("; G2P phones kept instead, without times" if fallback else ""),
                    utterance=fallback, file=utt.source_file,
                    hint="the label file was probably made on another take")
            speech = _speech(segments)
            return dataclasses.replace(utt, phones=tuple(s.phone for s in speech),
                                       phone_alignment=speech)
        if utt.phones:
            phones = tuple(phoneset.ipa(p, where=utt.source_file) if to_ipa else p for p in utt.phones)
            return dataclasses.replace(utt, phones=tuple(p for p in phones if not is_pause(p)))
        if self.fallback is None:
            raise SeqdError(f"{utt.id}: the corpus supplies no phones and there is no transcript")
        return self.fallback(utt, audio, sr)


class AlignEnricher(Enricher):
    """The built-in Praat aligner; voice follows the speaker's gender."""

    def __init__(self, language: str, aligner=None):
        from .praat_align import PraatAligner

        self.aligner = aligner or PraatAligner(language=language)

    def __call__(self, utt: Utterance, audio: np.ndarray, sr: int) -> Utterance:
        if not utt.text or not utt.text.strip():
            raise SeqdError(f"{utt.id}: no transcript to align")
        result = self.aligner.for_speaker(utt.gender).align(audio, sr, utt.text)
        speech = result.speech_phones()
        return dataclasses.replace(utt, phones=tuple(s.phone for s in speech), phone_alignment=speech)


class MfaEnricher(Enricher):
    """Montreal Forced Aligner: ``prepare`` aligns the corpus in one run, ``__call__`` reads back."""

    def __init__(self, dictionary: str, acoustic_model: str | None, jobs: int = 1):
        self.dictionary, self.acoustic_model, self.jobs = dictionary, acoustic_model, jobs
        self.output_dir: Path | None = None

    def prepare(self, utterances: list[Utterance], workdir: Path) -> None:
        from .mfa import MfaJob, find_mfa, safe_name, write_corpus_item

        find_mfa()  # fail before writing a corpus copy
        workdir = Path(workdir)
        corpus = workdir / "mfa_corpus"
        for utt in utterances:
            if utt.text and utt.audio_path:
                audio, sr = load_utterance_audio(utt)
                write_corpus_item(corpus, utt.speaker, safe_name(utt.id), audio, sr, utt.text)
        job = MfaJob(corpus, workdir / "mfa_aligned", self.dictionary, self.acoustic_model, self.jobs)
        job.run()
        self.output_dir = job.output_dir

    def __call__(self, utt: Utterance, audio: np.ndarray, sr: int) -> Utterance:
        from .mfa import MfaError, find_alignment, safe_name

        if self.output_dir is None:
            raise MfaError("MfaEnricher.prepare() was not called before the streaming pass")
        speech = _speech(find_alignment(self.output_dir, safe_name(utt.id)))
        return dataclasses.replace(utt, phones=tuple(s.phone for s in speech), phone_alignment=speech)


def load_utterance_audio(utt: Utterance, sr: int = SAMPLING_RATE) -> tuple[np.ndarray, int]:
    """Mono float32 audio of an utterance (its segment, if cut from a longer file) at ``sr``."""
    start, end = utt.segment if utt.segment is not None else (0.0, None)
    return read_mono(utt.audio_path, start=start, end=end, target=sr), sr


def make_enricher(mode: str, card) -> Enricher | None:
    """The enricher for ``mode`` over the corpus ``card``; ``None`` for ``none``."""
    if mode not in MODES:
        raise ConfigError(f"phones mode {mode!r}; valid: {', '.join(MODES)}",
                          hint="seqd build … --phones g2p|corpus|align|mfa|none")
    settings = phone_settings(card)
    if mode == "none":
        return None
    g2p = G2PEnricher(settings["language"], settings["g2p"])
    if mode == "g2p":
        return g2p
    if mode == "corpus":
        load_phoneset(settings["inventory"])  # fail at start, not per utterance
        return CorpusEnricher(settings["inventory"], settings["output"], g2p)
    if mode == "align":
        return AlignEnricher(settings["language"])
    from .mfa import find_mfa

    find_mfa()
    dictionary = (settings["mfa_dictionary"]
                  or load_phoneset("espeak_ipa").language(settings["language"]).get("mfa"))
    if not dictionary:
        raise ConfigError(f"no MFA dictionary for language {settings['language']!r}",
                          hint="set phones.mfa_dictionary in the corpus card")
    return MfaEnricher(dictionary, settings["mfa_acoustic_model"])
