"""Reading the project's declarative YAML files (cards, tasks, projects) with one set of errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import ConfigError


def read_mapping(path: Path, what: str, *, fields: set[str] | None = None,
                 required: tuple[str, ...] = ()) -> dict[str, Any]:
    """The top-level mapping of a YAML file; errors name the file, the unknown and missing fields.

    ``what`` names the kind of file in messages ("a corpus card"); ``fields`` are the valid
    top-level keys (None: any).
    """
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", file=path) from exc
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{what} must be a mapping", file=path)
    if fields is not None:
        unknown = sorted(set(data) - fields)
        if unknown:
            raise ConfigError(f"unknown fields {', '.join(map(str, unknown))}; valid: "
                              f"{', '.join(sorted(fields))}", file=path)
    missing = [k for k in required if k not in data]
    if missing:
        raise ConfigError(f"missing required field{'s' if len(missing) > 1 else ''}: "
                          f"{', '.join(missing)}", file=path)
    return dict(data)
