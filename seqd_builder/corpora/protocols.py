"""Evaluation protocols declared in corpus cards, turned into fold assignments.

Folds are data, not code: a card's ``protocols`` section names each protocol and its kind, and this
module turns it into train/validation/test index sets over a dataset's rows, checking the promise the
card makes (``speaker_independent: true`` means no speaker is in two roles of one fold). Kinds:

``speaker_folds``
    ``folds: {name: [native speaker ids]}``: each fold tests its speakers (EmoBox-style k-fold).
``leave_one_speaker_out``
    one fold per speaker (EmoDB, CASIA).
``leave_one_group_out``
    ``group: <regex>``: group 1 of the regex over the native speaker id names the group
    (IEMOCAP's sessions: ``"^(Ses0[1-5])"``).
``official_split``
    the ``split`` column: ``train``/``validation``/``test`` lists of split names (MSP-Podcast, ESD).
``listed_folds``
    ``source: emobox``: fold files listing utterance keys (EmoBox's ``<corpus>_{train,test}_fold_K.jsonl``),
    for folds that no speaker rule describes (EmoBox's EmoDB folds). The lists are another project's
    data and are not copied here: they are read at run time from ``$SEQD_EMOBOX_DATA/<corpus>/fold_K/``
    (EmoBox's ``data/`` folder) or ``$SEQD_SHARED_DATA/meta/<corpus>/emobox/folds/fold_K/``. Keys
    ``<corpus>-<native id>`` are our ids ``<corpus>/<native id>``; a fold without a train list trains
    on every row it does not test.

For the fold kinds the validation set (early stopping) is the next fold's test group in cyclic order,
taken out of the training set, unless the card sets ``validation: none``. The rule is in code, not left
to shell loops, so every submission is evaluated the same way.

Text-disjoint variants (acted corpora repeat a few sentences in every speaker and emotion, so a model
can learn the sentence instead of the emotion, and a phone head can memorise it):

``text_groups: N``
    the distinct transcripts (normalised: case, punctuation and spacing ignored; sorted) are dealt
    round-robin into N groups, and each speaker fold is crossed with each group: the test set is the
    fold's speakers *on the group's texts*, training and validation keep only rows whose text is in no
    test text. Every row is tested once; rows without a transcript are left out of every role.
    EmoDB: leave one speaker out × 2 text groups; RAVDESS: train on one statement, test on the other.
``test_ids: <regex>``
    test rows are only those whose native id matches (IEMOCAP ``_impro``: improvised utterances only,
    whose transcripts are not read from a script shared across sessions).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ConfigError, ProtocolError, UnknownLabelError

KINDS = ("speaker_folds", "leave_one_speaker_out", "leave_one_group_out", "official_split", "listed_folds")
UNKNOWN_SPEAKERS = frozenset({"unknown", "Unknown"})


@dataclass(frozen=True)
class Fold:
    """Row indices of one fold (into the dataset the protocol was applied to)."""

    name: str
    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray
    test_groups: tuple[str, ...] = ()

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "validation": len(self.validation), "test": len(self.test)}


@dataclass(frozen=True)
class Protocol:
    """One protocol of a corpus card. Build with :meth:`from_card`."""

    corpus: str
    name: str
    kind: str
    speaker_independent: bool = True
    description: str = ""
    folds_spec: dict[str, tuple[str, ...]] = field(default_factory=dict)
    group: str | None = None
    validation: str = "next_fold"
    splits: dict[str, tuple[str, ...]] = field(default_factory=dict)
    text_groups: int = 0
    test_ids: str | None = None
    source: str | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise UnknownLabelError("protocol kind", self.kind, KINDS,
                                    hint=f"fix protocol {self.name!r} in corpora/{self.corpus}.yaml")
        if self.kind == "speaker_folds" and not self.folds_spec:
            raise ConfigError(f"protocol {self.name!r} of {self.corpus}: speaker_folds needs 'folds'")
        if self.kind == "leave_one_group_out":
            if not self.group:
                raise ConfigError(f"protocol {self.name!r} of {self.corpus}: needs a 'group' regex")
            re.compile(self.group)
        if self.kind == "official_split" and "test" not in self.splits:
            raise ConfigError(f"protocol {self.name!r} of {self.corpus}: official_split needs 'test'")
        if not isinstance(self.text_groups, int) or self.text_groups < 0 or self.text_groups == 1:
            raise ConfigError(f"protocol {self.name!r} of {self.corpus}: text_groups must be 0 (off) or "
                              f"an integer >= 2, not {self.text_groups!r}")
        if self.text_groups and self.kind == "official_split":
            raise ConfigError(f"protocol {self.name!r} of {self.corpus}: text_groups needs speaker folds")
        if self.test_ids is not None:
            re.compile(self.test_ids)
        if self.kind == "listed_folds" and self.source != "emobox":
            raise UnknownLabelError("fold list source", self.source, ("emobox",),
                                    hint=f"fix protocol {self.name!r} in corpora/{self.corpus}.yaml")
        if self.validation not in ("next_fold", "none"):
            raise UnknownLabelError("validation rule", self.validation, ("next_fold", "none"))
        if self.kind == "speaker_folds":
            seen: dict[str, str] = {}
            for fold, speakers in self.folds_spec.items():
                for spk in speakers:
                    if spk in seen:
                        raise ProtocolError(f"protocol {self.name!r} of {self.corpus}: speaker {spk!r} "
                                            f"is in folds {seen[spk]!r} and {fold!r}")
                    seen[spk] = fold

    @classmethod
    def from_card(cls, card, name: str) -> Protocol:
        if name not in card.protocols:
            raise UnknownLabelError("protocol", name, card.protocols,
                                    file=card.path, hint="protocols are declared in the corpus card")
        spec = dict(card.protocols[name])
        kind = spec.pop("kind", None)
        folds = {str(k): tuple(str(s) for s in v) for k, v in (spec.pop("folds", None) or {}).items()}
        splits = {k: tuple(v if isinstance(v, list) else [v])
                  for k in ("train", "validation", "test")
                  # for fold kinds `validation` is the rule (next_fold | none), not a split list
                  if kind == "official_split" and (v := spec.pop(k, None)) is not None}
        allowed = {"speaker_independent", "description", "group", "validation", "published", "seed",
                   "rule", "text_groups", "test_ids", "source"}
        unknown = set(spec) - allowed
        if unknown:
            raise ConfigError(f"protocol {name!r}: unknown fields {sorted(unknown)}; valid: "
                              f"{sorted(allowed | {'kind', 'folds', 'train', 'validation', 'test'})}",
                              file=card.path)
        return cls(corpus=card.name, name=name, kind=kind,
                   speaker_independent=spec.get("speaker_independent", True),
                   description=spec.get("description", ""), folds_spec=folds, group=spec.get("group"),
                   validation=(spec.get("validation", "next_fold")
                               if kind not in ("official_split", "listed_folds") else "none"),
                   splits=splits, text_groups=spec.get("text_groups", 0) or 0,
                   test_ids=spec.get("test_ids"), source=spec.get("source"))

    # --- applying the protocol ---------------------------------------------------------------------

    def _native(self, speaker: str) -> str:
        prefix = f"{self.corpus}/"
        return speaker[len(prefix):] if speaker.startswith(prefix) else speaker

    def groups(self, speakers: Sequence[str]) -> list[str | None]:
        """The fold group of each row (None: in no test group, e.g. an unknown speaker)."""
        native = [self._native(s) for s in speakers]
        if self.kind == "leave_one_speaker_out":
            return [None if s in UNKNOWN_SPEAKERS else s for s in native]
        if self.kind == "leave_one_group_out":
            pattern = re.compile(self.group)
            out = []
            for s in native:
                m = pattern.search(s)
                out.append(m.group(1) if m else None)
            return out
        if self.kind == "speaker_folds":
            lookup = {spk: fold for fold, spks in self.folds_spec.items() for spk in spks}
            return [lookup.get(s) for s in native]
        raise ProtocolError(f"protocol {self.name!r} is an official split, it has no groups")

    def folds(self, speakers: Sequence[str], splits: Sequence[str] | None = None,
              texts: Sequence[str | None] | None = None,
              ids: Sequence[str] | None = None) -> list[Fold]:
        """Fold assignments over rows with these speakers (and split names, for official splits).

        ``texts`` (transcripts) are needed by ``text_groups`` protocols and ``ids`` by ``test_ids``.
        """
        if self.kind == "listed_folds":
            if ids is None:
                raise ProtocolError(f"protocol {self.name!r} needs the rows' ids")
            from .fold_lists import listed_folds

            folds = listed_folds(self.corpus, ids)
        elif self.kind == "official_split":
            if splits is None:
                raise ProtocolError(f"protocol {self.name!r} needs the rows' split names")
            split_arr = np.asarray(splits)
            idx = {role: np.flatnonzero(np.isin(split_arr, names)) for role, names in self.splits.items()}
            fold = Fold(self.name, idx.get("train", np.array([], int)),
                        idx.get("validation", np.array([], int)), idx["test"],
                        tuple(self.splits["test"]))
            folds = [fold]
        else:
            groups = self.groups(speakers)
            order = (list(self.folds_spec) if self.kind == "speaker_folds"
                     else sorted({g for g in groups if g is not None}))
            missing = [g for g in order if g not in set(groups)]
            if self.kind == "speaker_folds" and missing:
                raise ProtocolError(f"protocol {self.name!r} of {self.corpus}: folds {missing} match no "
                                    f"speaker in the data")
            garr = np.array([g if g is not None else "\0" for g in groups], dtype=object)
            folds = []
            for i, group in enumerate(order):
                test = np.flatnonzero(garr == group)
                if self.validation == "next_fold" and len(order) > 1:
                    vgroup = order[(i + 1) % len(order)]
                    validation = np.flatnonzero(garr == vgroup)
                else:
                    vgroup, validation = None, np.array([], int)
                train = np.flatnonzero((garr != group) & (garr != vgroup))
                folds.append(Fold(str(group), train, validation, test, (str(group),)))
        if self.test_ids is not None:
            folds = self._filter_test(folds, ids)
        if self.text_groups:
            folds = self._cross_texts(folds, texts)
        if self.speaker_independent:
            check_speaker_disjoint(self, folds, speakers)
        return folds


    def _filter_test(self, folds: list[Fold], ids: Sequence[str] | None) -> list[Fold]:
        if ids is None:
            raise ProtocolError(f"protocol {self.name!r} of {self.corpus} selects test rows by id "
                                f"({self.test_ids!r}) and needs the rows' ids")
        pattern = re.compile(self.test_ids)
        match = np.array([bool(pattern.search(self._native(i))) for i in ids], dtype=bool)
        out = [dataclasses.replace(f, test=f.test[match[f.test]]) for f in folds]
        empty = [f.name for f in out if not len(f.test)]
        if empty:
            raise ProtocolError(f"protocol {self.name!r} of {self.corpus}: no test id of folds {empty} "
                                f"matches {self.test_ids!r}",
                                hint="this copy of the corpus lacks those utterances; use the standard "
                                     "protocol")
        return out

    def _cross_texts(self, folds: list[Fold], texts: Sequence[str | None] | None) -> list[Fold]:
        if texts is None:
            raise ProtocolError(f"protocol {self.name!r} of {self.corpus} is text-disjoint and needs the "
                                f"rows' transcripts")
        keys = [normalise_text(t) for t in texts]
        distinct = sorted({k for k in keys if k})
        if len(distinct) < self.text_groups:
            found = ", ".join(repr(t) for t in distinct[:5]) or "none"
            raise ProtocolError(
                f"protocol {self.name!r} of {self.corpus} needs at least {self.text_groups} distinct "
                f"transcripts to hold texts out; the data has {len(distinct)} ({found})",
                hint="a partial copy of the corpus (e.g. the RAVDESS subset with statement 01 only) "
                     "cannot be evaluated text-disjointly; use the standard protocol and report its "
                     "text overlap")
        group_of = {t: i % self.text_groups for i, t in enumerate(distinct)}
        tgroup = np.array([group_of.get(k, -1) if k else -1 for k in keys], dtype=int)
        out = []
        for f in folds:
            for g in range(self.text_groups):
                def other(idx: np.ndarray, g: int = g) -> np.ndarray:  # known text, not a test text
                    return idx[(tgroup[idx] != g) & (tgroup[idx] >= 0)]

                out.append(Fold(f"{f.name}/t{g + 1}", other(f.train), other(f.validation),
                                f.test[tgroup[f.test] == g],
                                tuple(f"{x}/t{g + 1}" for x in f.test_groups)))
        return out


def normalise_text(text: str | None) -> str:
    """A transcript as compared for text overlap: lower case, letters and digits, single spaces."""
    if not text:
        return ""
    return " ".join(re.sub(r"[^\w]+", " ", str(text).lower()).split())


def check_speaker_disjoint(protocol: Protocol, folds: Sequence[Fold], speakers: Sequence[str]) -> None:
    """Raise :class:`ProtocolError` when a fold puts one known speaker in two roles."""
    spk = np.asarray([protocol._native(s) for s in speakers], dtype=object)
    for fold in folds:
        sets = {role: set(spk[getattr(fold, role)]) - UNKNOWN_SPEAKERS
                for role in ("train", "validation", "test")}
        for a, b in (("train", "test"), ("train", "validation"), ("validation", "test")):
            shared = sets[a] & sets[b]
            if shared:
                raise ProtocolError(
                    f"protocol {protocol.name!r} of {protocol.corpus} claims to be speaker-independent, "
                    f"but fold {fold.name!r} has speakers in both {a} and {b}: "
                    f"{', '.join(sorted(shared)[:10])}",
                    hint="fix the protocol's folds in the corpus card or set speaker_independent: false")


def protocol_summary(card) -> list[dict[str, Any]]:
    """Protocols of a card as plain dicts, for the dataset card."""
    return [{"name": name, **{k: v for k, v in spec.items() if k != "folds"},
             **({"folds": {str(k): list(map(str, v)) for k, v in spec["folds"].items()}}
                if "folds" in spec else {})}
            for name, spec in card.protocols.items()]
