"""Where the declarative assets (corpus cards, task files, templates, schemas) live.

They sit at the top of the repository (``corpora/``, ``benchmark/tasks/`` …) so that curators find and
edit them without reading code. An editable install reads them there; a wheel carries copies inside the
package under ``_assets/`` (see ``pyproject.toml``). ``SEQD_ASSETS`` points at another repository
checkout, for curators who keep their own cards.
"""

from __future__ import annotations

import os
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def asset_dir(*parts: str) -> Path:
    """The folder ``parts`` under the assets root, e.g. ``asset_dir("corpora")``."""
    roots = []
    if os.environ.get("SEQD_ASSETS"):
        roots.append(Path(os.environ["SEQD_ASSETS"]))
    roots += [_PACKAGE / "_assets", _PACKAGE.parent]
    for root in roots:
        candidate = root.joinpath(*parts)
        if candidate.is_dir():
            return candidate
    return _PACKAGE.parent.joinpath(*parts)


def repo_root() -> Path:
    """The checkout root (for editable installs); used by benchmarks and the leaderboard."""
    return _PACKAGE.parent
