"""The dataset card reads as prose: scales and phones as words and tables (never pasted JSON), and a
synthetic corpus is not described as the voices of identifiable people."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from seqd_builder.corpora import load_card
from seqd_builder.publish.card import render_card
from seqd_builder.testing import make_ravdess_tree


@pytest.fixture(scope="module")
def built(shared_data, tmp_path_factory):
    """A small RAVDESS build through the command, with its progress bar captured."""
    tmp = tmp_path_factory.mktemp("card")
    out = tmp / "hf"
    tree = make_ravdess_tree(tmp / "ravdess", actors=[1, 2], limit=6)
    done = subprocess.run([sys.executable, "-c", "import sys; from seqd_builder.cli import main; "
                           "sys.exit(main())", "build", "ravdess", "--root", str(tree), "--out", str(out),
                           "--phones", "none"], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert done.returncode == 0, done.stderr
    return out, done


def test_build_progress_bar_has_a_total(built):
    _, done = built
    last = done.stderr.replace("\r", "\n").strip().splitlines()[-1]
    assert last.startswith("build ravdess: 100%|") and "12/12" in last, last


def test_info_prints_words_not_dicts(built):
    out, _ = built
    done = subprocess.run([sys.executable, "-c", "import sys; from seqd_builder.cli import main; "
                           "sys.exit(main())", "info", str(out)], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert done.returncode == 0, done.stderr
    assert "{" not in done.stdout and "'" not in done.stdout, done.stdout
    assert "  gender: " in done.stdout and "  scale intensity: acted intensity: 01 normal, 02 strong; " \
        "type: ordinal; levels: 01 = 1, 02 = 2; normalised: level / number of levels" in done.stdout


def test_card_has_no_raw_json_and_says_what_is_synthetic(built):
    out, _ = built
    card = (out / "README.md").read_text(encoding="utf-8")
    body = card.split("\n---\n", 1)[1]
    assert "{\"" not in body and "\": " not in body  # no JSON object in the prose
    assert "| intensity | 01 = 1, 02 = 2 | level / number of levels | acted intensity: 01 normal, 02 strong |" \
        in body
    assert "Phones (built with mode none): phone inventory espeak_ipa; grapheme-to-phoneme language " \
           "en-us; default mode g2p." in body
    assert "The recordings of ravdess are of voices of identifiable people" in body
    assert "synthetic: the audio" not in body

    # the synthetic demo beside it, with its own card's scales: named synthetic, not identifiable
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    demo = copy.deepcopy(manifest["configs"]["ravdess"])
    demo_card = load_card("demo")
    demo["card"].update(scales=demo_card.scales(), phones=demo_card.phones, synthetic=True)
    manifest["configs"] = {"demo": demo}
    body = render_card(manifest).split("\n---\n", 1)[1]
    assert "identifiable" not in body
    assert "demo is synthetic: the audio is rendered by a\nspeech synthesiser and holds no person's voice" \
        in body
    assert "| intensity | 1, 2, 3 | level / number of levels | designed intensity" in body
    assert "| arousal / valence / dominance | 1 to 5 | (x - low) / (high - low) | SYNTHETIC" in body
    assert "{\"" not in body
