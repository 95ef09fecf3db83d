"""Invisible and bidirectional characters cannot disguise a leaderboard name:
refused by validation, and shown as code points by the Markdown renderer whatever reaches it."""

from __future__ import annotations

import pytest

from seqd_builder.benchmark.tasks import load_task, task_dir
from seqd_builder.leaderboard import check_result
from seqd_builder.leaderboard.templates import md_escape
from seqd_builder.leaderboard.testing import make_result, task_assets


@pytest.fixture(autouse=True)
def fixed_tasks(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("SEQD_ASSETS", str(task_assets(tmp_path_factory.mktemp("assets"))))


@pytest.fixture(scope="module")
def result():
    return make_result(load_task(task_dir() / "emodb.yaml"), model="speecheq",
                       upstream="openai/whisper-base", skill=0.8, seed=1, n_test=53,
                       parameters=20_590_080, bootstrap=0)


@pytest.mark.parametrize("char", ["\u200b", "\u2060", "\ufeff", "\u061c", "\u00ad", "\U000e0041",
                                  "\u2066", "\u202e"])
def test_invisible_characters_in_names_are_refused(result, char):
    bad = {**result, "model": f"speech{char}eq"}
    reasons = "\n".join(check_result(bad))
    assert "at /model: the text holds the" in reasons and f"U+{ord(char):04X}" in reasons


def test_joiners_needed_by_persian_and_indic_spelling_are_kept(result):
    assert check_result({**result, "model": "مدل\u200cها"}) == []


def test_markdown_shows_invisible_characters_as_code_points():
    assert md_escape("speech\u202eqe") == "speech&lt;U+202E&gt;qe"
    assert md_escape("a\u200bb\x07c") == "a&lt;U+200B&gt;b&lt;U+0007&gt;c"
    assert md_escape("مدل\u200cها") == "مدل\u200cها"
