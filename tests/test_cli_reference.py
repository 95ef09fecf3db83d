"""docs/cli.md is generated from the commands; the committed file must equal what they say now."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from seqd_builder.cli._reference import render_reference

REPO = Path(__file__).resolve().parents[1]


def test_committed_cli_reference_is_current():
    committed = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    assert committed == render_reference(), \
        "docs/cli.md differs from the commands' help: run `python scripts/cli_reference.py` and commit it"


def test_reference_covers_every_command_and_option():
    text = render_reference()
    for heading in ("## `seqd build`", "## `seqd bench`", "### `seqd bench run`", "### `seqd bench compare`",
                    "### `seqd leaderboard render`", "## `seqd merge`", "## `seqd push`"):
        assert heading in text, heading
    assert "| `--threads` | int ≥ 0 |" in text and "| `--token` | str | Hub token. | env `HF_TOKEN` |" in text


def test_script_check_mode():
    done = subprocess.run([sys.executable, str(REPO / "scripts" / "cli_reference.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "is current" in done.stdout, done.stderr
