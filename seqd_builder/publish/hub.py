"""Upload a built dataset folder to the Hugging Face Hub with ``huggingface_hub``.

The folder is uploaded as it is (parquet shards, README.md card, manifest, reports, checksums); the
build's staging folder is never uploaded. Corpora whose licence forbids redistribution (IEMOCAP,
MSP-Podcast, ESD, CASIA) may only go to a private repository, and only when the user says they have the
right to (``allow_restricted``): the licence decides, not the user's haste.
"""

from __future__ import annotations

import json
from pathlib import Path

from ..errors import BuildError, ConfigError

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
    api.create_repo(repo_id, repo_type="dataset", private=private, exist_ok=True)
    info = api.upload_folder(folder_path=str(folder), repo_id=repo_id, repo_type="dataset",
                             revision=revision, commit_message=commit_message, ignore_patterns=IGNORE)
    return str(getattr(info, "commit_url", info))
