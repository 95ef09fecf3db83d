"""`seqd push` uploads only what a finished build certified, and only where the licence allows.
huggingface_hub runs for real up to its HTTP client, which answers from a mock transport
(no network): ``repo_info`` parses the Hub's JSON, ``create_repo`` meets a 409 for an existing repo.
The commit itself (pre-upload, LFS/Xet transfer) is replaced by a recorder of its operations.
"""

import json
import os
import signal
import subprocess
import sys

import httpx2
import pytest
from huggingface_hub import HfApi
from huggingface_hub.utils import _http as hf_http

from seqd_builder import testing
from seqd_builder.pipeline import build
from seqd_builder.errors import BuildError, ConfigError
from seqd_builder.publish import push


class Hub:
    """The Hub's answers for repositories it knows (name -> private flag)."""

    def __init__(self, repos):
        self.repos = dict(repos)
        self.requests = []
        self.commits = []

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append((request.method, request.url.path))
        if request.method == "POST" and request.url.path == "/api/repos/create":
            body = json.loads(request.content)
            repo = f"{body['organization']}/{body['name']}"
            if repo in self.repos:
                return httpx2.Response(409, json={"error": "You already created this dataset repo",
                                                 "url": f"https://huggingface.co/datasets/{repo}"})
            self.repos[repo] = body.get("visibility") == "private"
            return httpx2.Response(200, json={"url": f"https://huggingface.co/datasets/{repo}"})
        if request.method == "GET" and request.url.path.startswith("/api/datasets/"):
            repo = request.url.path.removeprefix("/api/datasets/")
            if repo not in self.repos:
                return httpx2.Response(404, headers={"X-Error-Code": "RepoNotFound"},
                                       json={"error": "Repository not found"})
            return httpx2.Response(200, json={"id": repo, "private": self.repos[repo], "sha": "0" * 40})
        return httpx2.Response(500, json={"error": f"unexpected {request.method} {request.url}"})


@pytest.fixture()
def hub(monkeypatch):
    state = Hub({"org/public": False, "org/secret": True})
    hf_http.set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(state.handle)))
    hf_http.close_session()

    def create_commit(self, repo_id, operations, **kw):
        state.commits.append((repo_id, sorted(op.path_in_repo for op in operations)))
        return type("CommitInfo", (), {"commit_url": f"https://huggingface.co/datasets/{repo_id}/commit/1"})()

    monkeypatch.setattr(HfApi, "create_commit", create_commit)
    yield state
    hf_http.set_client_factory(hf_http.default_client_factory)
    hf_http.close_session()


@pytest.fixture(scope="module")
def tree(shared_data, tmp_path_factory):
    return testing.make_ravdess_tree(tmp_path_factory.mktemp("tree"), actors=[1, 2], limit=8)


@pytest.fixture()
def built(tree, tmp_path):
    out = tmp_path / "hf"
    build(["ravdess"], out, root=tree, progress=False, phones="none", max_shard_bytes=1 << 19)
    return out


def test_push_uploads_exactly_the_certified_files(built, hub):
    (built / "data" / "ravdess" / "train-99999.parquet").write_bytes(b"stray")  # not in the manifest
    url = push(built, "org/new", token="hf_x")
    assert url == "https://huggingface.co/datasets/org/new/commit/1"
    [(repo, files)] = hub.commits
    manifest = json.loads((built / "manifest.json").read_text())["configs"]["ravdess"]
    shards = sorted(manifest["file_sha256"])
    assert len(shards) >= 3 and [f for f in files if f.endswith(".parquet")] == shards
    assert {"README.md", "manifest.json", "rejected.jsonl", "checksums/ravdess.sha256",
            "reports/ravdess/rejected.jsonl", "reports/ravdess/skipped.jsonl"} <= set(files)
    assert not any(".seqd-build" in f or "lock" in f or "99999" in f for f in files)


def test_a_changed_shard_is_not_uploaded(built, hub):
    shard = sorted((built / "data" / "ravdess").glob("*.parquet"))[1]
    data = bytearray(shard.read_bytes())
    data[100] ^= 0xFF
    shard.write_bytes(bytes(data))
    with pytest.raises(BuildError, match=rf"{shard.name}: does not match the SHA-256"):
        push(built, "org/new", token="hf_x")
    assert hub.commits == [] and hub.requests == []


