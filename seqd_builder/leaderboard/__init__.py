"""Leaderboards: validated submissions filed in the repository, rendered to a static site and Markdown.

Library API (the ``seqd leaderboard`` commands are thin over it)::

    from seqd_builder.leaderboard import submit, render_site
    path = submit("runs/emodb-speecheq/results.json", "leaderboard/submissions")
    index = render_site("leaderboard/submissions", "site")   # -> site/index.html

Modules: ``metrics`` (direction and range of each metric, from ``leaderboard/metrics.yaml``),
``validate`` (reading limits, JSON Schema, semantic checks), ``submission`` (a filed entry and its safe
name), ``store`` (the submissions folder), ``board`` (ranking), ``view`` (display values),
``templates`` (jinja2 environments), ``plots`` (SVG), ``site`` (the rendered site and Markdown).
"""

from .board import Board, Row, build_board
from .metrics import MetricSpec, load_metrics
from .site import board_markdown, render_site
from .store import default_submissions_dir, load_submissions, submit
from .submission import Submission, derive_name
from .validate import MAX_BYTES, check_result, load_result

__all__ = ["MAX_BYTES", "Board", "MetricSpec", "Row", "Submission", "board_markdown", "build_board",
           "check_result", "default_submissions_dir", "derive_name", "load_metrics", "load_result",
           "load_submissions", "render_site", "submit"]
