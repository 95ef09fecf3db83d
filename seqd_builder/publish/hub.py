"""Upload a built dataset folder to the Hugging Face Hub with ``huggingface_hub``.

Only what a finished build certified is uploaded: the files its ``manifest.json`` lists (the parquet
shards, each checked against the SHA-256 the manifest records, the checksums and reports of each
config) plus the manifest and the card. Anything else in the folder (shards of an interrupted build,
the staging folder, the lock) stays local. A folder whose build is running or was interrupted is
refused, and the push holds the folder's build lock so no build can start under it.

Corpora whose licence forbids redistribution (IEMOCAP, MSP-Podcast, ESD, CASIA) may only go to a
private repository, and only when the user says they have the right to (``allow_restricted``): the
licence decides, not the user's haste. ``create_repo(private=True, exist_ok=True)`` leaves an existing
public repository public, so the repository's visibility is read back from the Hub
(``repo_info(...).private``) before anything restricted is uploaded.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from ..checksums import file_sha256
from ..errors import BuildError, ConfigError, HubError

STAGING = ".seqd-build"


def restricted_configs(folder: Path) -> list[str]:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return sorted(name for name, c in manifest["configs"].items()
                  if c["card"]["licence"].get("redistribution") in ("restricted", "unclear"))


def certified_files(folder: str | Path) -> list[str]:
    """The folder's files that a complete manifest vouches for, checksums verified (relative paths)."""
    folder = Path(folder)
    if not (folder / "README.md").is_file() or not (folder / "manifest.json").is_file():
        raise BuildError(f"{folder} is not a built dataset folder (no README.md / manifest.json)",
                         hint="run `seqd build CORPUS --root PATH --out FOLDER` first")
    staging = folder / STAGING
    if staging.is_dir() and any(staging.iterdir()):
        raise BuildError(f"{folder} holds an unfinished build ({staging} exists)",
                         hint="run the same `seqd build` again to finish it, then push")
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        configs = manifest["configs"]
    except (ValueError, KeyError) as exc:
        raise BuildError(f"{folder / 'manifest.json'} is not a complete build manifest ({exc})",
                         hint="build the folder again") from exc
    from ..audit import load_audit
    from .card import render_card

    if (folder / "README.md").read_text(encoding="utf-8") != render_card(manifest, load_audit(folder)):
        # the card is written from the manifest at the very end of a build: a different one is from
        # an earlier build (killed in between) or was edited by hand
        raise BuildError(f"{folder / 'README.md'} is not the dataset card of {folder / 'manifest.json'}",
                         hint="run the same `seqd build` again (it rewrites the card), then push")
    files = ["README.md", "manifest.json"] + (["rejected.jsonl"] if (folder / "rejected.jsonl").is_file() else [])
    for name, c in sorted(configs.items()):
        sums = c.get("file_sha256")
        if sums is None:
            raise BuildError(f"{name}: the manifest records no checksums of its data files (built by an "
                             "older seqd-builder)", hint="rebuild the folder with --force, then push")
        listed = [f"data/{name}/{f}" for fs in c["files"].values() for f in fs]
        if sorted(listed) != sorted(sums):
            raise BuildError(f"{name}: the manifest's file list and checksums disagree",
                             hint="rebuild the folder with --force, then push")
        for rel in listed:
            path = folder / rel
            if not path.is_file():
                raise BuildError(f"{path}: listed in the manifest but missing",
                                 hint="build the folder again, then push")
            if file_sha256(path) != sums[rel]:
                raise BuildError(f"{path}: does not match the SHA-256 the manifest records (changed "
                                 "after the build, or the build that wrote it did not finish)",
                                 hint="run the build again to a finished manifest, then push")
        files += listed
        for rel in (c.get("checksums"), c.get("rejections")):
            if rel and (folder / rel).is_file():
                files.append(rel)
        reports = folder / "reports" / name
        files += sorted(f"reports/{name}/{p.name}" for p in reports.glob("*.jsonl")
                        if f"reports/{name}/{p.name}" not in files)
    return files


def _check_visibility(api, repo_id: str, why: str) -> None:
    info = api.repo_info(repo_id, repo_type="dataset")
    if not getattr(info, "private", False):
        raise ConfigError(
            f"{repo_id} is a public repository on the Hub; {why}: nothing was uploaded",
            hint="make the repository private on the Hub (Settings) or push to a new repository name "
                 "with --private --i-have-the-rights")


def push(folder: str | Path, repo_id: str, *, private: bool = False, allow_restricted: bool = False,
         token: str | None = None, revision: str | None = None,
         commit_message: str = "Upload dataset built with seqd-builder", api=None) -> str:
    """Create the dataset repo if needed and upload the certified files of ``folder``; returns the
    commit URL."""
    from huggingface_hub import CommitOperationAdd

    from ..pipeline.lock import output_lock

    folder = Path(folder)
    if "/" not in repo_id or repo_id.count("/") != 1:
        raise ConfigError(f"repo id {repo_id!r} must look like 'user-or-org/name'")
    with output_lock(folder, what="push"):
        files = certified_files(folder)
        restricted = restricted_configs(folder)
        if restricted and not (private and allow_restricted):
            raise ConfigError(
                f"the licence of {', '.join(restricted)} does not allow redistribution",
                hint="push only to a private or gated repository you are licensed to use: add "
                     "--private --i-have-the-rights, or build without those corpora")
        if api is None:
            from huggingface_hub import HfApi

            api = HfApi(token=token)
        with hub_errors_translated(repo_id):
            api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
            if restricted or private:
                # an existing repository keeps its visibility whatever create_repo was asked
                _check_visibility(api, repo_id, (
                    f"the licence of {', '.join(restricted)} allows only a private one" if restricted
                    else "--private was asked"))
            operations = [CommitOperationAdd(path_in_repo=rel, path_or_fileobj=str(folder / rel))
                          for rel in files]
            info = api.create_commit(repo_id, operations=operations, commit_message=commit_message,
                                     repo_type="dataset", revision=revision)
    return str(getattr(info, "commit_url", info))


@contextlib.contextmanager
def hub_errors_translated(repo_id: str):
    """huggingface_hub's errors as :class:`~seqd_builder.errors.HubError` with the next step to take.

    The hub raises its own ``HfHubHTTPError`` for an answer with an error status, and its HTTP client's
    errors (a subclass of the same base, which ``huggingface_hub.errors`` re-exports as ``HTTPError``)
    when there is no answer at all; which client that is changes between hub releases, so the base is
    taken from the hub rather than imported from the client.
    """
    from huggingface_hub import errors as hub

    transport = getattr(hub, "HTTPError", hub.HfHubHTTPError.__mro__[1])
    try:
        yield
    except hub.HfHubHTTPError as exc:
        status = getattr(getattr(exc, "response", None), "status_code", None)
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if status in (401, 403):
            raise HubError(f"the Hub refused {repo_id!r} (HTTP {status}): {first}",
                           hint="log in with `hf auth login`, or pass a token with write access "
                                "(--token or HF_TOKEN)") from None
        raise HubError(f"the Hub answered HTTP {status} for {repo_id!r}: {first}",
                       hint="check the repository id and your rights on it; rerunning uploads only "
                            "what is missing") from None
    except (hub.OfflineModeIsEnabled, ConnectionError, TimeoutError, transport) as exc:
        raise HubError(f"cannot reach the Hugging Face Hub to push {repo_id!r}: "
                       f"{type(exc).__name__}: {exc}",
                       hint="check the network connection (and HF_ENDPOINT / HF_HUB_OFFLINE), then "
                            "run the same command again") from None
