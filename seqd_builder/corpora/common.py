"""Helpers shared by several adapters: transcript decoding, count checks, warnings, fold generation.

Nothing here knows a particular corpus; what differs between corpora (encoding orders, expected
counts, fold seeds) comes from the corpus cards.
"""

from __future__ import annotations

import codecs
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

# Byte-order marks, longest first (the UTF-32-LE mark starts with the UTF-16-LE one).
_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
# A decode that yields C0 controls other than TAB/LF/CR, C1 controls (U+0080-U+009F: latin-1 reading
# of cp1252 quotes) or NUL (UTF-16 read as a one-byte code) is a wrong guess, even if it is "valid".
_IMPLAUSIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")


@dataclass(frozen=True)
class Decoded:
    """Text of a file and how it was decoded (``method``: bom, declared or detected)."""

    text: str
    encoding: str
    method: str


def decode_text(data: bytes, declared: Sequence[str], *, detect: bool = True) -> Decoded | None:
    """Decode a transcript whose encoding nobody recorded.

    Order: a byte-order mark decides first; then each encoding of ``declared`` is tried strictly
    (the corpus card lists the encodings known to occur, most specific first, e.g. ``ascii`` before
    ``utf-8`` so that plain files are recorded as ASCII); then charset-normalizer's best guess.
    A decode containing control characters or replacement marks is treated as wrong and the next
    candidate is tried. Returns None when nothing gives plausible text. ``detect=False`` skips the
    detector (it guesses poorly on single short lines).
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                break
            return Decoded(text, "utf-16" if encoding == "utf-16" else encoding, "bom")
    for encoding in declared:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        if not _IMPLAUSIBLE.search(text):
            return Decoded(text, encoding, "declared")
    if not detect:
        return None
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None:
        text = str(best)
        if not _IMPLAUSIBLE.search(text):
            return Decoded(text, best.encoding, "detected")
    return None


def compare_counts(what: str, expected: Mapping[str, int], found: Mapping[str, int]) -> list[str]:
    """One message per key whose count differs from the published one (expected vs found)."""
    out = []
    for key in sorted(set(expected) | set(found), key=str):
        want, got = expected.get(key, 0), found.get(key, 0)
        if want != got:
            out.append(f"{what} {key}: expected {want}, found {got}")
    return out


def balanced_speaker_folds(genders: Mapping[str, str], n_folds: int, seed: int) -> list[list[str]]:
    """Speaker-independent folds balanced by gender: the documented rule behind committed fold lists.

    Speakers of each gender (genders in sorted order) are sorted by id, shuffled with
    ``random.Random(seed)``, and dealt round-robin over the folds, the second gender continuing where
    the first stopped so that fold sizes differ by at most one. Each fold's list is sorted.
    """
    rng = random.Random(seed)
    folds: list[list[str]] = [[] for _ in range(n_folds)]
    position = 0
    for gender in sorted(set(genders.values())):
        speakers = sorted(s for s, g in genders.items() if g == gender)
        rng.shuffle(speakers)
        for spk in speakers:
            folds[position % n_folds].append(spk)
            position += 1
    return [sorted(f) for f in folds]


def casefold_table(aliases: Mapping[str, Iterable[str]]) -> dict[str, str]:
    """alias (case-folded) → canonical name, from ``{canonical: [aliases]}``; the canonical name is
    its own alias."""
    table: dict[str, str] = {}
    for canonical, names in aliases.items():
        for name in (canonical, *names):
            table[str(name).casefold()] = canonical
    return table
