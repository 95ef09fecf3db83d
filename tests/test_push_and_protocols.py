"""Card protocols (the Hub upload: tests/test_reliability_push.py)."""

import numpy as np
import pytest

from seqd_builder.corpora.card import load_card
from seqd_builder.corpora.protocols import Protocol
from seqd_builder.errors import ProtocolError


# the upload itself (certified files, checksums, repository visibility) is tested on a real build in
# tests/test_reliability_push.py


def test_ravdess_folds_are_speaker_disjoint_and_cover_everyone():
    card = load_card("ravdess")
    speakers = [f"ravdess/{a:02d}" for a in range(1, 25) for _ in range(15)]
    folds = Protocol.from_card(card, "speaker_folds").folds(speakers)
    assert len(folds) == 6
    assert sorted(np.concatenate([f.test for f in folds]).tolist()) == list(range(360))
    for f in folds:
        assert f.sizes() == {"train": 240, "validation": 60, "test": 60}


def test_loso_on_emodb_has_ten_folds():
    card = load_card("emodb")
    speakers = ["emodb/03", "emodb/08", "emodb/09", "emodb/10"] * 3
    folds = Protocol.from_card(card, "loso").folds(speakers)
    assert [f.name for f in folds] == ["03", "08", "09", "10"]
    assert folds[0].validation.tolist() == [1, 5, 9]


def test_a_protocol_that_breaks_speaker_independence_is_refused():
    card = load_card("ravdess")
    spec = dict(card.protocols["speaker_folds"])
    spec["folds"] = {"a": ["01", "02"], "b": ["02", "03"]}
    with pytest.raises(ProtocolError, match="speaker '02' is in folds 'a' and 'b'"):
        Protocol.from_card(type("C", (), {"name": "ravdess", "protocols": {"p": spec},
                                          "path": card.path})(), "p")
