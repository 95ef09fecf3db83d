"""Upload a built dataset folder to the Hugging Face Hub with ``huggingface_hub``.

The folder is uploaded as it is (parquet shards, README.md card, manifest, reports, checksums); the
build's staging folder is never uploaded. Corpora whose licence forbids redistribution (IEMOCAP,
MSP-Podcast, ESD, CASIA) may only go to a private repository, and only when the user says they have the
right to (``allow_restricted``): the licence decides, not the user's haste.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

from ..errors import BuildError, ConfigError, HubError

IGNORE = [".seqd-build/**", "*.tmp", "*.linking"]


def restricted_configs(folder: Path) -> list[str]:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return sorted(name for name, c in manifest["configs"].items()
                  if c["card"]["licence"].get("redistribution") in ("restricted", "unclear"))


def push(folder: str | Path, repo_id: str, *, private: bool = False, allow_restricted: bool = False,
         token: str | None = None, revision: str | None = None,
         commit_message: str = "Upload dataset built with seqd-builder", api=None) -> str:
    """Create the dataset repo if needed and upload ``folder``; returns the commit URL."""
    folder = Path(folder)
    if not (folder / "README.md").is_file() or not (folder / "manifest.json").is_file():
        raise BuildError(f"{folder} is not a built dataset folder (no README.md / manifest.json)",
                         hint="run `seqd build CORPUS --root PATH --out FOLDER` first")
    if "/" not in repo_id or repo_id.count("/") != 1:
        raise ConfigError(f"repo id {repo_id!r} must look like 'user-or-org/name'")
    restricted = restricted_configs(folder)
    if restricted and not (private and allow_restricted):
        raise ConfigError(
            f"the licence of {', '.join(restricted)} does not allow redistribution",
            hint="push only to a private or gated repository you are licensed to use: add --private "
                 "--i-have-the-rights, or build without those corpora")
    if api is None:
        from huggingface_hub import HfApi

        api = HfApi(token=token)
    with hub_errors_translated(repo_id):
        api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
        info = api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="dataset",
                                 revision=revision, commit_message=commit_message, ignore_patterns=IGNORE)
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
