"""Plots of a page with many entries: whole names in the legends, one colour per entry in every plot,
a seed ensemble named apart from a single seed, and a size plot whose points sit at their sizes."""

from __future__ import annotations

import json
import re

import pytest
from matplotlib.colors import to_hex

from seqd_builder.benchmark.tasks import load_task
from seqd_builder.leaderboard import plots, submit
from seqd_builder.leaderboard.board import build_board
from seqd_builder.leaderboard.store import load_submissions
from seqd_builder.leaderboard.testing import crowded_results, task_assets


@pytest.fixture()
def board(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQD_ASSETS", str(task_assets(tmp_path / "assets")))
    subs = tmp_path / "submissions"
    for i, data in enumerate(crowded_results("emodb")):
        src = tmp_path / f"run{i}.json"
        src.write_text(json.dumps(data), encoding="utf-8")
        submit(src, subs)
    return build_board(load_task("emodb"), load_submissions(subs)["emodb"])


def _handle_colour(handle) -> str:
    if hasattr(handle, "get_color"):
        return to_hex(handle.get_color())
    if hasattr(handle, "patches"):
        return to_hex(handle.patches[0].get_facecolor())
    if hasattr(handle, "get_facecolor") and len(handle.get_facecolor()):
        return to_hex(handle.get_facecolor()[0])
    return to_hex(handle.get_facecolor())


def test_legends_are_whole_and_colours_follow_the_entry(board, tmp_path, monkeypatch):
    seen: dict[str, dict[str, str]] = {}
    real = plots._legend

    def spy(ax, n, below=0.22):
        handles, labels = ax.get_legend_handles_labels()
        seen[ax.get_title()] = {lab: _handle_colour(h) for h, lab in zip(handles, labels)}
        real(ax, n, below)
    monkeypatch.setattr(plots, "_legend", spy)
    for kind, (draw, _) in plots.PLOTS.items():
        assert draw(board, tmp_path / f"{kind}.svg") is not None, kind

    assert len(seen) == 3
    colour_of: dict[str, str] = {}
    for title, legend in seen.items():
        for label, colour in legend.items():
            assert "…" not in label, label  # names are whole
            assert colour_of.setdefault(label, colour) == colour, (title, label)
    assert len(set(colour_of.values())) == len(colour_of)  # no two entries share a colour

    # a seed ensemble and a single seed of one config are told apart
    assert any(lab.endswith("speecheq_stats (ensemble of 3 seeds) · ct2-whisper:base") for lab in colour_of)
    assert any(lab.endswith(". speecheq_stats · ct2-whisper:base") for lab in colour_of)

    # the size plot: one position per distinct size, labelled with the size and its upstream
    svg = (tmp_path / "params.svg").read_text(encoding="utf-8")
    ticks = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert ticks[:10] == ["0", "fbank", "20.6M", "ct2-whisper:base", "94.4M", "microsoft/wavlm-base-plus",
                          "315M", "facebook/hubert-large-ll60k", "1.54B", "openai/whisper-large-v3"]
    params_legend = seen["emodb: UA against upstream size"]
    assert not any("peer:" in lab for lab in params_legend)  # peers state no size: not drawn
    assert len(params_legend) == sum(1 for r in board.rows if r.submission.upstream.get("parameters")
                                     is not None)


def test_task_prose_shows_code_spans_as_code_and_escapes_the_rest():
    from seqd_builder.leaderboard.templates import inline_code

    assert str(inline_code("The corpus of `seqd demo` <b>bold</b>")) \
        == "The corpus of <code>seqd demo</code> &lt;b&gt;bold&lt;/b&gt;"
    assert str(inline_code("`<script>x</script>`")) == "<code>&lt;script&gt;x&lt;/script&gt;</code>"
    assert str(inline_code("a lone ` stays")) == "a lone ` stays"
