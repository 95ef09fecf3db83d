"""The dataset card reads as prose: scales and phones as words and tables (never pasted JSON), and a
synthetic corpus is not described as the voices of identifiable people."""

from __future__ import annotations

import copy
import json

from seqd_builder.build import build
from seqd_builder.corpora import load_card
from seqd_builder.publish.card import render_card
from seqd_builder.testing import make_ravdess_tree


def test_card_has_no_raw_json_and_says_what_is_synthetic(shared_data, tmp_path):
    out = tmp_path / "hf"
    build(["ravdess"], out, root=make_ravdess_tree(tmp_path / "ravdess", actors=[1, 2], limit=6),
          phones="none", progress=False)
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
