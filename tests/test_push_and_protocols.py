"""Publishing to the Hub (code path, with a recording stand-in for HfApi) and card protocols."""

import importlib
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


def test_hub_errors_become_one_message_with_a_hint(tmp_path, capsys, monkeypatch):
    """No network, a refused token: the library's errors, translated at our boundary."""
    from huggingface_hub import HfApi
    from huggingface_hub import errors as hub

    from seqd_builder.cli import main
    from seqd_builder.errors import HubError

    folder = _folder(tmp_path, "allowed")
    # the real client against a loopback port nobody listens on: what "no network" raises
    with pytest.raises(HubError, match="cannot reach the Hugging Face Hub to push 'org/ds'") as e:
        push(folder, "org/ds", api=HfApi(token="hf_x", endpoint="http://127.0.0.1:9"))
    assert "network" in e.value.hint

    class Refusing(RecordingApi):
        def create_repo(self, repo_id, **kw):
            client = importlib.import_module(hub.Response.__module__.split(".")[0])  # the hub's HTTP client
            response = hub.Response(401, request=client.Request("POST", "https://hub/api/repos/create"))
            raise hub.HfHubHTTPError("401 Client Error: Unauthorized for url: https://hub/api",
                                     response=response)
    with pytest.raises(HubError, match=r"refused 'org/ds' \(HTTP 401\)") as e:
        push(folder, "org/ds", api=Refusing())
    assert "hf auth login" in e.value.hint

    class Offline(RecordingApi):
        def upload_folder(self, **kw):
            raise hub.OfflineModeIsEnabled("Cannot reach https://huggingface.co: offline mode is enabled")
    with pytest.raises(HubError, match="offline mode"):
        push(folder, "org/ds", api=Offline())

    # through the command: one error line and a hint, exit 2 (the real HfApi, pointed at loopback)
    orig = HfApi.__init__
    monkeypatch.setattr(HfApi, "__init__", lambda self, *a, **kw: orig(
        self, *a, **{**kw, "endpoint": "http://127.0.0.1:9"}))
    assert main(["push", str(folder), "org/ds", "--token", "hf_x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot reach the Hugging Face Hub") and "Traceback" not in err
    assert "hint: check the network connection" in err


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
