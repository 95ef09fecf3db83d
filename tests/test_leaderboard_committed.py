"""The committed submissions render into a site: the rendered pages are produced by a command (and here,
in CI), not committed, so this test is what keeps `seqd leaderboard render` working on the real board."""

from __future__ import annotations

import json
from pathlib import Path

from seqd_builder.cli import main
from seqd_builder.leaderboard import default_submissions_dir

SUBMISSIONS = Path(__file__).resolve().parents[1] / "leaderboard" / "submissions"


def test_committed_submissions_render_into_a_site(tmp_path, capsys):
    assert default_submissions_dir().resolve() == SUBMISSIONS.resolve()
    assert main(["leaderboard", "render", "--out", str(tmp_path / "site")]) == 0
    assert "rendered" in capsys.readouterr().out
    filed = sorted(SUBMISSIONS.glob("*/*.json"))
    assert len(filed) >= 30
    for path in filed:
        task = path.parent.name
        page = (tmp_path / "site" / f"{task}.html").read_text(encoding="utf-8")
        model = json.loads(path.read_text(encoding="utf-8"))["model"]
        assert model.split(":")[-1] in page, f"{path.name}: {model} missing from {task}.html"
        assert (tmp_path / "site" / f"{task}.md").is_file()
    assert (tmp_path / "site" / "index.html").is_file()
