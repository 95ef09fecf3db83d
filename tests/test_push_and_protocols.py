"""Publishing to the Hub (code path, with a recording stand-in for HfApi) and card protocols."""

import json

import numpy as np
import pytest

from seqd_builder.corpora.card import load_card
from seqd_builder.corpora.protocols import Protocol
from seqd_builder.errors import ConfigError, ProtocolError
from seqd_builder.publish import push


class RecordingApi:
    def __init__(self):
        self.calls = []

    def create_repo(self, repo_id, **kw):
        self.calls.append(("create_repo", repo_id, kw))

    def upload_folder(self, **kw):
        self.calls.append(("upload_folder", kw))
        return type("CommitInfo", (), {"commit_url": f"https://hub/{kw['repo_id']}/commit/1"})()


def _folder(tmp_path, redistribution):
    (tmp_path / "README.md").write_text("---\n---\n")
    (tmp_path / "manifest.json").write_text(json.dumps(
        {"configs": {"x": {"card": {"licence": {"redistribution": redistribution}}}}}))
    return tmp_path


def test_push_uploads_the_folder_without_staging(tmp_path):
    api = RecordingApi()
    url = push(_folder(tmp_path, "allowed"), "org/ds", api=api)
    assert url == "https://hub/org/ds/commit/1"
    (_, repo, kw), (_, up) = api.calls
    assert repo == "org/ds" and kw == {"repo_type": "dataset", "private": False, "exist_ok": True}
    assert up["repo_type"] == "dataset" and ".seqd-build/**" in up["ignore_patterns"]


def test_restricted_corpora_need_private_and_rights(tmp_path):
    folder = _folder(tmp_path, "restricted")
    with pytest.raises(ConfigError, match="does not allow redistribution"):
        push(folder, "org/ds", api=RecordingApi())
    with pytest.raises(ConfigError):
        push(folder, "org/ds", private=True, api=RecordingApi())
    api = RecordingApi()
    push(folder, "org/ds", private=True, allow_restricted=True, api=api)
    assert api.calls[0][2]["private"] is True


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
