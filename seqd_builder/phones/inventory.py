"""Phone sets: declared inventories and their maps onto IPA, read from ``corpora/phonesets/*.yaml``.

Why data files: a corpus brings its own phone labels (EmoDB's SAMPA with Kiel closure/release
conventions, IEMOCAP's ARPAbet), G2P and the built-in aligner speak eSpeak's IPA. Curators correct a
mapping without touching code, and the dataset card names the inventory its ``phones`` column uses.

Every set maps onto IPA; IPA symbols are grouped into broad classes (``ipa.yaml``), which is what
alignment evaluation and sequence matching fall back on when two inventories disagree in detail.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from ..assets import asset_dir
from ..errors import ConfigError, UnknownLabelError
from ..schema import PhoneSegment

#: Broad class of non-speech labels (pauses, breaths, noise).
PAUSE = "pause"
_PAUSE_LABELS = frozenset({"", "sil", "sp", "spn", "_", ".", "<eps>", "SIL", "SP"})


def phoneset_dir() -> Path:
    return asset_dir("corpora", "phonesets")


def available_phonesets() -> list[str]:
    return sorted(p.stem for p in phoneset_dir().glob("*.yaml"))


@dataclass(frozen=True)
class PhoneSet:
    """One declared inventory: its labels, their IPA values and how to fold sub-phone labels.

    ``to_ipa`` maps a native label to IPA; ``identity`` sets pass labels through (eSpeak IPA);
    ``merge_into_previous`` lists labels that belong to the preceding segment at phone level (EmoDB's
    plosive releases); ``strip`` lists characters removed before lookup (ARPAbet stress digits);
    ``aliases`` rewrites a tool's stray spellings (Praat's "?" for eSpeak's vocalic r) first.
    """

    name: str
    description: str = ""
    to_ipa: dict[str, str] = field(default_factory=dict)
    identity: bool = False
    aliases: dict[str, str] = field(default_factory=dict)
    merge_into_previous: tuple[str, ...] = ()
    strip: str = ""
    languages: dict[str, dict[str, str]] = field(default_factory=dict)
    finals: tuple[str, ...] = ()
    path: Path | None = None

    def __post_init__(self):
        if not self.identity and not self.to_ipa:
            raise ConfigError(f"phone set {self.name!r} declares neither to_ipa nor identity: true",
                              file=self.path)

    def key(self, label: str) -> str:
        label = label.strip()
        return label.rstrip(self.strip) if self.strip else label

    def ipa(self, label: str, *, where: str = "") -> str:
        """IPA for one native label; raises :class:`UnknownLabelError` naming the valid labels."""
        label = self.aliases.get(label, label)
        if self.identity:
            return label
        key = self.key(label)
        if key in self.to_ipa:
            return self.to_ipa[key]
        if self.finals and key.rstrip("012345") in self.finals:
            return key  # pinyin finals are kept as written (vowel-headed)
        raise UnknownLabelError(f"{self.name} phone", label, self.to_ipa, file=where or self.path,
                                hint=f"add it to {self.path or self.name + '.yaml'}")

    def normalise(self, segments: list[PhoneSegment], *, to_ipa: bool = True,
                  where: str = "") -> list[PhoneSegment]:
        """Phone-level segments: fold release/aspiration labels into their plosive, map to IPA.

        A merge label with no segment before it (an utterance that starts with a release) is kept as
        its own segment, mapped to the plosive it releases when the set knows it.
        """
        out: list[PhoneSegment] = []
        merge = set(self.merge_into_previous)
        for seg in segments:
            if self.key(seg.phone) in merge:
                if out and out[-1].end >= seg.start - 1e-6:
                    prev = out[-1]
                    out[-1] = PhoneSegment(prev.phone, prev.start, max(prev.end, seg.end))
                    continue
                base = self.key(seg.phone).lstrip("!")[:1] or "?"
                label = base if base in self.to_ipa else seg.phone
                out.append(PhoneSegment(label, seg.start, seg.end))
                continue
            out.append(seg)
        if to_ipa:
            out = [PhoneSegment(self.ipa(s.phone, where=where), s.start, s.end) for s in out]
        return out

    def language(self, code: str) -> dict[str, str]:
        """eSpeak/Praat names for a card language code (``de``, ``en-us``, ``cmn``)."""
        if code not in self.languages:
            raise UnknownLabelError("G2P language", code, self.languages, file=self.path,
                                    hint=f"add it to {self.path}")
        return self.languages[code]


@lru_cache(maxsize=None)
def load_phoneset(name_or_path: str) -> PhoneSet:
    """Read and validate ``corpora/phonesets/<name>.yaml`` (or a path)."""
    path = Path(name_or_path)
    if not path.suffix:
        path = phoneset_dir() / f"{name_or_path}.yaml"
    if not path.is_file():
        raise UnknownLabelError("phone set", str(name_or_path), available_phonesets(),
                                hint="phone sets live in corpora/phonesets/*.yaml")
    try:
        data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", file=path) from exc
    if not isinstance(data, dict) or "name" not in data:
        raise ConfigError("a phone set must be a mapping with a name", file=path)
    if "classes" in data:  # the IPA class table is not a phone set
        raise ConfigError("ipa.yaml is the class table; load it with ipa_classes()", file=path)
    return PhoneSet(
        name=data["name"], description=data.get("description", ""),
        to_ipa={str(k): str(v) for k, v in (data.get("to_ipa") or {}).items()},
        identity=bool(data.get("identity", False)),
        aliases={str(k): str(v) for k, v in (data.get("aliases") or {}).items()},
        merge_into_previous=tuple(str(x) for x in data.get("merge_into_previous") or ()),
        strip=str(data.get("strip", "")),
        languages={str(k): dict(v) for k, v in (data.get("languages") or {}).items()},
        finals=tuple(str(x) for x in data.get("finals") or ()), path=path)


@lru_cache(maxsize=1)
def ipa_classes() -> dict[str, str]:
    """IPA base symbol → broad class, from ``ipa.yaml``."""
    path = phoneset_dir() / "ipa.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    table: dict[str, str] = {}
    for cls, symbols in data["classes"].items():
        for sym in symbols or ():
            if sym in table:
                raise ConfigError(f"IPA symbol {sym!r} is in two classes ({table[sym]}, {cls})", file=path)
            table[str(sym)] = cls
    return table


def base_symbol(phone: str) -> str:
    """The first IPA letter of a phone, without length marks, tone digits or diacritics."""
    if phone in _PAUSE_LABELS:
        return "sil"
    for ch in unicodedata.normalize("NFD", phone):
        if unicodedata.category(ch).startswith("L") and ch not in "ːˑʰʲʷˠˤ˞":
            return ch
    return phone


def broad_class(phone: str) -> str:
    """Broad class of an IPA phone (vowel, plosive, fricative, nasal, liquid, glide, glottal, pause).

    Unknown symbols get ``other`` rather than an error: a class is a matching aid, not a check.
    """
    if phone in _PAUSE_LABELS:
        return PAUSE
    return ipa_classes().get(base_symbol(phone), "other")


def is_pause(phone: str) -> bool:
    return broad_class(phone) == PAUSE
