"""results.json: its JSON Schema validator (the only one: the leaderboard's checks start from it) and
provenance fields."""

from __future__ import annotations

import json
import platform
import subprocess
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

from ..assets import asset_dir, repo_root
from ..errors import SubmissionError


def schema_path() -> Path:
    return asset_dir("benchmark", "schema") / "results.schema.json"


@lru_cache(maxsize=1)
def load_schema() -> dict:
    return json.loads(schema_path().read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def schema_validator():
    """The Draft 2020-12 validator of results.json (the schema itself checked once)."""
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(load_schema())
    return Draft202012Validator(load_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def _pointer(path) -> str:
    return "/" + "/".join(str(p) for p in path) if path else "(top level)"


def schema_reasons(data) -> list[str]:
    """Every JSON Schema violation, as 'at /path: message', in document order."""
    errors = sorted(schema_validator().iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path])
    return [f"at {_pointer(e.absolute_path)}: {e.message}" for e in errors]


def validate_results(results: dict) -> None:
    """Raise :class:`SubmissionError` listing every schema violation of ``results``."""
    reasons = schema_reasons(results)
    if reasons:
        raise SubmissionError("results do not match benchmark/schema/results.schema.json", reasons)


def code_version() -> str:
    """``seqd_builder.__version__`` plus ``+g<commit>`` (and ``.dirty``) when run from a git checkout."""
    from .. import __version__

    try:
        root = repo_root()
        commit = subprocess.run(["git", "-C", str(root), "rev-parse", "--short=12", "HEAD"],
                                capture_output=True, text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return f"{__version__}+g{commit}" + (".dirty" if dirty else "")
    except (OSError, subprocess.SubprocessError):
        return __version__


def cpu_name() -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()[:200]
    except OSError:
        pass
    return platform.processor() or None


def hardware(device) -> dict:
    import torch

    gpu = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    return {"device": str(device), "cpu": cpu_name(), "gpu": gpu, "torch": torch.__version__}


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()