def test_kill_at_the_manifest_write_leaves_nothing_to_push(tree, built, hub):
    # a second build of a changed tree, killed after its shards were linked but before its manifest
    (tree / "Audio_Speech_Actors_01-24" / "Actor_02" / "notes.txt").write_text("new\n")
    try:
        env = {**os.environ, "SEQD_TEST_KILL_AT": "reports:1"}
        proc = subprocess.run([sys.executable, "-c", "import sys; from seqd_builder.cli import main; "
                               "sys.exit(main())", "build", "ravdess", "--root", str(tree), "--out",
                               str(built), "--phones", "none", "-q", "--force"], env=env,
                              capture_output=True, text=True, timeout=300)
    finally:
        (tree / "Audio_Speech_Actors_01-24" / "Actor_02" / "notes.txt").unlink()
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    with pytest.raises(BuildError, match="unfinished build"):
        push(built, "org/new", token="hf_x")
    assert hub.commits == []


def test_a_card_that_is_not_the_manifests_is_not_uploaded(built, hub):
    card = built / "README.md"
    card.write_text(card.read_text().replace("Found", "Found about"))
    with pytest.raises(BuildError, match="is not the dataset card of"):
        push(built, "org/new", token="hf_x")
    assert hub.commits == []


def _restrict(folder):
    from seqd_builder.publish import write_card

    path = folder / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["configs"]["ravdess"]["card"]["licence"]["redistribution"] = "restricted"
    path.write_text(json.dumps(manifest))
    write_card(folder, manifest)


def test_restricted_data_needs_private_rights_and_a_private_repository(built, hub):
    _restrict(built)
    with pytest.raises(ConfigError, match="does not allow redistribution"):
        push(built, "org/new", token="hf_x")
    with pytest.raises(ConfigError, match="does not allow redistribution"):
        push(built, "org/new", private=True, token="hf_x")
    # an existing public repository stays public whatever create_repo was asked: refused
    with pytest.raises(ConfigError, match="org/public is a public repository on the Hub; the licence "
                                          "of ravdess allows only a private one"):
        push(built, "org/public", private=True, allow_restricted=True, token="hf_x")
    assert hub.commits == [] and ("GET", "/api/datasets/org/public") in hub.requests
    # an existing private one, and a new one created private, are fine
    push(built, "org/secret", private=True, allow_restricted=True, token="hf_x")
    push(built, "org/fresh", private=True, allow_restricted=True, token="hf_x")
    assert [c[0] for c in hub.commits] == ["org/secret", "org/fresh"] and hub.repos["org/fresh"] is True


def test_private_asked_for_an_existing_public_repository_is_refused(built, hub):
    with pytest.raises(ConfigError, match="--private was asked"):
        push(built, "org/public", private=True, token="hf_x")
    push(built, "org/public", token="hf_x")  # public data to a public repository: fine
    assert [c[0] for c in hub.commits] == ["org/public"]


def test_hub_errors_become_one_message_with_a_hint(built, capsys, monkeypatch):
    """No network, a refused token: the library's errors, translated at our boundary."""
    import importlib

    from huggingface_hub import errors as hub_errors

    from seqd_builder.cli import main
    from seqd_builder.errors import HubError

    # the real client against a loopback port nobody listens on: what "no network" raises
    with pytest.raises(HubError, match="cannot reach the Hugging Face Hub to push 'org/ds'") as e:
        push(built, "org/ds", api=HfApi(token="hf_x", endpoint="http://127.0.0.1:9"))
    assert "network" in e.value.hint

    class Refusing:
        def create_repo(self, repo_id, **kw):
            client = importlib.import_module(hub_errors.Response.__module__.split(".")[0])
            response = hub_errors.Response(401, request=client.Request("POST", "https://hub/api/repos/create"))
            raise hub_errors.HfHubHTTPError("401 Client Error: Unauthorized for url: https://hub/api",
                                            response=response)
    with pytest.raises(HubError, match=r"refused 'org/ds' \(HTTP 401\)") as e:
        push(built, "org/ds", api=Refusing())
    assert "hf auth login" in e.value.hint

    class Offline:
        def create_repo(self, repo_id, **kw):
            pass

        def create_commit(self, repo_id, operations, **kw):
            raise hub_errors.OfflineModeIsEnabled("Cannot reach https://huggingface.co: offline mode is enabled")
    with pytest.raises(HubError, match="offline mode"):
        push(built, "org/ds", api=Offline())

    # through the command: one error line and a hint, exit 2 (the real HfApi, pointed at loopback)
    orig = HfApi.__init__
    monkeypatch.setattr(HfApi, "__init__", lambda self, *a, **kw: orig(
        self, *a, **{**kw, "endpoint": "http://127.0.0.1:9"}))
    assert main(["push", str(built), "org/ds", "--token", "hf_x"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot reach the Hugging Face Hub") and "Traceback" not in err
    assert "hint: check the network connection" in err
